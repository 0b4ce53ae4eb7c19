"""Train the crisis judge (moderation.crisis_judge):

    python -m moderation.tools.train_judge [--data DIR] [--cache DIR] [--folds 5] [--licensed-only] [--write]

What it learns from (texts are read from the shared data folder at run
time; only ids and verdicts live in the repository):

* GOLD: our own two-rater training labels (docs/audit/tiers-train-2026-12-07.jsonl,
  the items both raters gave the same tier) and the functional suite's
  ``train`` split. Every output is learned from these.
* PROXY labels from the shared sets' own labels, each only for what it can
  say (the rest is masked): OpenAI items not labelled self-harm, XSTest safe
  prompts, DiaSafety turns outside "Risk Ignorance" and rallypoint label-0
  phrases are ``none``; IRF posts with a risk factor and OpenAI self-harm
  items are flagged (``concern`` or above), their exact tier unknown. The
  crowd-labelled twitter and sdcnl sets give no proxy labels: they are
  learned from only through our own two-rater labels, so ``make
  evaluate``'s sdcnl recall, counted on the sdcnl items not in those
  labels, is on posts the judge never saw.

Never trained on: the audited dev set (docs/audit/tiers-2026-12-06.jsonl) and
the suite's ``test`` split, which is what ``make evaluate`` reports on.

Steps: embed every text's windows once (cached under ``--cache``, keyed by the
encoder's export and the text); cross-validate in ``--folds`` folds split by
item id; fit Platt scaling per output on the out-of-fold scores of the gold
items; choose the thresholds and how the judge may lower a rule's finding on
those same out-of-fold readings, with the rules run on every text; fit the
final head on everything and (``--write``) write the weights and metadata.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from moderation import crisis_judge, encoder

REPO = Path(__file__).resolve().parents[2]
TRAIN_TIERS = REPO / "docs" / "audit" / "tiers-train-2026-12-07.jsonl"
DEV_TIERS = REPO / "docs" / "audit" / "tiers-2026-12-06.jsonl"
SUITE = REPO / "moderation" / "data" / "crisis_suite.jsonl"
RANK = {"none": 0, "concern": 1, "high": 2, "imminent": 3}
# The shared sets, their licence as stated beside them (None: none stated).
LICENCES = {
    "crisis-dev": None, "irf": None,
    "diasafety": "Apache-2.0", "rallypoint": "Apache-2.0", "xstest": "CC-BY-4.0", "openai": "MIT",
    "suite": "project's own (written for Kindred)",
}
MASK = -1.0
HIDDEN = 128
EPOCHS = 40
# Proxy labels are noisier than our own: they count for less.
PROXY_WEIGHT = 0.3


def _read(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def cut(text: str, words: int = 600) -> str:
    """Long posts are read up to 600 words, as the raters read them."""
    w = text.split()
    return " ".join(w[:words]) if len(w) > words else text


def _targets(tier: str | None, third: float = MASK, flag: float | None = None) -> list[float]:
    """[flag, high, imminent, third_party]; MASK where the label can't say."""
    if tier is not None:
        r = RANK[tier]
        return [float(r >= 1), float(r >= 2), float(r >= 3), third]
    return [MASK if flag is None else flag, MASK if flag in (None, 1.0) else 0.0,
            MASK if flag in (None, 1.0) else 0.0, third]


def gold_rows(data_dir: Path) -> list[dict[str, Any]]:
    from moderation.tools.evaluate import audit_texts, read_tier_audit

    audit = read_tier_audit(TRAIN_TIERS)
    texts = audit_texts(audit, data_dir)
    rows = []
    for row in audit:
        raters = list(row["raters"].values())
        tiers = {r["tier"] for r in raters}
        if len(tiers) != 1:
            continue  # the raters disagree: not learned from (docs/audit/README.md)
        thirds = {bool(r.get("third_party")) for r in raters}
        third = float(thirds.pop()) if len(thirds) == 1 else MASK
        rows.append({"id": row["id"], "text": cut(texts[row["id"]]), "y": _targets(tiers.pop(), third),
                     "w": 1.0, "source": row["id"].partition(":")[0], "gold": True,
                     "past": all(r.get("past") for r in raters)})
    for c in _read(SUITE):
        if c["split"] != "train":
            continue
        # The lowest tier the case accepts is what it must at least get.
        tier = min(c["accept"], key=RANK.__getitem__)
        y = _targets(tier, float(bool(c["third_party"])))
        if "none" in c["accept"] and len(c["accept"]) > 1:
            y[0] = MASK  # flagging is allowed, not required
        if tier != c["tier"] and RANK[c["tier"]] >= 2:
            y[1] = MASK
        rows.append({"id": "suite:" + c["id"], "text": c["text"], "y": y, "w": 1.0, "source": "suite",
                     "gold": True, "past": bool(c.get("past")) or c["kind"] == "recovery_past"})
    return rows


# Everyday text is most of what a forum reads, and the gold labels
# over-sample risk: the judge first learnt from 400 ordinary turns per set
# and flagged "hello everyone, first post here". Ordinary (proxy-"none")
# rows are drawn up to NEGATIVE_CAP per set and category, positives to CAP.
CAP = 400
NEGATIVE_CAP = 1500


def proxy_rows(data_dir: Path, exclude: set[str], cap: int = CAP,
               negative_cap: int = NEGATIVE_CAP) -> list[dict[str, Any]]:
    """Proxy-labelled rows, at most ``cap`` flagged and ``negative_cap``
    ordinary ones per set and category (a seeded draw): enough to teach what
    the gold items show too rarely, without embedding every long post on a
    shared CPU."""
    import random

    from moderation.tools.evaluate import AUDIT_SETS

    out: list[dict[str, Any]] = []

    def add(name: str, it: dict, y: list[float], category: str = "") -> None:
        key = f"{name}:{it['id']}"
        if key not in exclude:
            out.append({"id": key, "text": cut(it["text"]), "y": y, "w": PROXY_WEIGHT, "source": name,
                        "gold": False, "group": f"{name}/{it.get('source', '')}/{category}/{y}"})

    for it in _read(data_dir / AUDIT_SETS["irf"]):
        if it.get("belong") or it.get("burden"):
            add("irf", it, _targets(None, flag=1.0))
    for it in _read(data_dir / AUDIT_SETS["diasafety"]):
        if it.get("category") != "Risk Ignorance":
            add("diasafety", it, _targets("none"), it.get("category", ""))
    for it in _read(data_dir / AUDIT_SETS["rallypoint"]):
        if it.get("label") == 0:
            add("rallypoint", it, _targets("none"))
    for it in _read(data_dir / AUDIT_SETS["xstest"]):
        if it.get("label") == "safe":
            add("xstest", it, _targets("none"))
    for it in _read(data_dir / AUDIT_SETS["openai"]):
        sh = it.get("labels", {}).get("SH")
        if sh == 1:
            add("openai", it, _targets(None, flag=1.0))
        elif sh == 0:
            add("openai", it, _targets("none"))
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in out:
        groups.setdefault(r.pop("group"), []).append(r)
    rng = random.Random(20261207)
    def limit(key: str) -> int:
        return negative_cap if groups[key][0]["y"][0] == 0 else cap

    return [r for key in sorted(groups)
            for r in (groups[key] if len(groups[key]) <= limit(key) else rng.sample(groups[key], limit(key)))]


def _key(text: str) -> str:
    return hashlib.sha256(encoder.normalised(text).encode()).hexdigest()[:20]


def cache_tag() -> str:
    """Embeddings are reused only for the same path and windowing."""
    return f"{encoder.backend()}{'-int8' if encoder.int8() else ''}-w{encoder.WINDOW_WORDS}-o{encoder.OVERLAP_WORDS}"


def embed_all(texts: list[str], cache: Path, tag: str) -> list[Any]:
    """Window embeddings of every text, through the shipped encoder path,
    cached per text in ``cache`` (a folder of .npy files per encoder tag)."""
    import numpy as np

    folder = cache / tag
    folder.mkdir(parents=True, exist_ok=True)
    out: list[Any] = [None] * len(texts)
    todo = []
    for i, t in enumerate(texts):
        f = folder / f"{_key(t)}.npy"
        if f.is_file():
            out[i] = np.load(f)
        else:
            todo.append(i)
    todo.sort(key=lambda i: len(texts[i]))
    for k in range(0, len(todo), 64):
        idx = todo[k:k + 64]
        for i, e in zip(idx, encoder.window_embeddings([texts[i] for i in idx])):
            out[i] = e.astype("float32")
            np.save(folder / f"{_key(texts[i])}.npy", out[i])
        encoder.clear_cache()
        print(f"  embedded {min(k + 64, len(todo))}/{len(todo)}", file=sys.stderr, flush=True)
    return out


# -- the head (torch only here) ---------------------------------------------------

def _pack(embs: list[Any]):
    import torch

    n, width = len(embs), max(len(e) for e in embs)
    x = torch.zeros((n, width, embs[0].shape[1]))
    mask = torch.zeros((n, width), dtype=torch.bool)
    for i, e in enumerate(embs):
        x[i, :len(e)] = torch.from_numpy(e)
        mask[i, :len(e)] = True
    return x, mask


class Head:
    """Training-time twin of crisis_judge.Judge.logits (same arithmetic)."""

    def __init__(self, dim: int, hidden: int = HIDDEN, seed: int = 0, nfeat: int = 0) -> None:
        import torch

        torch.manual_seed(seed)
        self.nfeat = nfeat
        self.net = torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(2 * dim + nfeat, hidden), torch.nn.ReLU(),
                                       torch.nn.Dropout(0.2), torch.nn.Linear(hidden, len(crisis_judge.OUTPUTS)))

    def forward(self, x, mask, f=None):
        import torch

        m = mask.unsqueeze(-1).float()
        ctx = (x * m).sum(1, keepdim=True) / m.sum(1, keepdim=True).clamp(min=1)
        parts = [x, ctx.expand_as(x)]
        if self.nfeat:
            parts.append(f.unsqueeze(1).expand(-1, x.shape[1], -1))
        z = self.net(torch.cat(parts, dim=-1))
        return z.masked_fill(~mask.unsqueeze(-1), -1e9).max(dim=1).values

    def fit(self, embs, y, w, feats=None, epochs: int = EPOCHS, batch: int = 32) -> "Head":
        import torch

        fx = torch.tensor(feats if feats is not None else [[0.0] * self.nfeat] * len(embs), dtype=torch.float32)
        torch.set_num_threads(1)  # tiny matrices: threads only contend on a shared CPU
        y, w = torch.tensor(y), torch.tensor(w).unsqueeze(-1)
        known = (y != MASK).float()
        # Rare positives (imminent, someone else) weigh more, up to 10x.
        pos = ((y == 1).float() * w).sum(0)
        neg = ((y == 0).float() * w).sum(0)
        pos_weight = (neg / pos.clamp(min=1)).clamp(max=10.0).sqrt()
        # Batches of texts with similar window counts, packed once: padding
        # a chat message to a long post's windows wastes most of the work.
        order = sorted(range(len(embs)), key=lambda i: len(embs[i]))
        batches = [order[k:k + batch] for k in range(0, len(order), batch)]
        packed = [(_pack([embs[i] for i in idx]), torch.tensor(idx)) for idx in batches]
        opt = torch.optim.AdamW(self.net.parameters(), lr=1e-3, weight_decay=1e-3)
        g = torch.Generator().manual_seed(0)
        self.net.train()
        for _ in range(epochs):
            for k in torch.randperm(len(packed), generator=g).tolist():
                (x, mask), idx = packed[k]
                z = self.forward(x, mask, fx[idx])
                weight = known[idx] * w[idx]
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    z, y[idx].clamp(min=0), weight=weight, pos_weight=pos_weight, reduction="sum")
                opt.zero_grad()
                (loss / max(1.0, float(weight.sum()))).backward()
                opt.step()
        self.net.eval()
        return self

    def logits(self, embs, feats=None):
        import numpy as np
        import torch

        fx = torch.tensor(feats if feats is not None else [[0.0] * self.nfeat] * len(embs), dtype=torch.float32)
        out = np.zeros((len(embs), len(crisis_judge.OUTPUTS)), dtype="float32")
        order = sorted(range(len(embs)), key=lambda i: len(embs[i]))
        with torch.no_grad():
            for k in range(0, len(order), 128):
                idx = order[k:k + 128]
                out[idx] = self.forward(*_pack([embs[i] for i in idx]), fx[torch.tensor(idx)]).numpy()
        return out

    def tensors(self) -> dict[str, Any]:
        lin1, lin2 = self.net[1], self.net[4]
        return {"w1": lin1.weight.detach().numpy().copy(), "b1": lin1.bias.detach().numpy().copy(),
                "w2": lin2.weight.detach().numpy().copy(), "b2": lin2.bias.detach().numpy().copy()}


# Where the search starts; every value is then chosen on out-of-fold readings.
DEFAULT_THRESHOLDS = {"flag": 0.5, "high": 0.5, "imminent": 0.5, "third_party": 0.5,
                      "lower_concern": 0.1, "lower_high": 0.1, "lower_imminent": 0.02}
# What the thresholds are chosen for: the targets, as (figure, direction, target).
GOALS = {"flag_recall": (">=", 0.97), "none_flag_rate": ("<=", 0.05), "high_recall": (">=", 0.90),
         "imminent_read_imminent": (">=", 0.85), "past_read_high": ("<=", 0.10),
         # Everyday text (the proxy-"none" rows: chat turns, ordinary posts,
         # safe prompts): the gold labels over-sample risk, so without these
         # the search would buy recall with flags on ordinary posts.
         "everyday_flag_rate": ("<=", 0.05), "everyday_high_rate": ("<=", 0.01)}
_GRID = (0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.85,
         0.9, 0.95)


def figures(rows: list[dict], tiers: list[str]) -> dict[str, float]:
    """The tier targets on gold rows (labels as [flag, high, imminent, ...])."""
    def share(member, hit):
        sel = [t for r, t in zip(rows, tiers) if member(r) and (r.get("gold") or r.get("everyday"))]
        return sum(hit(t) for t in sel) / len(sel) if sel else float("nan")
    at = lambda t, k: RANK[t] >= k  # noqa: E731
    return {
        "flag_recall": share(lambda r: r["y"][0] == 1, lambda t: at(t, 1)),
        "none_flag_rate": share(lambda r: r["y"][0] == 0 and r.get("gold"), lambda t: at(t, 1)),
        "high_recall": share(lambda r: r["y"][1] == 1, lambda t: at(t, 2)),
        "imminent_read_imminent": share(lambda r: r["y"][2] == 1, lambda t: at(t, 3)),
        "past_read_high": share(lambda r: r.get("past"), lambda t: at(t, 2)),
        "everyday_flag_rate": share(lambda r: r.get("everyday"), lambda t: at(t, 1)),
        "everyday_high_rate": share(lambda r: r.get("everyday"), lambda t: at(t, 2)),
    }


# A moderator's queue is the budget: the search may not flag more of the
# rated "none" items than the rules alone did, nor more than 5 % of everyday
# text (issue 16: switched on, the judge must not raise the queue), and an
# excess there costs this many times a point of recall.
BUDGET_WEIGHT = 10.0
LOWER_CAP = {"lower_concern": 0.5, "lower_high": 0.1, "lower_imminent": 0.02}
# A raise to high or imminent queues a post at the top or holds it and opens a
# staff case: the judge must give it real weight, not a probability the
# search found convenient (unfloored, it chose 0.01 for imminent and held
# "I can't do this anymore..." as imminent at p 0.11; at 0.2 it held "I have
# been having suicidal thoughts a lot lately..." at p 0.23, with no plan).
RAISE_FLOOR = {"high": 0.3, "imminent": 0.35}


def shortfall(fig: dict[str, float], budget: dict[str, float] | None = None) -> float:
    """How far the figures are from the goals, summed (0: all met); with
    ``budget``, an excess over it on a flag-rate figure weighs
    BUDGET_WEIGHT times as much."""
    total = 0.0
    for k, (direction, goal) in GOALS.items():
        v = fig.get(k)
        if v is None or v != v:
            continue
        total += max(0.0, goal - v) if direction == ">=" else max(0.0, v - goal)
        if budget and k in budget:
            total += BUDGET_WEIGHT * max(0.0, v - budget[k])
    return total


def choose(rows: list[dict], probs: list[dict[str, float]], rules: list[Any],
           caps: dict[str, str] | None = crisis_judge.CONTEXT_CAPS) -> tuple[dict, dict]:
    """Thresholds by coordinate descent on the out-of-fold readings: the
    combination with the rules (``crisis_judge.decide``, with the context
    table ``caps``) that comes closest to every goal at once; ties go to the
    lower (flag-more) threshold, leaning up when unsure."""
    from moderation import crisis

    t = dict(DEFAULT_THRESHOLDS)
    named = [dict(zip(crisis.RULE_FEATURES, r["f"])) for r in rows]

    def run(th):
        return [crisis_judge.decide(f.risk, p, th, n, caps) for f, p, n in zip(rules, probs, named)]

    rules_fig = figures(rows, [f.risk for f in rules])
    budget = {"none_flag_rate": rules_fig["none_flag_rate"], "everyday_flag_rate": max(0.05, rules_fig["everyday_flag_rate"]),
              "everyday_high_rate": max(0.01, rules_fig["everyday_high_rate"])}
    best = shortfall(figures(rows, run(t)), budget)
    for _ in range(3):
        for key in ("flag", "high", "imminent", "lower_concern", "lower_high", "lower_imminent"):
            for v in _GRID:
                if v < RAISE_FLOOR.get(key, 0.0):
                    continue  # safety, not fitted: see RAISE_FLOOR
                if key.startswith("lower_") and v > LOWER_CAP[key]:
                    # Safety, not fitted: the judge lowers a rule's finding
                    # only when it is confident, and the rules' imminent
                    # evidence needs the strongest disagreement.
                    continue
                trial = dict(t, **{key: v})
                s = shortfall(figures(rows, run(trial)), budget)
                if s < best - 1e-9 or (abs(s - best) <= 1e-9 and v < t[key]):
                    best, t = s, trial
    # Someone else at risk: the threshold with the best F1 on the gold items
    # that say either way.
    known = [(p["third_party"], r["y"][3]) for r, p in zip(rows, probs) if r["y"][3] != MASK]
    def f1(th):
        tp = sum(p >= th and y == 1 for p, y in known)
        fp = sum(p >= th and y == 0 for p, y in known)
        fn = sum(p < th and y == 1 for p, y in known)
        return 2 * tp / max(1, 2 * tp + fp + fn)
    t["third_party"] = max(_GRID, key=lambda th: (f1(th), -th))
    tiers = run(t)
    judge_only = [crisis_judge.Judge.tier_of(p, t) for p in probs]
    rules_only = [f.risk for f in rules]
    report = {"combined": figures(rows, tiers), "judge_only": figures(rows, judge_only),
              "rules_only": figures(rows, rules_only), "third_party_f1": round(f1(t["third_party"]), 4),
              "n_gold": len(rows)}
    report = {k: ({kk: round(vv, 4) for kk, vv in v.items()} if isinstance(v, dict) else v) for k, v in report.items()}
    return t, report


def fold_of(item_id: str, folds: int) -> int:
    return int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % folds


def platt(z, y) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4, max_iter=1000).fit(z.reshape(-1, 1), y)
    return {"a": float(lr.coef_[0][0]), "b": float(lr.intercept_[0])}


def training_rows(data_dir: Path, licensed_only: bool = False, proxies: bool = True) -> list[dict[str, Any]]:
    gold = gold_rows(data_dir)
    dev_ids = {r["id"] for r in _read(DEV_TIERS)}
    rows = gold + (proxy_rows(data_dir, dev_ids | {r["id"] for r in gold}) if proxies else [])
    if licensed_only:
        rows = [r for r in rows if LICENCES.get(r["source"])]
    assert not dev_ids & {r["id"] for r in rows}, "a dev item is in the training data"
    return rows


def cross_validate(rows: list[dict[str, Any]], embs: list[Any], folds: int = 5,
                   caps: dict[str, str] | None = crisis_judge.CONTEXT_CAPS, oof=None, **fit) -> dict[str, Any]:
    """Out-of-fold scores for every row (each from a head that never saw
    it), the calibration fitted on the gold rows' scores, and the
    thresholds chosen on them with the rules' tiers."""
    import numpy as np

    from moderation import crisis

    y = np.array([r["y"] for r in rows], dtype="float32")
    w = np.array([r["w"] for r in rows], dtype="float32")
    fx = np.array([r["f"] for r in rows], dtype="float32")
    fold = np.array([fold_of(r["id"], folds) for r in rows])
    train = oof is None
    if train:
        oof = np.zeros_like(y)
    for f in range(folds if train else 0):
        tr, te = np.where(fold != f)[0], np.where(fold == f)[0]
        head = Head(embs[0].shape[1], nfeat=fx.shape[1]).fit([embs[i] for i in tr], y[tr], w[tr], fx[tr], **fit)
        oof[te] = head.logits([embs[i] for i in te], fx[te])
        print(f"  fold {f + 1}/{folds}", file=sys.stderr, flush=True)
    gi = np.array([i for i, r in enumerate(rows) if r["gold"]])
    cal = {o: platt(oof[gi[y[gi, k] != MASK], k], y[gi[y[gi, k] != MASK], k])
           for k, o in enumerate(crisis_judge.OUTPUTS)}
    for r in rows:
        r["everyday"] = not r["gold"] and r["y"][0] == 0
    gi = np.array([i for i, r in enumerate(rows) if r["gold"] or r["everyday"]])
    scorer = crisis_judge.Judge({"w1": np.zeros((1, 1)), "b1": np.zeros(1), "w2": np.zeros((1, 1)),
                                 "b2": np.zeros(1)}, {"calibration": cal, "thresholds": DEFAULT_THRESHOLDS,
                                                     "version": "cv"})
    probs = [scorer.probabilities(oof[i]) for i in gi]
    rules = [crisis.analyse_rules(rows[i]["text"]) for i in gi]
    chosen, report = choose([rows[i] for i in gi], probs, rules, caps)
    return {"calibration": cal, "thresholds": chosen, "report": report, "oof": oof}


def fit_final(rows: list[dict[str, Any]], embs: list[Any], **fit) -> Head:
    import numpy as np

    y = np.array([r["y"] for r in rows], dtype="float32")
    w = np.array([r["w"] for r in rows], dtype="float32")
    fx = np.array([r["f"] for r in rows], dtype="float32")
    return Head(embs[0].shape[1], nfeat=fx.shape[1]).fit(embs, y, w, fx, **fit)


def main(argv: list[str] | None = None) -> int:
    from moderation.tools.evaluate import DEFAULT_DATA

    ap = argparse.ArgumentParser(prog="python -m moderation.tools.train_judge", description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache", type=Path, default=REPO / "instance" / "cache" / "judge-train")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--licensed-only", action="store_true",
                    help="learn only from texts whose publisher states a licence (and our own)")
    ap.add_argument("--no-proxy", action="store_true", help="gold labels only")
    ap.add_argument("--write", action="store_true", help="write the weights and metadata into moderation/data/")
    args = ap.parse_args(argv)
    rows = training_rows(args.data, args.licensed_only, not args.no_proxy)
    print(f"{len(rows)} texts ({sum(r['gold'] for r in rows)} gold)", file=sys.stderr)
    from moderation import crisis

    for r in rows:
        r["f"] = crisis.rule_features(r["text"])
    embs = embed_all([r["text"] for r in rows], args.cache, cache_tag())
    cv = cross_validate(rows, embs, args.folds)
    print(json.dumps(cv["report"], indent=1), file=sys.stderr)
    if args.write:
        write(fit_final(rows, embs), rows, cv, args.licensed_only)
    return 0


def write(final: Head, rows: list[dict[str, Any]], cv: dict[str, Any], licensed_only: bool) -> None:
    from moderation import crisis

    sources = sorted({r["source"] for r in rows})
    meta = {
        "version": f"judge-{date.today():%Y%m%d}" + ("-licensed" if licensed_only else ""),
        "what": "crisis judge: a head over frozen all-MiniLM-L6-v2 window embeddings (moderation/crisis_judge.py)",
        "encoder": {"model": "sentence-transformers/all-MiniLM-L6-v2 (frozen)", "windows": cache_tag()},
        "outputs": list(crisis_judge.OUTPUTS), "hidden": HIDDEN, "epochs": EPOCHS,
        "rule_features": list(crisis.RULE_FEATURES),
        "data": {s: {"texts": sum(r["source"] == s for r in rows),
                     "gold": sum(r["source"] == s and r["gold"] for r in rows),
                     "licence": LICENCES.get(s) or "none stated by the publisher"} for s in sources},
        "labels": {"gold": [TRAIN_TIERS.name + " (items both raters agree on)", SUITE.name + " (train split)"],
                   "proxy_weight": PROXY_WEIGHT},
        "never_trained_on": [DEV_TIERS.name, SUITE.name + " (test split)"],
        "calibration": {"method": "Platt scaling per output on out-of-fold scores of the gold items",
                        **cv["calibration"]},
        "thresholds": cv["thresholds"],
        "thresholds_chosen": "on the out-of-fold readings, closest to the issue's goals with no more rated 'none' "
                             "items flagged than the rules alone and at most 5 % of everyday text "
                             f"(an excess weighs {BUDGET_WEIGHT:g}x); lowering capped by LOWER_CAP {LOWER_CAP}; "
                             f"raising floored by RAISE_FLOOR {RAISE_FLOOR}",
        "context_caps": crisis_judge.CONTEXT_CAPS,
        "cross_validated": cv["report"],
    }
    from safetensors.numpy import save_file

    save_file(final.tensors(), str(crisis_judge.WEIGHTS))
    crisis_judge.META.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {crisis_judge.WEIGHTS} and {crisis_judge.META}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
