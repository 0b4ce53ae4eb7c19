"""Measure the engine on labelled data.

    python -m moderation.tools.evaluate --task crisis|toxicity|sanitize|language FILE.jsonl [--json] [--limit N]
                                  [--audit AUDIT.jsonl]
    python -m moderation.tools.evaluate --task crisis-audit [--data DIR] [--json] [--record]
    python -m moderation.tools.evaluate --task abuse-suite [--data DIR] [--json] [--record] [--per-kind N]

Formats are those of ``../shared/data/README.md``. Everything goes through
the public ``screen_many`` (batched), so what is measured is what the forum
gets. The data is read at run time only; none of it is copied into Kindred.

* crisis:   an item is *flagged* when its risk is ``concern`` or higher.
            Reports recall on ``crisis`` items and the flag rate on ``none``
            items per source; ``ambiguous`` items are reported separately
            (neither hit nor miss); precision/recall/F1; a confusion table of
            label x risk; the worst misses and false alarms. With
            ``--audit``, what raters read in a sample against the issue's
            rules, and the recall ceiling that implies (see docs/crisis.md).
* crisis-audit: issue 16's dev targets on the two-rater tier audit, the
            functional suite's test split and sdcnl, each with its count, a
            95 % Wilson interval and pass/fail, then the crisis report above
            for reference; ``--record`` writes the figures the CI gate holds
            (docs/crisis.md, "Evaluation gate").
* abuse-suite: issue 18's targets on the abuse suite's test split and the
            held-out splits of the abuse judge's training sources (see
            ``moderation.tools.evaluate_abuse``); ``--record`` writes the figures
            its CI gate holds.
* toxicity: an item is flagged when the verdict has any ``abuse.*``
            category. Precision/recall/F1 overall, by source and by original
            label; misses and false alarms.
* sanitize: every input must come out harmless both as a Markdown post body
            (through ``screen``) and as raw HTML (through
            ``render.sanitise_html``): no executable tag, no ``on*`` or
            ``style`` attribute, no javascript:/data:/vbscript: URL.
* language: on English data, how many texts the language stage would name
            ``language.unsupported`` (each one a false alarm for a moderator
            unless the text really is in another language), with the texts.
            Runs ``language.assess`` alone: the other stages don't change it.
"""
from __future__ import annotations

import argparse
import html as _html
import json
import re
import sys
import time
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from moderation import settings as model_settings
from moderation.verdict import RISK_RANK, RISKS

BATCH = 64
EXECUTABLE_TAGS = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "form",
    "input", "button", "textarea", "select", "link", "meta", "base", "template", "noscript", "img", "video",
    "audio", "source", "portal", "xml", "xss", "image",
})
URL_ATTRS = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "background", "poster",
                       "srcset", "codebase", "cite", "longdesc", "dynsrc", "lowsrc", "ping", "manifest"})
_BAD_SCHEME = re.compile(r"^(?:javascript|data|vbscript|livescript|mocha):", re.IGNORECASE)
_URL_JUNK = re.compile(r"[\x00-\x20\x7f-\x9f]+")


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in EXECUTABLE_TAGS:
            self.problems.append(f"<{tag}> tag")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{name} attribute on <{tag}>")
            elif name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            elif name in URL_ATTRS and value is not None:
                url = _URL_JUNK.sub("", _html.unescape(value))
                if _BAD_SCHEME.match(url):
                    self.problems.append(f"{name}={value[:40]!r} on <{tag}>")

    handle_startendtag = handle_starttag


def html_problems(html: str) -> list[str]:
    """Why an HTML fragment is not harmless (empty list: harmless)."""
    p = _Inspector()
    p.feed(html)
    p.close()
    return p.problems


def read_jsonl(path: str, limit: int | None = None) -> list[dict[str, Any]]:
    items = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.strip()
            if not line:
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{n}: not valid JSON ({exc})") from exc
            if limit and len(items) >= limit:
                break
    return items


def _batches(seq: Sequence[Any], n: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def _screen_all(texts: Sequence[str], *, kind: str = "post") -> list[Any]:
    from moderation import screen_many

    out: list[Any] = []
    for chunk in _batches(texts, BATCH):
        out.extend(screen_many(list(chunk), kind=kind))
    return out


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def _examples(missed: list[tuple[dict[str, Any], Any]], alarms: list[tuple[dict[str, Any], Any]],
              n: int) -> dict[str, list[dict[str, Any]]]:
    def row(it: dict[str, Any], v: Any) -> dict[str, Any]:
        return {"id": it.get("id"), "source": it.get("source"), "risk": v.risk,
                "categories": sorted(v.categories), "text": _short(it["text"])}

    return {"worst_misses": [row(it, v) for it, v in missed[:n]],
            "worst_false_alarms": [row(it, v) for it, v in alarms[:n]]}


def _short(text: str, n: int = 140) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 1] + "…"


# -- crisis ------------------------------------------------------------------------

def evaluate_crisis(items: list[dict[str, Any]], *, misses: int = 8,
                    audit: list[dict[str, Any]] | None = None,
                    verdicts: Sequence[Any] | None = None) -> dict[str, Any]:
    # The long Reddit posts are screened as posts; limits would block the few
    # very long ones, which would then count as unflagged, so they are kept.
    if verdicts is None:
        verdicts = _screen_all([it["text"] for it in items])
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    tp = fp = fn = tn = 0
    missed: list[tuple[dict[str, Any], Any]] = []
    alarms: list[tuple[dict[str, Any], Any]] = []
    for it, v in zip(items, verdicts):
        label, src = it["label"], it.get("source", "unknown")
        flagged = RISK_RANK.get(v.risk, 0) >= RISK_RANK["concern"]
        confusion[label][v.risk] += 1
        c = by_source[src]
        c[f"{label}_n"] += 1
        c[f"{label}_flagged"] += int(flagged)
        if label == "crisis":
            tp += flagged
            fn += not flagged
            if not flagged:
                missed.append((it, v))
        elif label == "none":
            fp += flagged
            tn += not flagged
            if flagged:
                alarms.append((it, v))
    sources = {}
    for src, c in sorted(by_source.items()):
        row: dict[str, Any] = {}
        for label in ("crisis", "none", "ambiguous"):
            n = c[f"{label}_n"]
            if n:
                row[label] = {"n": n, "flagged": c[f"{label}_flagged"], "rate": round(c[f"{label}_flagged"] / n, 4)}
        sources[src] = row
    alarms.sort(key=lambda iv: -RISK_RANK.get(iv[1].risk, 0))
    return {
        "task": "crisis", "n": len(items), **_prf(tp, fp, fn),
        "flag_rate_on_none": round(fp / (fp + tn), 4) if fp + tn else 0.0,
        "by_source": sources,
        "confusion": {label: dict(confusion[label]) for label in ("crisis", "ambiguous", "none") if label in confusion},
        **_examples(missed, alarms, misses),
        **({"audit": audit_crisis(items, verdicts, audit)} if audit is not None else {}),
    }


# -- the audit: do the labels agree with the issue's rules? ---------------------------
#
# An audit file holds, per item id, what independent raters read in the text
# against the issue's own rules (never the dataset's label, never the
# detector's output): "flag" (it discloses the writer's own distress, death
# wish, suicidal feelings or self-harm now), "no" (negated, someone else's,
# a question, a quote, news, lyrics, fiction or hyperbole), "either" (past
# events: no more than concern, so flagging is optional) or "unsure". Where
# every rater says "no", a detector that follows the rules must not flag the
# item, whatever its label; so the share of such items among a label's
# "crisis" items bounds the recall any rule-following detector can reach.
VERDICTS = ("flag", "either", "unsure", "no")


def read_audit(path: str) -> list[dict[str, Any]]:
    rows = read_jsonl(path)
    for n, row in enumerate(rows, 1):
        raters = row.get("verdicts")
        if "id" not in row or not isinstance(raters, dict) or not raters \
                or any(v not in VERDICTS for v in raters.values()):
            raise ValueError(f"audit line {n}: expected {{\"id\": ..., \"verdicts\": {{rater: one of "
                             f"{', '.join(VERDICTS)}}}}}")
    return rows


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval for a proportion k/n (95 % by default):
    sound at the small counts an audit sample gives."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / d
    half = z * (p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5 / d
    return (round(max(0.0, mid - half), 4), round(min(1.0, mid + half), 4))


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    n = len(a)
    if n == 0:
        return 0.0
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[v] * cb[v] for v in set(ca) | set(cb)) / (n * n)
    return round((observed - expected) / (1 - expected), 4) if expected < 1 else 1.0


def audit_crisis(items: list[dict[str, Any]], verdicts: Sequence[Any], audit: list[dict[str, Any]]) -> dict[str, Any]:
    by_id = {row["id"]: row["verdicts"] for row in audit}
    raters = sorted({r for row in audit for r in row["verdicts"]})
    per_label: dict[str, Counter[str]] = defaultdict(Counter)
    detector: Counter[str] = Counter()
    pairs: list[tuple[str, str]] = []
    for it, v in zip(items, verdicts):
        said = by_id.get(it.get("id"))
        if said is None or it["label"] not in ("crisis", "none"):
            continue
        votes = set(said.values())
        reading = "must_flag" if votes == {"flag"} else "must_not" if votes == {"no"} else "open"
        per_label[it["label"]][reading] += 1
        flagged = RISK_RANK.get(v.risk, 0) >= RISK_RANK["concern"]
        detector[f"{reading}_n"] += 1
        detector[f"{reading}_flagged"] += int(flagged)
        if len(raters) >= 2 and raters[0] in said and raters[1] in said:
            pairs.append((said[raters[0]], said[raters[1]]))
    out: dict[str, Any] = {"raters": raters, "matched": sum(sum(c.values()) for c in per_label.values())}
    for label, c in sorted(per_label.items()):
        n = sum(c.values())
        out[label] = {"n": n, **{k: c[k] for k in ("must_flag", "open", "must_not")}}
    crisis_n = out.get("crisis", {}).get("n", 0)
    if crisis_n:
        lo, hi = wilson(out["crisis"]["must_not"], crisis_n)
        # Recall is at most the share of crisis items the rules allow flagging.
        out["recall_ceiling"] = {"estimate": round(1 - out["crisis"]["must_not"] / crisis_n, 4),
                                 "ci95": [round(1 - hi, 4), round(1 - lo, 4)]}
    none_n = out.get("none", {}).get("n", 0)
    if none_n:
        lo, hi = wilson(out["none"]["must_flag"], none_n)
        out["none_flag_floor"] = {"estimate": round(out["none"]["must_flag"] / none_n, 4), "ci95": [lo, hi]}
    out["detector"] = {k: {"n": detector[f"{k}_n"], "flagged": detector[f"{k}_flagged"]}
                       for k in ("must_flag", "open", "must_not")}
    if pairs:
        out["kappa"] = cohen_kappa([a for a, _ in pairs], [b for _, b in pairs])
    return out


def _print_audit(a: dict[str, Any]) -> None:
    print(f"\n  Audit against the issue's rules ({a['matched']} items; raters {', '.join(a['raters'])}"
          + (f"; Cohen's kappa {a['kappa']:.2f}" if "kappa" in a else "") + "):")
    for label in ("crisis", "none"):
        if label in a:
            c = a[label]
            print(f"    labelled {label}: {c['n']}; every rater: flag {c['must_flag']}, no {c['must_not']}; "
                  f"open {c['open']}")
    if "recall_ceiling" in a:
        r = a["recall_ceiling"]
        print(f"    recall ceiling for a detector that follows the rules: {r['estimate']:.3f} "
              f"(95 % CI {r['ci95'][0]:.3f}-{r['ci95'][1]:.3f})")
    if "none_flag_floor" in a:
        r = a["none_flag_floor"]
        print(f"    none items the rules require flagging: {r['estimate']:.3f} "
              f"(95 % CI {r['ci95'][0]:.3f}-{r['ci95'][1]:.3f})")
    d = a["detector"]
    for k, name in (("must_flag", "must flag"), ("must_not", "must not flag"), ("open", "open")):
        if d[k]["n"]:
            print(f"    detector on items the rules say {name}: flagged {d[k]['flagged']}/{d[k]['n']} "
                  f"({d[k]['flagged'] / d[k]['n']:.3f})")


def _print_crisis(r: dict[str, Any]) -> None:
    print(f"Crisis detection: {r['n']} items (flagged = risk >= concern)")
    print(f"  crisis vs none: precision {r['precision']:.3f}  recall {r['recall']:.3f}  F1 {r['f1']:.3f}  "
          f"flag rate on none {r['flag_rate_on_none']:.3f}")
    print("\n  By source:")
    for src, row in r["by_source"].items():
        parts = []
        if "crisis" in row:
            parts.append(f"crisis recall {row['crisis']['rate']:.3f} ({row['crisis']['flagged']}/{row['crisis']['n']})")
        if "none" in row:
            parts.append(f"none flagged {row['none']['rate']:.3f} ({row['none']['flagged']}/{row['none']['n']})")
        if "ambiguous" in row:
            parts.append(f"ambiguous flagged {row['ambiguous']['rate']:.3f} "
                         f"({row['ambiguous']['flagged']}/{row['ambiguous']['n']})")
        print(f"    {src}: " + "; ".join(parts))
    print("\n  Confusion (label x risk):")
    print("    " + f"{'':<10}" + "".join(f"{risk:>10}" for risk in RISKS))
    for label, row in r["confusion"].items():
        print("    " + f"{label:<10}" + "".join(f"{row.get(risk, 0):>10}" for risk in RISKS))
    if "audit" in r:
        _print_audit(r["audit"])
    _print_examples("Worst misses (crisis, not flagged)", r["worst_misses"])
    _print_examples("Worst false alarms (none, flagged)", r["worst_false_alarms"])


def _print_examples(title: str, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    if not rows:
        return
    print(f"\n  {title}:")
    for row in rows:
        cats = ", ".join(c for c in row.get("categories", ()) if not c.startswith("rule."))
        extra = f" [{row['risk']}{'; ' + cats if cats else ''}]"
        print(f"    - {row.get('id')} ({row.get('source')}){extra}: {row['text']}")


# -- toxicity ----------------------------------------------------------------------

def _abusive(v: Any) -> bool:
    return any(c.startswith("abuse.") for c in v.categories)


def evaluate_toxicity(items: list[dict[str, Any]], *, misses: int = 8) -> dict[str, Any]:
    verdicts = _screen_all([it["text"] for it in items])
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    by_label: dict[str, Counter[str]] = defaultdict(Counter)
    missed: list[tuple[dict[str, Any], Any]] = []
    alarms: list[tuple[dict[str, Any], Any]] = []
    for it, v in zip(items, verdicts):
        truth, pred = bool(it["toxic"]), _abusive(v)
        key = {(True, True): "tp", (False, True): "fp", (True, False): "fn", (False, False): "tn"}[(truth, pred)]
        for bucket in ("all", it.get("source", "unknown")):
            counts[bucket][key] += 1
        original = it.get("source_label") or ",".join(sorted(k for k, v in (it.get("labels") or {}).items() if v))
        label = f"{it.get('source', 'unknown')}:{original or ('toxic' if truth else 'clean')}"
        by_label[label]["n"] += 1
        by_label[label]["flagged"] += int(pred)
        if truth and not pred:
            missed.append((it, v))
        elif pred and not truth:
            alarms.append((it, v))

    def metrics(c: Counter[str]) -> dict[str, Any]:
        tp, fp, fn, tn = c["tp"], c["fp"], c["fn"], c["tn"]
        return {"n": tp + fp + fn + tn, **_prf(tp, fp, fn),
                "flag_rate_on_negatives": round(fp / (fp + tn), 4) if fp + tn else 0.0,
                "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn}}

    return {
        "task": "toxicity", **metrics(counts["all"]),
        "by_source": {s: metrics(c) for s, c in sorted(counts.items()) if s != "all"},
        "by_label": {k: {"n": c["n"], "flagged": c["flagged"], "rate": round(c["flagged"] / c["n"], 4)}
                     for k, c in sorted(by_label.items())},
        **_examples(missed, alarms, misses),
    }


def _print_toxicity(r: dict[str, Any]) -> None:
    print(f"Toxicity (abuse aimed at others): {r['n']} items")
    print(f"  precision {r['precision']:.3f}  recall {r['recall']:.3f}  F1 {r['f1']:.3f}  "
          f"flag rate on non-toxic {r['flag_rate_on_negatives']:.3f}")
    print(f"  confusion: {r['confusion']}")
    print("\n  By source:")
    for src, m in r["by_source"].items():
        print(f"    {src}: n {m['n']}  precision {m['precision']:.3f}  recall {m['recall']:.3f}  F1 {m['f1']:.3f}  "
              f"flag rate on non-toxic {m['flag_rate_on_negatives']:.3f}")
    print("\n  Flag rate by original label:")
    for label, m in r["by_label"].items():
        print(f"    {label}: {m['rate']:.3f} ({m['flagged']}/{m['n']})")
    _print_examples("Misses (toxic, not flagged)", r["worst_misses"])
    _print_examples("False alarms (not toxic, flagged)", r["worst_false_alarms"])


# -- sanitize ----------------------------------------------------------------------

def evaluate_sanitize(items: list[dict[str, Any]]) -> dict[str, Any]:
    from moderation import screen
    from moderation.render import sanitise_html

    failures = []
    passed = 0
    for it in items:
        text = it["input"]
        problems = []
        v = screen(text, kind="post")
        problems += [f"as post: {p}" for p in html_problems(v.html)]
        problems += [f"as HTML: {p}" for p in html_problems(sanitise_html(text))]
        if problems:
            failures.append({"id": it.get("id"), "problems": problems, "input": _short(text, 100)})
        else:
            passed += 1
    return {"task": "sanitize", "n": len(items), "passed": passed, "failed": len(failures), "failures": failures}


def _print_sanitize(r: dict[str, Any]) -> None:
    print(f"Sanitiser: {r['passed']}/{r['n']} inputs harmless both as a post body and as raw HTML")
    for f in r["failures"]:
        print(f"  FAIL {f['id']}: {'; '.join(f['problems'])}  input: {f['input']}")


# -- crisis-audit: the issue's dev targets and the CI gate -------------------------------
#
# Every figure is a share k/n of a set of items defined by what people read
# in them (docs/crisis.md, "Evaluation gate"): on the two-rater tier audit
# only where both raters agree, on the functional suite by each case's
# labels, test split only. The detector is run through ``screen_many`` with
# no length limit, so long posts are judged on their full text.
REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_TIERS = REPO / "docs" / "audit" / "tiers-2026-12-06.jsonl"
DEFAULT_TWITTER_AUDIT = REPO / "docs" / "audit" / "twitter-2026-11-25.jsonl"
DEFAULT_SUITE = REPO / "moderation" / "data" / "crisis_suite.jsonl"
EVAL_FILE = REPO / "moderation" / "data" / "crisis_eval.json"
# The audit's item ids are "<set>:<dataset id>"; each set is one file under the data folder.
AUDIT_SETS = {
    "crisis-dev": "crisis/crisis-dev.jsonl",
    "irf": "crisis/extra/irf-interpersonal-risk.jsonl",
    "diasafety": "crisis/extra/diasafety-user-turns.jsonl",
    "rallypoint": "crisis/extra/rallypoint-reddit-mental-health.jsonl",
    "xstest": "crisis/extra/xstest-prompts.jsonl",
    "openai": "moderation-openai/openai-moderation-1680.jsonl",
}
# (key, what the issue calls it, direction, target). ">=": higher is better.
TARGETS = (
    ("flag_recall", "Recall, concern or above, on items both raters flag", ">=", 0.97),
    ("none_flag_rate", "Flag rate on items both raters call none", "<=", 0.05),
    ("high_recall", "high-or-above recall on high and imminent items", ">=", 0.90),
    ("imminent_read_imminent", "Imminent items read as imminent", ">=", 0.85),
    ("past_read_high", "Past items read as high or above", "<=", 0.10),
    ("third_party_recognised", "Someone else at risk recognised", ">=", 0.85),
)
KIND_TARGET = 0.95
SDCNL_TARGET = 0.92
# A recorded figure may move this much the wrong way before the gate fails:
# one point, the issue's tolerance.
TOLERANCE = 0.01
SCREEN_LIMIT = 10 ** 8


class DataMissing(Exception):
    """The development data the evaluation reads is not where it was looked for."""


def data_missing_message(path: Path, data_dir: Path) -> str:
    return (f"The crisis evaluation reads the development datasets, and {path} is missing. "
            f"Put the shared data folder (the one holding crisis/, crisis/extra/ and moderation-openai/, "
            f"described in its README.md) at {data_dir}, e.g. `ln -s /path/to/shared/data {data_dir}` "
            f"(the default is ../shared/data beside the repository), or pass --data DIR to "
            f"`python -m moderation.tools.evaluate --task crisis-audit`.")


def _read_data(path: Path, data_dir: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise DataMissing(data_missing_message(path, data_dir))
    return read_jsonl(str(path))


def read_tier_audit(path: Path) -> list[dict[str, Any]]:
    rows = read_jsonl(str(path))
    for n, row in enumerate(rows, 1):
        raters = row.get("raters")
        if "id" not in row or not isinstance(raters, dict) or len(raters) < 2 \
                or any(r.get("tier") not in RISKS for r in raters.values()):
            raise ValueError(f"{path} line {n}: expected {{\"id\": ..., \"raters\": {{rater: {{\"tier\": ..., "
                             f"\"third_party\": ..., \"past\": ...}}}}}} with two raters or more")
    return rows


def audit_texts(audit: list[dict[str, Any]], data_dir: Path) -> dict[str, str]:
    """Each audited id's full text, read from the datasets at run time."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in audit:
        name, _, item = row["id"].partition(":")
        if name not in AUDIT_SETS:
            raise ValueError(f"audit id {row['id']!r}: unknown set {name!r} (known: {', '.join(AUDIT_SETS)})")
        wanted[name].add(item)
    texts: dict[str, str] = {}
    for name, ids in wanted.items():
        for it in _read_data(data_dir / AUDIT_SETS[name], data_dir):
            if str(it.get("id")) in ids:
                texts[f"{name}:{it['id']}"] = it["text"]
    lost = [row["id"] for row in audit if row["id"] not in texts]
    if lost:
        raise DataMissing(f"{len(lost)} audited items are not in the datasets under {data_dir} "
                          f"(first: {lost[0]}); is this the data the audit was drawn from?")
    return texts


def third_party_recognised(v: Any) -> bool:
    """The verdict marks someone other than the writer as at risk."""
    return "crisis.third_party" in v.categories or (
        v.signposting is not None and v.signposting.audience == "other")


def _at_least(v: Any, risk: str) -> bool:
    return RISK_RANK.get(v.risk, RISK_RANK["high"]) >= RISK_RANK[risk]


def _share(k: int, n: int, direction: str, target: float) -> dict[str, Any]:
    value = round(k / n, 4) if n else None
    ok = None if value is None else (value >= target if direction == ">=" else value <= target)
    return {"value": value, "k": k, "n": n, "ci95": list(wilson(k, n)), "direction": direction,
            "target": target, "pass": ok}


def target_figures(rows: Sequence[tuple[dict[str, bool], Any]]) -> dict[str, dict[str, Any]]:
    """The six targets over (membership, verdict) pairs; membership names the
    sets an item belongs to: flag, none, high, imminent, past, third_party."""
    tests = {
        "flag_recall": ("flag", lambda v: _at_least(v, "concern")),
        "none_flag_rate": ("none", lambda v: _at_least(v, "concern")),
        "high_recall": ("high", lambda v: _at_least(v, "high")),
        "imminent_read_imminent": ("imminent", lambda v: _at_least(v, "imminent")),
        "past_read_high": ("past", lambda v: _at_least(v, "high")),
        "third_party_recognised": ("third_party", third_party_recognised),
    }
    out = {}
    for key, _name, direction, target in TARGETS:
        member, hit = tests[key]
        chosen = [v for m, v in rows if m.get(member)]
        out[key] = _share(sum(bool(hit(v)) for v in chosen), len(chosen), direction, target)
    return out


def audit_membership(row: dict[str, Any]) -> dict[str, bool]:
    """Which target sets an audited item is in: only what every rater says."""
    raters = list(row["raters"].values())
    ranks = [RISK_RANK[r["tier"]] for r in raters]
    return {
        "flag": min(ranks) >= RISK_RANK["concern"],
        "none": max(ranks) == RISK_RANK["none"],
        "high": min(ranks) >= RISK_RANK["high"],
        "imminent": min(ranks) == RISK_RANK["imminent"],
        "past": all(r.get("past") for r in raters),
        "third_party": all(r.get("third_party") for r in raters),
    }


def suite_membership(case: dict[str, Any]) -> dict[str, bool]:
    """A suite case's target sets, from its own labels: ``accept`` says whether
    flagging is required (no "none") or forbidden (only "none")."""
    accept = set(case["accept"])
    return {
        "flag": "none" not in accept,
        "none": accept == {"none"},
        "high": RISK_RANK[case["tier"]] >= RISK_RANK["high"],
        "imminent": case["tier"] == "imminent",
        "past": bool(case.get("past")) or case["kind"] == "recovery_past",
        "third_party": bool(case["third_party"]),
    }


def suite_case_passes(case: dict[str, Any], v: Any) -> bool:
    """A case passes when the risk is one its ``accept`` list allows and, for a
    case about someone else at risk, the verdict says so."""
    return v.risk in case["accept"] and (not case["third_party"] or third_party_recognised(v))


def read_suite(path: Path) -> list[dict[str, Any]]:
    cases = read_jsonl(str(path))
    for n, c in enumerate(cases, 1):
        missing = [k for k in ("id", "kind", "text", "tier", "accept", "third_party", "split") if k not in c]
        if missing or c.get("split") not in ("train", "test") or c.get("tier") not in RISKS \
                or not set(c.get("accept") or ["?"]) <= set(RISKS):
            raise ValueError(f"{path} line {n}: not a suite case (needs id, kind, text, tier, accept, "
                             f"third_party, split train|test)")
    return cases


class _Screener:
    """Screens each distinct text once, in batches, with no length limit."""

    def __init__(self) -> None:
        self.verdicts: dict[str, Any] = {}

    def __call__(self, texts: Iterable[str]) -> None:
        from moderation import ScreeningConfig, screen_many

        cfg = ScreeningConfig.from_limits(post=SCREEN_LIMIT)
        todo = sorted({t for t in texts if t not in self.verdicts}, key=len)
        for chunk in _batches(todo, BATCH):
            for t, v in zip(chunk, screen_many(list(chunk), kind="post", config=cfg)):
                self.verdicts[t] = v

    def __getitem__(self, text: str) -> Any:
        return self.verdicts[text]


def evaluate_crisis_gate(*, data_dir: Path = DEFAULT_DATA, tiers: Path = DEFAULT_TIERS,
                         suite: Path | None = DEFAULT_SUITE, crowd: str = "all",
                         twitter_audit: Path | None = DEFAULT_TWITTER_AUDIT, judge: bool = True) -> dict[str, Any]:
    """Every figure of the issue's dev-target table; ``crowd`` is "all" (the
    twitter and sdcnl crowd-label report, for reference) or "sdcnl" (only
    the sdcnl recall target: what the gate needs). ``judge``: measure with the
    learned crisis judge (what the gate holds) or the detector without it."""
    with model_settings.using(crisis_judge=judge):
        result = _evaluate_crisis_gate(data_dir=data_dir, tiers=tiers, suite=suite, crowd=crowd,
                                       twitter_audit=twitter_audit)
    result["judge"] = judge
    return result


def _evaluate_crisis_gate(*, data_dir: Path, tiers: Path, suite: Path | None, crowd: str,
                          twitter_audit: Path | None) -> dict[str, Any]:
    audit = read_tier_audit(tiers)
    texts = audit_texts(audit, data_dir)
    cases = [c for c in read_suite(suite) if c["split"] == "test"] if suite is not None and suite.is_file() else []
    dev = _read_data(data_dir / AUDIT_SETS["crisis-dev"], data_dir)
    if crowd == "sdcnl":
        dev = [it for it in dev if it.get("source") == "sdcnl" and it.get("label") == "crisis"]
    screen = _Screener()
    screen([*texts.values(), *(c["text"] for c in cases), *(it["text"] for it in dev)])

    result: dict[str, Any] = {"task": "crisis-audit", "data": str(data_dir), "tiers": tiers.name}
    result["audit"] = {"n": len(audit), **target_figures(
        [(audit_membership(row), screen[texts[row["id"]]]) for row in audit])}
    if cases:
        result["suite"] = {"n": len(cases), "file": suite.name, "sha256": _sha256(suite), **target_figures(
            [(suite_membership(c), screen[c["text"]]) for c in cases])}
        kinds: dict[str, list[bool]] = defaultdict(list)
        failures: list[dict[str, Any]] = []
        for c in cases:
            v = screen[c["text"]]
            ok = suite_case_passes(c, v)
            kinds[c["kind"]].append(ok)
            if not ok:
                failures.append({"id": c["id"], "kind": c["kind"], "accept": c["accept"], "risk": v.risk,
                                 "third_party": c["third_party"], "recognised": third_party_recognised(v),
                                 "text": _short(c["text"])})
        result["suite_kinds"] = {k: _share(sum(oks), len(oks), ">=", KIND_TARGET) for k, oks in sorted(kinds.items())}
        result["suite_failures"] = failures
    sd = [it for it in dev if it.get("source") == "sdcnl" and it.get("label") == "crisis"]
    result["sdcnl_recall"] = _share(sum(_at_least(screen[it["text"]], "concern") for it in sd), len(sd),
                                    ">=", SDCNL_TARGET)
    if crowd == "all":
        twitter = read_audit(str(twitter_audit)) if twitter_audit is not None and twitter_audit.is_file() else None
        result["crowd"] = evaluate_crisis(dev, audit=twitter, verdicts=[screen[it["text"]] for it in dev])
    return result


def gate_figures(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The figures the CI gate holds, flat: "audit.flag_recall", "suite.kind.hyperbole", "sdcnl.recall"..."""
    out: dict[str, dict[str, Any]] = {}
    for part in ("audit", "suite"):
        for key, *_ in TARGETS:
            if part in result and result[part][key]["n"]:
                out[f"{part}.{key}"] = result[part][key]
    for kind, fig in result.get("suite_kinds", {}).items():
        out[f"suite.kind.{kind}"] = fig
    if result["sdcnl_recall"]["n"]:
        out["sdcnl.recall"] = result["sdcnl_recall"]
    return {k: {f: v[f] for f in ("value", "k", "n", "direction")} for k, v in out.items()}


def gate_failures(recorded: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]],
                  tolerance: float = TOLERANCE) -> list[str]:
    """What is worse than recorded by more than ``tolerance`` (or no longer
    measured, or measured but never recorded); empty when the gate passes."""
    problems = []
    for key, rec in sorted(recorded.items()):
        cur = current.get(key)
        if cur is None:
            problems.append(f"{key}: recorded {rec['value']:.4f}, no longer measured")
            continue
        worse = rec["value"] - cur["value"] if rec["direction"] == ">=" else cur["value"] - rec["value"]
        if worse > tolerance + 1e-9:
            problems.append(f"{key}: {cur['value']:.4f} ({cur['k']}/{cur['n']}), recorded {rec['value']:.4f} "
                            f"({rec['k']}/{rec['n']}): {worse * 100:.1f} points worse")
    problems += [f"{key}: measured {cur['value']:.4f} but never recorded" for key, cur in sorted(current.items())
                 if key not in recorded]
    return problems


def record_figures(result: dict[str, Any], path: Path = EVAL_FILE) -> dict[str, Any]:
    """Writes the gated figures: with the learned judge under "figures", and
    the detector as shipped without it (``--without-judge``) under
    "figures_as_shipped", keeping the other set, so the gate holds both what
    the judge reaches and what members get today."""
    from moderation import engine_info

    judge = result.get("judge", True)
    key = "figures" if judge else "figures_as_shipped"
    with model_settings.using(crisis_judge=judge):
        engine = {k: v for k, v in engine_info().items() if k.startswith(("crisis", "semantic", "encoder"))}
    old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    meta = {**old, **{
        "what": "the crisis detector's dev-target figures (python -m moderation.tools.evaluate --task crisis-audit); "
                "tests/moderation/test_evaluation_gate.py fails if one gets worse by more than the tolerance",
        "engine" if judge else "engine_as_shipped": engine,
        "tiers": result["tiers"],
        "suite": result.get("suite", {}).get("file"),
        "suite_sha256": result.get("suite", {}).get("sha256"),
        "tolerance": TOLERANCE,
        key: gate_figures(result),
    }}
    path.write_text(json.dumps(meta, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return meta


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fmt_share(name: str, f: dict[str, Any], width: int = 56) -> str:
    if not f["n"]:
        return f"    {name:<{width}} –  (no items)"
    verdict = "pass" if f["pass"] else "FAIL"
    return (f"    {name:<{width}} {f['value']:.3f}  n {f['n']:>4}  95 % CI {f['ci95'][0]:.3f}-{f['ci95'][1]:.3f}  "
            f"target {f['direction']} {f['target']:.2f}  {verdict}")


def _print_crisis_gate(r: dict[str, Any]) -> None:
    print(f"Crisis detection: the issue's dev targets (data {r['data']})")
    print(f"\n  Two-rater tier audit ({r['tiers']}, {r['audit']['n']} items; each set is the items both raters "
          f"agree on, docs/crisis.md):")
    for key, name, *_ in TARGETS:
        print(_fmt_share(name, r["audit"][key]))
    if "suite" in r:
        print(f"\n  Functional suite ({r['suite']['file']}), test split ({r['suite']['n']} cases, never trained on):")
        for key, name, *_ in TARGETS:
            print(_fmt_share(name, r["suite"][key]))
        print("\n  Every suite kind (risk in the case's accept list; a third party recognised where there is one):")
        for kind, f in r["suite_kinds"].items():
            print(_fmt_share(kind, f))
        for fail in r["suite_failures"]:
            print(f"      - {fail['id']} read {fail['risk']}"
                  + (f", third party {'recognised' if fail['recognised'] else 'missed'}" if fail["third_party"] else "")
                  + f" (accept {'/'.join(fail['accept'])}): {fail['text']}")
    else:
        print("\n  Functional suite: not found, no suite figures")
    print("\n  Crowd labels:")
    print(_fmt_share("sdcnl recall (crisis = r/SuicideWatch)", r["sdcnl_recall"]))
    if "crowd" in r:
        print("\n  For reference, the crowd-label report as before:\n")
        _print_crisis(r["crowd"])


def evaluate_language(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    from moderation import language

    named = []
    for it in items:
        found = language.assess(it["text"])
        if not found.supported:
            named.append({"id": it.get("id"), "language": found.language,
                          "confidence": round(found.confidence, 3), "text": it["text"][:200]})
    return {"task": "language", "n": len(items), "unsupported": len(named),
            "rate": round(len(named) / max(1, len(items)), 5), "texts": named}


def _print_language(r: dict[str, Any]) -> None:
    print(f"Language: {r['unsupported']}/{r['n']} texts named unsupported ({r['rate']:.3%})")
    for t in r["texts"]:
        print(f"  {t['language']} {t['confidence']:.2f} {t['id']}: {t['text'][:100]!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m moderation.tools.evaluate", description="Evaluate the moderation engine.")
    ap.add_argument("--task", required=True,
                    choices=("crisis", "crisis-audit", "abuse-suite", "toxicity", "sanitize", "language"))
    ap.add_argument("file", nargs="?", help="a JSON Lines file in the format of ../shared/data/README.md "
                                             "(crisis-audit: none, it reads --data)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--limit", type=int, help="only the first N items")
    ap.add_argument("--examples", type=int, default=8, help="how many misses/false alarms to show")
    ap.add_argument("--audit", metavar="AUDIT.jsonl",
                    help="crisis only: raters' readings of items against the issue's rules "
                         "(docs/audit/); reports the recall ceiling they imply")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help="crisis-audit: the shared data folder (default: ../shared/data beside the repository)")
    ap.add_argument("--tiers", type=Path, default=DEFAULT_TIERS, help="crisis-audit: the two-rater tier audit")
    ap.add_argument("--suite", type=Path, default=DEFAULT_SUITE, help="crisis-audit: the functional suite")
    ap.add_argument("--crowd", choices=("all", "sdcnl"), default="all",
                    help="crisis-audit: the whole crowd-label report (all) or only the sdcnl recall target")
    ap.add_argument("--record", action="store_true",
                    help=f"crisis-audit, abuse-suite: write the gated figures to {EVAL_FILE.relative_to(REPO)} "
                         "(abuse: moderation/data/abuse_eval.json)")
    ap.add_argument("--per-kind", type=int, default=60,
                    help="abuse-suite: at most this many held-out items per source and kind")
    ap.add_argument("--without-judge", action="store_true",
                    help="crisis-audit, abuse-suite: measure without the learned judge (crisis or abuse), "
                         "on the same sets")
    args = ap.parse_args(argv)
    if args.task == "crisis-audit":
        return _main_gate(args)
    if args.task == "abuse-suite":
        return _main_abuse(args)
    if not args.file:
        ap.error(f"--task {args.task} needs a FILE")
    try:
        items = read_jsonl(args.file, args.limit)
        audit = read_audit(args.audit) if args.audit else None
    except (OSError, ValueError) as exc:
        return _input_error(exc)
    if audit is not None and args.task != "crisis":
        print("error: --audit applies to --task crisis only", file=sys.stderr)
        return 2
    required = {"crisis": ("text", "label"), "toxicity": ("text", "toxic"), "sanitize": ("input",),
                "language": ("text",)}[args.task]
    for n, it in enumerate(items, 1):
        missing = [k for k in required if k not in it]
        if missing:
            print(f"error: item {n} has no {', '.join(missing)} (is this a {args.task} file?)", file=sys.stderr)
            return 2
    start = time.perf_counter()
    if args.task == "crisis":
        result = evaluate_crisis(items, misses=args.examples, audit=audit)
    elif args.task == "toxicity":
        result = evaluate_toxicity(items, misses=args.examples)
    elif args.task == "language":
        result = evaluate_language(items)
    else:
        result = evaluate_sanitize(items)
    elapsed = _stamp(result, start)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        {"crisis": _print_crisis, "toxicity": _print_toxicity, "sanitize": _print_sanitize,
         "language": _print_language}[args.task](result)
        print(f"\n  {len(items)} items in {elapsed:.1f} s ({elapsed / max(1, len(items)) * 1000:.2f} ms/item)")
        print("  engine: " + ", ".join(f"{k}={v}" for k, v in result["engine"].items()))
    return 0


def _stamp(result: dict[str, Any], start: float) -> float:
    """Record the run's time and engine in a report; returns the seconds."""
    from moderation import engine_info

    elapsed = time.perf_counter() - start
    result["seconds"] = round(elapsed, 2)
    result["engine"] = engine_info()
    return elapsed


def _input_error(exc: OSError | ValueError) -> int:
    """A data file that can't be read or parsed: one clear line, exit 2."""
    if isinstance(exc, OSError):
        print(f"error: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
    else:
        print(f"error: {exc}", file=sys.stderr)
    return 2


def _main_gate(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    try:
        result = evaluate_crisis_gate(data_dir=args.data, tiers=args.tiers, suite=args.suite, crowd=args.crowd,
                                      judge=not args.without_judge)
    except DataMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        return _input_error(exc)
    elapsed = _stamp(result, start)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        _print_crisis_gate(result)
        print(f"\n  {elapsed:.1f} s; engine: " + ", ".join(f"{k}={v}" for k, v in result["engine"].items()))
    if args.record:
        record_figures(result)
        print(f"recorded {len(gate_figures(result))} figures in {EVAL_FILE}", file=sys.stderr)
    return 0


def _main_abuse(args: argparse.Namespace) -> int:
    from moderation.tools import evaluate_abuse

    start = time.perf_counter()
    try:
        result = evaluate_abuse.evaluate(data_dir=args.data, per_kind=args.per_kind, judge=not args.without_judge)
    except OSError as exc:
        print(f"error: cannot read {exc.filename}: {exc.strerror}. The abuse evaluation reads the shared "
              f"datasets under --data DIR (default ../shared/data beside the repository).", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start
    from moderation import engine_info

    result["seconds"] = round(elapsed, 2)
    result["engine"] = engine_info()
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        evaluate_abuse.print_result(result)
        print(f"\n  {elapsed:.1f} s; engine: " + ", ".join(f"{k}={v}" for k, v in result["engine"].items()))
    if args.record:
        evaluate_abuse.record(result)
        print(f"recorded {len(evaluate_abuse.gate_figures(result))} figures in {evaluate_abuse.EVAL_FILE}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
