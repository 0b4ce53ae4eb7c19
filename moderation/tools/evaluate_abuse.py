"""The abuse evaluation (issue 18): ``python -m moderation.tools.evaluate --task
abuse-suite [--data DIR] [--json] [--record]``.

Everything goes through the public ``screen_many``, so what is measured is
what the forum does. A text counts as *held for abuse* when the verdict
holds it (or blocks it) with an ``abuse.*`` or ``harm.encouragement``
reason; a threat counts only if it also reaches the moderator at high
priority or above.

Measured on

* the suite's test split (``moderation/data/abuse_suite.jsonl``, never
  trained on): the five named figures and every kind (an abusive case must
  be held, a benign one must not);
* the held-out split of every training source (``abuse_data``: split by
  source item), at most ``PER_KIND`` items per source and kind, and the
  evaluation-only Reddit counter-hate pairs: the same figures where a
  source has the labels for them, per source and overall.

``--record`` writes ``moderation/data/abuse_eval.json``, which
tests/moderation/test_abuse_gate.py holds to within a point.
"""
from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any, Sequence

from moderation import settings as model_settings
from moderation.tools import abuse_data
from moderation.tools.evaluate import TOLERANCE, _fmt_share, _Screener, _sha256, _share, _short

EVAL_FILE = Path(__file__).resolve().parents[1] / "data" / "abuse_eval.json"
ABUSE_CODES = ("abuse.", "harm.encouragement")
# (key, what the issue calls it, direction, target)
TARGETS = (
    ("identity_recall", "Identity hate recall", ">=", 0.90),
    ("threat_recall", "Threats recall (held at high priority)", ">=", 0.90),
    ("not_hate_held", "Not-hate held", "<=", 0.10),
    ("counter_speech_held", "Counter-speech held", "<=", 0.10),
    ("self_swearing_held", "Self-directed swearing held", "<=", 0.02),
)
KIND_TARGET = 0.90
PER_KIND = 60
HIGH = ("high", "urgent")


def held_for_abuse(v: Any) -> bool:
    return v.action in ("hold", "block") and any(c.startswith(ABUSE_CODES) for c in v.categories)


def threat_held(v: Any) -> bool:
    return held_for_abuse(v) and v.priority in HIGH


def suite_membership(case: dict[str, Any]) -> dict[str, bool]:
    cats = set(case["categories"])
    return {"identity_recall": "abuse.identity" in cats, "threat_recall": "abuse.threat" in cats,
            "not_hate_held": not case["abuse"], "counter_speech_held": case["kind"] == "counter_speech_quote",
            "self_swearing_held": case["kind"] == "self_directed_swearing"}


def heldout_membership(row: dict[str, Any]) -> dict[str, bool]:
    labels = dict(zip(abuse_data.LABELS, row["labels"]))
    if row["source"] == "counter_hate":
        return {"counter_speech_held": row["kind"] == "counter"}
    return {"identity_recall": labels["abuse.identity"] is True, "threat_recall": labels["abuse.threat"] is True,
            "not_hate_held": all(v is False for v in labels.values())}


def figures(rows: Sequence[tuple[dict[str, bool], Any]]) -> dict[str, dict[str, Any]]:
    out = {}
    for key, _name, direction, target in TARGETS:
        hit = threat_held if key == "threat_recall" else held_for_abuse
        chosen = [v for m, v in rows if m.get(key)]
        if chosen:
            out[key] = _share(sum(bool(hit(v)) for v in chosen), len(chosen), direction, target)
    return out


def case_passes(case: dict[str, Any], v: Any) -> bool:
    if not case["abuse"]:
        return not held_for_abuse(v)
    if "abuse.threat" in case["categories"]:
        return threat_held(v)
    return held_for_abuse(v)


def heldout_rows(data_dir: Path, per_kind: int = PER_KIND) -> list[dict[str, Any]]:
    rows = [r for r in abuse_data.load(data_dir) if r["split"] == "heldout"]
    rows += abuse_data.counter_hate(data_dir) + abuse_data.distress(data_dir)
    rng = random.Random(18)
    rng.shuffle(rows)
    seen: dict[tuple[str, str], int] = defaultdict(int)
    out = []
    for r in rows:
        key = (r["source"], r["kind"])
        if seen[key] < per_kind:
            seen[key] += 1
            out.append(r)
    return sorted(out, key=lambda r: (r["source"], r["id"]))


def evaluate(*, data_dir: Path = abuse_data.DEFAULT_DATA, suite: Path | None = None,
             per_kind: int = PER_KIND, heldout: bool = True, judge: bool = True) -> dict[str, Any]:
    """Measures the judge; ``judge=False`` measures the scorer without it
    (the default before it) on the same sets, for comparison."""
    with model_settings.using(abuse_judge=judge):
        result = _evaluate(data_dir=data_dir, suite=suite, per_kind=per_kind, heldout=heldout)
    result["judge"] = judge
    return result


def _evaluate(*, data_dir: Path, suite: Path | None, per_kind: int, heldout: bool) -> dict[str, Any]:
    suite = suite or abuse_data.SUITE
    cases = [c for c in abuse_data._read(suite) if c["split"] == "test"]
    held = heldout_rows(data_dir, per_kind) if heldout else []
    screen = _Screener()
    screen([*(c["text"] for c in cases), *(r["text"] for r in held)])
    result: dict[str, Any] = {"task": "abuse-suite", "data": str(data_dir)}
    result["suite"] = {"n": len(cases), "file": suite.name, "sha256": _sha256(suite),
                       **figures([(suite_membership(c), screen[c["text"]]) for c in cases])}
    kinds: dict[str, list[bool]] = defaultdict(list)
    failures = []
    for c in cases:
        v = screen[c["text"]]
        ok = case_passes(c, v)
        kinds[c["kind"]].append(ok)
        if not ok:
            failures.append({"id": c["id"], "kind": c["kind"], "action": v.action, "priority": v.priority,
                             "categories": sorted(v.categories), "text": _short(c["text"])})
    result["suite_kinds"] = {k: _share(sum(o), len(o), ">=", KIND_TARGET) for k, o in sorted(kinds.items())}
    result["suite_failures"] = failures
    if held:
        pairs = [(heldout_membership(r), screen[r["text"]]) for r in held]
        result["heldout"] = {"n": len(held), **figures(pairs)}
        by_source: dict[str, list[tuple[dict[str, bool], Any]]] = defaultdict(list)
        for r, p in zip(held, pairs):
            by_source[r["source"]].append(p)
        result["heldout_sources"] = {s: {"n": len(p), **figures(p)} for s, p in sorted(by_source.items())}
    return result


def gate_figures(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for part in ("suite", "heldout"):
        for key, *_ in TARGETS:
            if key in result.get(part, {}):
                out[f"{part}.{key}"] = result[part][key]
    for src, figs in result.get("heldout_sources", {}).items():
        for key, *_ in TARGETS:
            if key in figs:
                out[f"heldout.{src}.{key}"] = figs[key]
    for kind, fig in result["suite_kinds"].items():
        out[f"suite.kind.{kind}"] = fig
    return {k: {f: v[f] for f in ("value", "k", "n", "direction")} for k, v in out.items()}


def record(result: dict[str, Any], path: Path = EVAL_FILE) -> dict[str, Any]:
    from moderation import engine_info

    meta = {
        "what": "the abuse judge's issue-18 figures (python -m moderation.tools.evaluate --task abuse-suite); "
                "tests/moderation/test_abuse_gate.py fails if one gets worse by more than the tolerance",
        "engine": {k: v for k, v in engine_info().items() if k.startswith(("abuse", "toxicity", "encoder"))},
        "suite": result["suite"]["file"], "suite_sha256": result["suite"]["sha256"],
        "per_kind": PER_KIND, "tolerance": TOLERANCE, "figures": gate_figures(result),
    }
    path.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return meta


def print_result(r: dict[str, Any]) -> None:
    who = "the learned judge" if r.get("judge", True) else "the scorer without it (--without-judge)"
    print(f"Abuse detection by {who}: the issue's targets (data {r['data']})")
    print(f"\n  Functional suite ({r['suite']['file']}), test split ({r['suite']['n']} cases, never trained on):")
    for key, name, *_ in TARGETS:
        if key in r["suite"]:
            print(_fmt_share(name, r["suite"][key]))
    print("\n  Every suite kind (abusive cases held, threats at high priority; benign cases not held):")
    for kind, f in r["suite_kinds"].items():
        print(_fmt_share(kind, f))
    for fail in r["suite_failures"]:
        print(f"      - {fail['id']}: {fail['action']}/{fail['priority']} {','.join(fail['categories']) or '-'}: "
              f"{fail['text']}")
    if "heldout" in r:
        print(f"\n  Held-out splits of the training sources and the evaluation-only counter-hate pairs "
              f"({r['heldout']['n']} items, at most {PER_KIND} per source and kind):")
        for key, name, *_ in TARGETS:
            if key in r["heldout"]:
                print(_fmt_share(name, r["heldout"][key]))
        for src, figs in r["heldout_sources"].items():
            print(f"    {src} ({figs['n']} items):")
            for key, name, *_ in TARGETS:
                if key in figs:
                    print("  " + _fmt_share(name, figs[key], width=54))
