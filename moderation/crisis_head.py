"""A small trained head over MiniLM text embeddings: is this text a
first-person disclosure of suicidal feelings?

Why a head as well as the exemplars: the exemplar margin judges one sentence
against a few dozen hand-written sentences, and on talk *about* the topic
(every development tweet holds the word "suicidal") it could not tell "I'm
so tired of being suicidal" from "suicidal thoughts are common in teens" well
enough. A logistic regression over the whole text's embedding plus what the
rules read (was a signal negated, about someone else, left uncertain) was
measured to separate them much better under cross-validation (see
docs/crisis.md, "Exemplars vs a trained head").

Safety reasoning, the same as the rest of the semantic layer:

* It only ever *raises* a text the rules left at ``none`` to ``concern``
  (a moderator glance, the writer sees support). It never lowers anything.
* It is a linear model over generic features: 384 embedding dimensions and
  10 rule features, no word lists and no text from the data it was trained
  on, so it cannot memorise items. Retrain with ``python -m
  moderation.tools.train_head FILE.jsonl``; the file records how it was trained
  and its cross-validated figures.
* If the file is missing or does not match this code's feature layout, the
  head is off and ``describe()`` says why; the exemplars and rules still run.
"""
from __future__ import annotations

import json
import logging
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

HEAD_FILE = Path(__file__).with_name("data") / "crisis_head.json"
FEATURES = "minilm384+risk4+flags4+counts2"
_TIERS = 4


def features(embedding: list[float], risk: int, self_risk: bool, third: bool,
             uncertain: int, explained: int) -> list[float]:
    """The head's input: the text embedding, then what the rules read."""
    onehot = [1.0 if i == risk else 0.0 for i in range(_TIERS)]
    flags = [float(bool(self_risk)), float(bool(third)), float(uncertain > 0), float(explained > 0)]
    counts = [min(uncertain, 3) / 3, min(explained, 3) / 3]
    return [*embedding, *onehot, *flags, *counts]


@lru_cache(maxsize=1)
def load(path: Path = HEAD_FILE) -> dict[str, Any] | None:
    try:
        head = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("crisis head unavailable: %s", exc)
        return None
    if head.get("features") != FEATURES or len(head.get("weights", ())) != 384 + _TIERS + 6:
        log.warning("crisis head %s does not match feature layout %s; head off", path, FEATURES)
        return None
    return head


def probability(head: dict[str, Any], x: list[float]) -> float:
    z = head["bias"] + math.fsum(w * v for w, v in zip(head["weights"], x))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def describe() -> str:
    head = load()
    return head["version"] if head else "off"
