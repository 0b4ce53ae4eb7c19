"""The crisis reader: MiniLM with low-rank adapters, fine-tuned to read a
whole text that talks about suicide and say whether the writer is
disclosing their own suicidal feelings.

Why a fine-tuned reader as well as the head (``crisis_head``): the head
sees the base model's embedding, which was trained for topic similarity,
and on texts that all mention suicide the topic swamps who is speaking.
Tuning the encoder itself to this one question was measured to separate
disclosures from talk about the topic much better (docs/crisis.md,
"The fine-tuned reader").

What it may do, and why (the detector applies it, ``crisis._apply_reader``):

* **Raise**: a text with a topic word the rules could not place
  ("suicidal" with nobody attached; the texts the head reads) goes from
  ``none`` to ``concern`` when the reader is confident (p >= ``hi``), and
  there the reader's reading replaces the head's.
  That is a moderator's glance and support shown to the writer. Not where
  the rules read a denial, a quote, a hypothetical, a headline, song or
  question to others, or a figure of speech: those readings stand.
* **Overrule**, narrowly: a rules flag whose *only* evidence is the bare
  topic word ("suicidal", "suicidal thoughts") in a sentence that neither
  names the writer (I, me, my...) nor opens with their unnamed feeling
  ("Feeling suicidal again", "So suicidal") is set aside when the reader is
  confident it is talk about the topic (p < ``lo``): "lockdowns are
  making dogs suicidal", a headline, a named public figure. A first-person
  statement, self-harm, a plan, means, a goodbye, an act, or any sentence
  that names the writer is never overruled: missing a disclosure costs far
  more than a moderator's glance.
* Anything else stands as the rules read it. Without the reader (package
  missing, file missing, hash mismatch, disabled) the rules and head run as
  before, and ``describe()`` says why.

The adapters are a few hundred thousand weights next to MiniLM's 22
million: forward hooks add ``scale * B(A(x))`` to every linear layer of the
encoder while the reader runs, and do nothing otherwise, so a process keeps
one copy of MiniLM for the exemplars, the head and the reader. The file is
pinned by its SHA-256 in ``crisis_reader.json``; training writes both
(``python -m moderation.tools.train_reader``).

Thread safety: the reader runs under the semantic layer's lock, the same
one that guards the base model, so no other call sees the hooks switched on.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moderation import semantic
from moderation import settings as model_settings

log = logging.getLogger(__name__)

READER_FILE = Path(__file__).with_name("data") / "crisis_reader.safetensors"
META_FILE = READER_FILE.with_suffix(".json")
# Every linear layer of each encoder block: attention in and out, and the
# feed-forward pair. Measured against bias terms only (BitFit) and adapters
# on the attention alone; these gave the best held-out AUC (docs/crisis.md).
TARGETS = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
           "intermediate.dense", "output.dense")
MAX_TOKENS = semantic.MAX_TOKENS

_state: dict[str, Any] = {"loaded": False, "reader": None, "why": "not loaded yet"}


class ReaderUnavailable(RuntimeError):
    """The reader cannot be used; the message says why."""


@dataclass(frozen=True)
class Thresholds:
    lo: float  # below this, a bare-topic-word flag that doesn't name the writer may be set aside
    hi: float  # at or above this, a text with a topic word the rules left at none is raised


def target_modules(model) -> list[tuple[str, Any]]:
    """The encoder's linear layers that carry adapters, in a stable order."""
    out = []
    for name, module in model.named_modules():
        parts = name.split(".", 3)
        if len(parts) == 4 and parts[:2] == ["encoder", "layer"] and parts[3] in TARGETS:
            out.append((name, module))
    return out


class Adapters:
    """Low-rank adapters on a shared MiniLM, plus the output layer.

    ``active`` switches the hooks on for one call; the base model's own
    callers (exemplars, head) see the unchanged model otherwise."""

    def __init__(self, model, rank: int, alpha: float, tensors: dict[str, Any] | None = None) -> None:
        import torch

        self.torch = torch
        self.scale = alpha / rank
        self.active = False
        self.params: dict[str, Any] = {}
        self._handles = []
        gen = torch.Generator().manual_seed(0)
        for name, layer in target_modules(model):
            if tensors is None:
                # The usual LoRA start: A small and random, B zero, so the
                # adapted model starts exactly at the base model.
                a = torch.randn(rank, layer.in_features, generator=gen) / layer.in_features ** 0.5
                b = torch.zeros(layer.out_features, rank)
            else:
                a, b = tensors[f"{name}.A"].float(), tensors[f"{name}.B"].float()
                if a.shape != (rank, layer.in_features) or b.shape != (layer.out_features, rank):
                    raise ReaderUnavailable(f"adapter {name} has the wrong shape for this model")
            self.params[f"{name}.A"] = torch.nn.Parameter(a, requires_grad=tensors is None)
            self.params[f"{name}.B"] = torch.nn.Parameter(b, requires_grad=tensors is None)
            self._handles.append(layer.register_forward_hook(self._hook(name)))
        if not self._handles:
            self.detach()
            raise ReaderUnavailable("the model has no layers the adapters fit")
        if tensors is None:
            w, bias = torch.zeros(1, semantic.DIMENSION), torch.zeros(1)
        else:
            w, bias = tensors["out.weight"].float(), tensors["out.bias"].float()
        self.params["out.weight"] = torch.nn.Parameter(w, requires_grad=tensors is None)
        self.params["out.bias"] = torch.nn.Parameter(bias, requires_grad=tensors is None)

    def _hook(self, name: str):
        a_key, b_key = f"{name}.A", f"{name}.B"

        def hook(_module, inputs, output):
            if not self.active:
                return None
            return output + (inputs[0] @ self.params[a_key].T @ self.params[b_key].T) * self.scale
        return hook

    def detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def adapter_params(self) -> list[Any]:
        return [p for k, p in self.params.items() if not k.startswith("out.")]

    def out_params(self) -> list[Any]:
        return [self.params["out.weight"], self.params["out.bias"]]

    def logits(self, model, enc):
        """The reader's logit per text (grad-enabled when training)."""
        self.active = True
        try:
            hidden = model(**enc).last_hidden_state
        finally:
            self.active = False
        pooled = semantic.pool(hidden, enc["attention_mask"])
        return (pooled @ self.params["out.weight"].T + self.params["out.bias"]).squeeze(-1)

    def probabilities(self, base, texts: list[str]) -> list[float]:
        """Reads texts in batches of similar length, as the base model does."""
        torch = self.torch
        out = [0.0] * len(texts)
        with torch.inference_mode():
            for idx in semantic.sorted_batches(texts):
                enc = base.encode([texts[i] for i in idx])
                for i, p in zip(idx, torch.sigmoid(self.logits(base.model, enc)).tolist()):
                    out[i] = p
        return out

    def state(self, dtype=None) -> dict[str, Any]:
        return {k: (p.detach().to(dtype) if dtype is not None else p.detach()).contiguous()
                for k, p in self.params.items()}


class Reader:
    def __init__(self, adapters: Adapters, thresholds: Thresholds, version: str) -> None:
        self.adapters, self.thresholds, self.version = adapters, thresholds, version


def read_meta(path: Path = META_FILE) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReaderUnavailable(f"reader metadata unreadable: {exc}") from exc


def load_reader(weights: Path = READER_FILE, meta_path: Path = META_FILE) -> Reader:
    """Load adapters onto the shared MiniLM; raises ReaderUnavailable."""
    if not model_settings.current().reader:
        raise ReaderUnavailable("disabled by KINDRED_READER")
    meta = read_meta(meta_path)
    if not weights.is_file():
        raise ReaderUnavailable(f"reader weights missing at {weights}")
    digest = semantic.sha256_of(weights)
    if digest != meta.get("sha256"):
        raise ReaderUnavailable(f"{weights.name} sha256 {digest[:12]}... does not match the pinned "
                                f"{str(meta.get('sha256'))[:12]}...")
    if meta.get("base_sha256") != semantic.MODEL_SHA256:
        raise ReaderUnavailable("the reader was trained on a different MiniLM revision")
    return adapters_from(weights, int(meta["rank"]), float(meta["alpha"]),
                         Thresholds(float(meta["lo"]), float(meta["hi"])), str(meta["version"]))


def adapters_from(weights: Path, rank: int, alpha: float, thresholds: Thresholds, version: str) -> Reader:
    """Hang the adapters in ``weights`` on the shared MiniLM (no checks:
    ``load_reader`` checks the shipped file; training reads back its own)."""
    base = semantic.model()
    if base is None:
        raise ReaderUnavailable(f"MiniLM unavailable: {semantic.describe()}")
    from safetensors.torch import load_file

    return Reader(Adapters(base.model, rank, alpha, load_file(str(weights))), thresholds, version)


def _load() -> Reader | None:
    return semantic.load_once(_state, "reader", load_reader, ReaderUnavailable, "crisis reader")


def get() -> Reader | None:
    """The loaded reader, or None (loads lazily on first use)."""
    return _load()


def probabilities(texts: list[str], reader: Reader | None = None) -> list[float] | None:
    """The reader's probability that each text is the writer's own
    disclosure; None when the reader is unavailable."""
    reader = reader or _load()
    base = semantic.model()
    if reader is None or base is None:
        return None
    if not texts:
        return []
    runner = None
    if reader is _state["reader"]:  # the shipped reader: a training fold runs on torch
        from moderation import encoder
        runner = encoder.get()
    with semantic.lock():
        if runner is not None and runner.reader is not None:
            return runner.probabilities(list(texts))
        return reader.adapters.probabilities(base, list(texts))


def describe() -> str:
    """For engine_info(): which reader ran, or why none did (no forced load)."""
    if not _state["loaded"]:
        return "not loaded yet"
    r = _state["reader"]
    return r.version if r is not None else f"unavailable: {_state['why']}"


def reset() -> None:
    """Forget the loaded reader (tests use this), and the ONNX graphs built
    from it."""
    from moderation import encoder

    with semantic.lock():
        encoder.reset()
        r = _state["reader"]
        if r is not None:
            r.adapters.detach()
        _state.update(loaded=False, reader=None, why="not loaded yet")
