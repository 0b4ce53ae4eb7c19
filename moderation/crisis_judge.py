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
        self.version = meta["version"]
        self.meta = meta

    def logits(self, emb) -> tuple[Any, Any]:
        """Per-output raw scores of the text (max over windows) and, per
        output, which window gave it."""
        np = self.np
        emb = np.asarray(emb, dtype="float32")
        ctx = np.broadcast_to(emb.mean(axis=0, keepdims=True), emb.shape)
        h = np.maximum(np.concatenate([emb, ctx], axis=1) @ self.w1.T + self.b1, 0.0)
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

    def read(self, emb, spans: list[tuple[int, int]]) -> Reading:
        z, where = self.logits(emb)
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


def _tier(p: dict[str, float], t: dict[str, float]) -> str:
    if p["imminent"] >= t["imminent"]:
        return "imminent"
    if p["high"] >= t["high"]:
        return "high"
    return "concern" if p["flag"] >= t["flag"] else "none"


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


def read_many(texts: list[str], judge: Judge | None = None) -> list[Reading]:
    """Read every text (one encoding pass for the batch). Raises
    JudgeUnavailable (or the encoder's error) when it cannot: the caller
    must fail safe, never treat that as "none"."""
    from moderation import encoder

    judge = judge or get()
    if judge is None:
        raise JudgeUnavailable(_state["why"])
    texts = [t if isinstance(t, str) else str(t) for t in texts]
    embs = encoder.window_embeddings(texts)
    return [judge.read(e, encoder.window_spans(t)) for t, e in zip(texts, embs)]


def describe() -> str:
    if not _state["loaded"]:
        return "crisis judge (not loaded yet)"
    j = _state["judge"]
    return j.version if j is not None else f"unavailable: {_state['why']}"


def reset() -> None:
    with _lock:
        _state.update(loaded=False, judge=None, why="not loaded yet")
