"""Does the ONNX path read as the PyTorch path does? (docs/crisis.md)

    python -m moderation.tools.encoder_parity [--limit N] [--screen]

Reads the crisis dev set and the texts of the tier audit
(docs/audit/tiers-2026-12-06.jsonl) from the shared data folder, and
reports, for the fp32 and the int8 reader graphs against the PyTorch
reader: max and p99 |Δp|, and how many texts cross the reader's
thresholds. ``--screen`` also screens every text with the whole detector
on each backend and counts the texts whose tier or action differs.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from moderation import settings as model_settings

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / "docs" / "audit" / "tiers-2026-12-06.jsonl"
SOURCES = {"crisis-dev": "crisis/crisis-dev.jsonl", "irf": "crisis/extra/irf-interpersonal-risk.jsonl",
           "diasafety": "crisis/extra/diasafety-user-turns.jsonl",
           "rallypoint": "crisis/extra/rallypoint-reddit-mental-health.jsonl",
           "xstest": "crisis/extra/xstest-prompts.jsonl", "openai": "moderation-openai/openai-moderation-1680.jsonl"}


def shared_data() -> Path:
    """../shared/data beside the checkout (a worktree: pass --data)."""
    return ROOT.parent / "shared" / "data"


def _rows(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def dev_texts(data: Path) -> list[str]:
    return [r["text"] for r in _rows(data / SOURCES["crisis-dev"])]


def audit_texts(data: Path) -> list[str]:
    """The audit's texts, cut at 600 words as the raters read them."""
    by_id = {}
    for prefix, rel in SOURCES.items():
        for r in _rows(data / rel):
            by_id[f"{prefix}:{r['id']}"] = r["text"]
    out = []
    for row in _rows(AUDIT):
        words = by_id[row["id"]].split()
        out.append(" ".join(words[:600]) + " [...]" if len(words) > 600 else by_id[row["id"]])
    return out


def compare(reference: list[float], other: list[float], thresholds: tuple[float, ...]) -> dict[str, Any]:
    """max and p99 |Δp|, and how many texts land on the other side of a threshold."""
    diffs = sorted(abs(a - b) for a, b in zip(reference, other))
    p99 = diffs[min(len(diffs) - 1, int(0.99 * len(diffs)))] if diffs else 0.0
    flips = sum(1 for a, b in zip(reference, other) for t in set(thresholds) if (a >= t) != (b >= t))
    return {"n": len(diffs), "max": diffs[-1] if diffs else 0.0, "p99": p99, "threshold_flips": flips}


def reader_parity(texts: list[str], int8_too: bool = True) -> dict[str, Any]:
    from moderation import crisis_reader, encoder, semantic

    reader = crisis_reader.get()
    base = semantic.model()
    if reader is None or base is None:
        raise SystemExit(f"the reader is unavailable: {crisis_reader.describe()} / {semantic.describe()}")
    th = (reader.thresholds.lo, reader.thresholds.hi)
    with semantic.lock():
        ref = reader.adapters.probabilities(base, texts)
    out: dict[str, Any] = {}
    for name, on in (("fp32", False), ("int8", True))[: 2 if int8_too else 1]:
        model_settings.install(dataclasses.replace(model_settings.current(), encoder_int8=on))
        encoder.reset()
        runner = encoder.get()
        if runner is None:
            raise SystemExit(f"the ONNX path is unavailable: {encoder.describe()}")
        out[name] = compare(ref, runner.probabilities(texts), th)
    model_settings.install(dataclasses.replace(model_settings.current(), encoder_int8=False))
    encoder.reset()
    return out


def screen_parity(texts: list[str]) -> dict[str, Any]:
    from moderation import encoder, screen_many

    got = {}
    for name in ("torch", "onnx"):
        model_settings.install(dataclasses.replace(model_settings.current(), encoder=name))
        encoder.reset()
        got[name] = [(v.risk, v.action) for k in range(0, len(texts), 64)
                     for v in screen_many(texts[k:k + 64], kind="post")]
    flips = sum(1 for a, b in zip(got["torch"], got["onnx"]) if a != b)
    return {"n": len(texts), "tier_or_action_differs": flips}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=shared_data(), help="the shared data folder")
    ap.add_argument("--limit", type=int, default=0, help="read only the first N texts of each set")
    ap.add_argument("--sets", default="tier-audit,crisis-dev", help="which sets, in order")
    ap.add_argument("--screen", action="store_true", help="also compare the whole detector's tiers")
    args = ap.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    data = args.data
    loaders = {"crisis-dev": dev_texts, "tier-audit": audit_texts}
    report: dict[str, Any] = {}
    for name in args.sets.split(","):
        texts = loaders[name](data)
        texts = texts[: args.limit] if args.limit else texts
        report[name] = {"reader": reader_parity(texts)}
        if args.screen:
            report[name]["detector"] = screen_parity(texts)
            model_settings.install(dataclasses.replace(model_settings.current(), encoder="onnx"))
        print(json.dumps({name: report[name]}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
