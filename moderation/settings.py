"""The settings moderation's models run with.

Nothing in ``moderation`` reads the environment: config.py reads every
setting (README's settings table), the forum installs these with
``moderation.configure`` when it starts, the offline tools install them on
import (``moderation.tools``), and tests install their own with ``using``.
"""
from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterator


@dataclass(frozen=True)
class DetoxifySettings:
    """Where Detoxify's weights come from."""

    model_type: str = "original"     # KINDRED_DETOXIFY_MODEL
    checkpoint: str | None = None    # KINDRED_DETOXIFY_CHECKPOINT (trusted: torch.load unpickles it)
    config_dir: str | None = None    # KINDRED_DETOXIFY_CONFIG_DIR (the transformer's config + tokenizer)
    allow_download: bool = False     # KINDRED_DETOXIFY_DOWNLOAD
    threads: int | None = None       # torch threads for this model; None: ModelSettings.torch_threads


@dataclass(frozen=True)
class ModelSettings:
    semantic: bool = True              # KINDRED_SEMANTIC: the MiniLM crisis model
    reader: bool = True                # KINDRED_READER: the crisis reader's adapters
    abuse_judge: bool = False          # KINDRED_ABUSE_JUDGE
    crisis_judge: bool = False         # KINDRED_CRISIS_JUDGE: the learned crisis judge reads every text (docs/crisis.md: why off)
    encoder: str = "onnx"              # KINDRED_ENCODER: onnx or torch
    encoder_int8: bool = False         # KINDRED_ENCODER_INT8
    encoder_cache: str | None = None   # KINDRED_ENCODER_CACHE; None: <instance_dir>/cache
    instance_dir: str | None = None    # KINDRED_INSTANCE_DIR; None: instance/ in the checkout
    minilm_dir: str | None = None      # KINDRED_MINILM_DIR; None: the packaged model
    torch_threads: int | None = None   # KINDRED_TORCH_THREADS; None: min(2, CPUs)
    detoxify: DetoxifySettings = field(default_factory=DetoxifySettings)


_current = ModelSettings()


def current() -> ModelSettings:
    return _current


def install(settings: ModelSettings) -> ModelSettings:
    global _current
    _current = settings
    return settings


@contextlib.contextmanager
def using(**changes: Any) -> Iterator[ModelSettings]:
    """Run with some settings changed, then put the old ones back (a tool
    measuring one model; tests)."""
    before = _current
    install(dataclasses.replace(before, **changes))
    try:
        yield _current
    finally:
        install(before)
