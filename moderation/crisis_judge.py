"""The crisis judge: a small trained head over the frozen MiniLM encoder
that reads every text, window by window, and predicts the writer's tier and
whether someone else is at risk.

How it reads: ``encoder.window_embeddings`` cuts the text into windows of a
few sentences and embeds each once (shared with the abuse judge). Each
window is read together with the mean of all the text's windows (the
context: a past-tense story, a reply to someone else, a piece of fiction),
by a one-hidden-layer network giving four scores: flag (``concern`` or
above), ``high`` or above, ``imminent``, and someone else at risk. A text's
score is the highest of its windows', so one disclosure in a long, calm post
is not averaged away. Each score is calibrated (Platt scaling fitted on
held-out folds), so the probabilities in the metadata and the findings mean
what they say.

The weights are ``data/crisis_judge.safetensors``; ``data/crisis_judge.json``
holds everything else: the data and licences behind them, the thresholds and
how they were chosen, the calibration and the measured figures. Inference
is numpy only; torch is needed only to train (moderation.tools.train_judge).

Fail safe: if the weights or the encoder cannot load, ``read_many`` raises
``JudgeUnavailable`` and the crisis detector flags the text for a person
rather than passing it (moderation.crisis).
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DATA = Path(__file__).with_name("data")
WEIGHTS = DATA / "crisis_judge.safetensors"
META = DATA / "crisis_judge.json"
OUTPUTS = ("flag", "high", "imminent", "third_party")

_lock = threading.Lock()
_state: dict[str, Any] = {"loaded": False, "judge": None, "why": "not loaded yet"}


def enabled() -> bool:
    """Whether the crisis detector consults the judge (``crisis_judge``,
    KINDRED_CRISIS_JUDGE, on by default). Off, the detector runs the rules
    with the exemplar layer, the head and the reader, as before.
    KINDRED_SEMANTIC=0 (an operator turning MiniLM off) turns it off too:
    the rules alone then read, flagging what they cannot place, as that
    setting always meant. A judge that is on but cannot load holds text."""
    from moderation import settings

    s = settings.current()
    return s.crisis_judge and s.semantic


class JudgeUnavailable(RuntimeError):
    """The judge cannot read; the message says why."""


@dataclass(frozen=True)
class Reading:
    """The judge's reading of one text: calibrated probabilities per output,
    the tier its thresholds give, and the window that scored highest for a
    flag (start, end in the text), for the moderator's reason."""
    p: dict[str, float]
    tier: str
    third_party: bool
    span: tuple[int, int]


class Judge:
    def __init__(self, tensors: dict[str, Any], meta: dict[str, Any]) -> None:
        import numpy as np

        self.np = np
        self.w1, self.b1 = tensors["w1"].astype("float32"), tensors["b1"].astype("float32")
        self.w2, self.b2 = tensors["w2"].astype("float32"), tensors["b2"].astype("float32")
        cal = meta["calibration"]
        self.cal_a = np.array([cal[o]["a"] for o in OUTPUTS], dtype="float64")
        self.cal_b = np.array([cal[o]["b"] for o in OUTPUTS], dtype="float64")
        self.thresholds = {k: float(v) for k, v in meta["thresholds"].items()}
        # The rules' reading the head was trained to see beside the windows
        # (crisis.RULE_FEATURES); none for a head trained without it.
        self.features = tuple(meta.get("rule_features", ()))
        self.caps = meta.get("context_caps", CONTEXT_CAPS)
        self.version = meta["version"]
        self.meta = meta

    def logits(self, emb, feats=None) -> tuple[Any, Any]:
        """Per-output raw scores of the text (max over windows) and, per
        output, which window gave it. ``feats``: the rules' reading of the
        whole text (``crisis.RULE_FEATURES``), given to every window."""
        np = self.np
        emb = np.asarray(emb, dtype="float32")
        ctx = np.broadcast_to(emb.mean(axis=0, keepdims=True), emb.shape)
        parts = [emb, ctx]
        if self.features:
            f = np.zeros(len(self.features), dtype="float32") if feats is None else np.asarray(feats, dtype="float32")
            parts.append(np.broadcast_to(f, (emb.shape[0], f.shape[0])))
        h = np.maximum(np.concatenate(parts, axis=1) @ self.w1.T + self.b1, 0.0)
        z = h @ self.w2.T + self.b2
        return z.max(axis=0), z.argmax(axis=0)

    def probabilities(self, z) -> dict[str, float]:
        np = self.np
        p = 1.0 / (1.0 + np.exp(-(self.cal_a * np.asarray(z, dtype="float64") + self.cal_b)))
        return {o: float(v) for o, v in zip(OUTPUTS, p)}

    def tier(self, p: dict[str, float]) -> str:
        return _tier(p, self.thresholds)

    @staticmethod
    def tier_of(p: dict[str, float], thresholds: dict[str, float]) -> str:
        return _tier(p, thresholds)

    def read(self, emb, spans: list[tuple[int, int]], feats=None) -> Reading:
        z, where = self.logits(emb, feats)
        p = self.probabilities(z)
        k = int(where[OUTPUTS.index("flag")])
        span = spans[k] if k < len(spans) else (0, 0)
        return Reading(p, self.tier(p), p["third_party"] >= self.thresholds["third_party"], span)


RANK = {"none": 0, "concern": 1, "high": 2, "imminent": 3}
TIERS = ("none", "concern", "high", "imminent")
# Which of the judge's outputs speaks to a rule's tier, and which threshold
# the judge must fall below to lower it one step.
_SPEAKS_TO = {1: ("flag", "lower_concern"), 2: ("high", "lower_high"), 3: ("imminent", "lower_imminent")}


def combine(rule_tier: str, p: dict[str, float], t: dict[str, float]) -> str:
    """The final tier from the rules' tier and the judge's probabilities.

    The judge raises freely: every text is read and the higher reading wins.
    It lowers a rule's tier one step at a time, and only while it is
    confident the text is below that step (its probability under the step's
    ``lower_*`` threshold, chosen on held-out folds): a rule's explicit
    evidence stands unless the judge clearly disagrees, because a missed
    crisis costs more than a moderator's glance, and the ``imminent``
    threshold is the strictest of the three."""
    judge = RANK[_tier(p, t)]
    r = RANK.get(rule_tier, 2)
    while r > judge:
        out, lower = _SPEAKS_TO[r]
        if p[out] >= t[lower]:
            break
        r -= 1
    return TIERS[max(r, judge)]


# The tier decision where the judge and the rules' context readers meet, as
# data (reviewable, with generated tests): when the rules read a signal in
# one of these contexts and found nothing of the writer's own now, the
# judge may raise the text at most to the tier given. Only readers measured
# reliable are listed (docs/crisis.md): a denial, a quote, a question or
# talk about people in general, a song or study, a pure hypothetical, a
# figure of speech, "suicidal" said of a thing; a past or recovery story
# caps at concern. "contrast" (a denial that goes on after "but") lifts the
# cap: what follows the "but" is the writer's and the judge reads it.
CONTEXT_CAPS: dict[str, str] = {
    "negated": "none", "quoted": "none", "genre": "none", "generic": "none", "thing": "none",
    "hypothetical": "none", "figure": "none", "past": "concern",
}


def context_cap(rule_tier: str, feats: dict[str, float] | None, caps: dict[str, str] = CONTEXT_CAPS) -> str:
    """The highest tier the judge may raise a text to, given the rules'
    reading (``crisis.RULE_FEATURES`` by name): "imminent" (no cap) unless
    the rules set a signal aside in a listed context and found nothing above
    that cap themselves (a passive wish now beside a denial is the writer's,
    and a current plan beside a past story is read in full), and nobody
    else at risk."""
    if not feats or feats.get("contrast") or feats.get("third"):
        return "imminent"
    found = [caps[k] for k in caps if feats.get(k) and RANK[caps[k]] >= RANK.get(rule_tier, 2)]
    return max(found, key=RANK.__getitem__) if found else "imminent"


def decide(rule_tier: str, p: dict[str, float], t: dict[str, float], feats: dict[str, float] | None = None,
           caps: dict[str, str] | None = CONTEXT_CAPS) -> str:
    """``combine``, with the judge's raise limited by the context table."""
    out = combine(rule_tier, p, t)
    if caps is None or RANK[out] <= RANK.get(rule_tier, 2):
        return out
    cap = context_cap(rule_tier, feats, caps)
    return TIERS[max(RANK.get(rule_tier, 2), min(RANK[out], RANK[cap]))]


def _tier(p: dict[str, float], t: dict[str, float]) -> str:
    """Each tier needs the one below it: a text the judge does not flag is
    never ``high`` on the strength of its ``high`` output alone ("rough day"
    read high at p 0.60 while its flag probability was under threshold)."""
    tier = 0
    for k, out in enumerate(("flag", "high", "imminent"), 1):
        if p[out] < t[out]:
            break
        tier = k
    return TIERS[tier]


def _new() -> Judge:
    try:
        from safetensors.numpy import load_file
    except ImportError as exc:
        raise JudgeUnavailable("safetensors is not installed (pip install -r requirements.txt)") from exc
    if not WEIGHTS.is_file() or not META.is_file():
        raise JudgeUnavailable(f"the judge's weights are missing ({WEIGHTS.name}, {META.name})")
    return Judge(load_file(str(WEIGHTS)), json.loads(META.read_text(encoding="utf-8")))


def get() -> Judge | None:
    """The shipped judge, loaded once per process, or None (and why)."""
    if _state["loaded"]:
        return _state["judge"]
    with _lock:
        if not _state["loaded"]:
            try:
                _state.update(judge=_new(), why="")
            except Exception as exc:
                log.exception("crisis judge failed to load")
                _state.update(judge=None, why=f"{type(exc).__name__}: {exc}")
            _state["loaded"] = True
    return _state["judge"]


def read_many(texts: list[str], judge: Judge | None = None, feats: list[Any] | None = None) -> list[Reading]:
    """Read every text (one encoding pass for the batch). ``feats``: the
    rules' reading of each text (computed here when not given). Raises
    JudgeUnavailable (or the encoder's error) when it cannot: the caller
    must fail safe, never treat that as "none"."""
    from moderation import encoder

    judge = judge or get()
    if judge is None:
        raise JudgeUnavailable(_state["why"])
    texts = [t if isinstance(t, str) else str(t) for t in texts]
    if feats is None and judge.features:
        from moderation import crisis

        feats = [crisis.rule_features(t) for t in texts]
    embs = encoder.window_embeddings(texts)
    return [judge.read(e, encoder.window_spans(t), None if feats is None else feats[i])
            for i, (t, e) in enumerate(zip(texts, embs))]


def describe() -> str:
    if not _state["loaded"]:
        return "crisis judge (not loaded yet)"
    j = _state["judge"]
    return j.version if j is not None else f"unavailable: {_state['why']}"


def reset() -> None:
    with _lock:
        _state.update(loaded=False, judge=None, why="not loaded yet")
