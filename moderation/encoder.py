"""The MiniLM encoder through ONNX Runtime (the fast path), with the
PyTorch path as its reference and fallback.

What runs is the same network as the PyTorch path: for the crisis reader,
MiniLM with the reader's low-rank adapters merged into its weights
(``W + scale * B @ A``, which is what the hooks add) plus its output layer;
for the exemplar layer, plain MiniLM with its mean-pool. Each graph is
exported with ``torch.onnx.export`` from the installed model and adapter
files on first load, into a cache folder; its file name carries a hash of
everything it was built from (weights' pinned hashes, library versions,
this module's export version), so a changed input builds a new file rather
than reusing a stale one.

Fail safe, never unscreened: if onnxruntime is missing, the export fails or
the cache is unwritable, the PyTorch path runs instead and ``describe()``
says why.

Settings (read from the environment, listed in config.SETTINGS):

KINDRED_ENCODER         onnx (default) or torch
KINDRED_ENCODER_CACHE   where exported graphs are kept (default instance/cache)
KINDRED_ENCODER_INT8    1 to run the reader's graph quantised to int8;
                        default 0 (see docs/crisis.md for why)

Public API for the learned judges (crisis, abuse): ``windows(text)`` cuts a
text into windows of a few sentences, and ``window_embeddings(texts)``
returns each text's window embeddings (numpy, unit length), encoding each
distinct text once: a small cache keyed by the normalised text lets the
second judge of the same message reuse the first one's encoding pass.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import unicodedata
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Any

from moderation import settings as model_settings
from moderation.patterns import compile_linear

log = logging.getLogger(__name__)

# Bump when the exported graph changes shape or meaning: old files go stale.
EXPORT_VERSION = "1"
BACKENDS = ("onnx", "torch")
_FALSE = ("0", "off", "false", "no")

_state: dict[str, Any] = {"loaded": False, "runner": None, "why": "not loaded yet"}


class EncoderUnavailable(RuntimeError):
    """The ONNX path cannot be used; the message says why."""


def backend() -> str:
    value = model_settings.current().encoder.strip().lower() or "onnx"
    return value if value in BACKENDS else "onnx"


def int8() -> bool:
    return model_settings.current().encoder_int8


def cache_dir() -> Path:
    s = model_settings.current()
    if s.encoder_cache:
        return Path(s.encoder_cache)
    instance = s.instance_dir or str(Path(__file__).resolve().parent.parent / "instance")
    return Path(instance) / "cache"


def _versions() -> dict[str, str]:
    import onnxruntime
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "onnxruntime": onnxruntime.__version__, "export": EXPORT_VERSION}


def content_hash(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


class _Graph:
    """A torch module built lazily (torch is imported only for export)."""

    @staticmethod
    def build(model, out_weight=None, out_bias=None):
        import torch

        from moderation import semantic

        class Graph(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model
                self.out_weight, self.out_bias = out_weight, out_bias

            def forward(self, input_ids, attention_mask, token_type_ids):
                hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                    token_type_ids=token_type_ids).last_hidden_state
                pooled = semantic.pool(hidden, attention_mask)
                if self.out_weight is None:
                    return pooled
                return (pooled @ self.out_weight.T + self.out_bias).squeeze(-1)

        return Graph().eval()


def merged_copy(model, adapters):
    """A copy of MiniLM with the reader's adapters folded into its weights:
    the hook adds ``x @ A.T @ B.T * scale``, which is ``x @ (scale*B@A).T``."""
    import copy

    import torch

    from moderation import crisis_reader

    merged = copy.deepcopy(model)
    with torch.no_grad():
        for name, layer in crisis_reader.target_modules(merged):
            a, b = adapters.params[f"{name}.A"], adapters.params[f"{name}.B"]
            layer.weight += adapters.scale * (b @ a)
    return merged.eval()


def export(graph, path: Path) -> None:
    """Export a graph to ONNX at ``path`` (written to a temporary name
    first, so a half-written file never looks finished)."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    ids = torch.ones((2, 8), dtype=torch.long)
    dynamic = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
               "token_type_ids": {0: "batch", 1: "tokens"}}
    fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        # Tracing warns about the model's shape checks turning constant;
        # the axes that vary are declared dynamic, and parity is tested.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(graph, (ids, torch.ones_like(ids), torch.zeros_like(ids)), tmp,
                              input_names=["input_ids", "attention_mask", "token_type_ids"],
                              output_names=["out"], dynamic_axes=dynamic, opset_version=17, dynamo=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def quantise(src: Path, dst: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fd, tmp = tempfile.mkstemp(prefix=dst.stem, suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        quantize_dynamic(str(src), tmp, weight_type=QuantType.QInt8)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def session(path: Path):
    import onnxruntime as ort

    from moderation.toxicity import torch_threads

    opts = ort.SessionOptions()
    # The same thread budget as the torch path (KINDRED_TORCH_THREADS).
    opts.intra_op_num_threads = torch_threads()
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


class Runner:
    """ONNX sessions for the exemplar embeddings and the crisis reader,
    fed by MiniLM's own tokenizer."""

    def __init__(self, tokenizer, embed_path: Path, reader_path: Path | None, names: dict[str, str]) -> None:
        self.tokenizer = tokenizer
        self.embedder = session(embed_path)
        self.reader = session(reader_path) if reader_path is not None else None
        self.names = names

    def _run(self, sess, sentences: list[str]):
        from moderation import semantic

        enc = self.tokenizer(sentences, padding=True, truncation=True, max_length=semantic.MAX_TOKENS,
                             return_tensors="np")
        feed = {"input_ids": enc["input_ids"].astype("int64"),
                "attention_mask": enc["attention_mask"].astype("int64"),
                "token_type_ids": enc.get("token_type_ids", enc["attention_mask"] * 0).astype("int64")}
        return sess.run(None, feed)[0]

    def embed(self, sentences: list[str]):
        """Unit-length embeddings as a torch tensor (as the torch path gives)."""
        import torch

        return torch.from_numpy(self.embed_np(sentences))

    def embed_np(self, sentences: list[str]):
        return self._run(self.embedder, sentences).astype("float32", copy=True)

    def probabilities(self, texts: list[str]) -> list[float]:
        import numpy as np

        from moderation import semantic

        out = [0.0] * len(texts)
        for idx in semantic.sorted_batches(texts):
            logits = self._run(self.reader, [texts[i] for i in idx])
            for i, p in zip(idx, (1.0 / (1.0 + np.exp(-logits.astype("float64")))).tolist()):
                out[i] = float(p)
        return out


def _build(base, reader) -> Runner:
    if backend() == "torch":
        raise EncoderUnavailable("KINDRED_ENCODER=torch")
    try:
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise EncoderUnavailable("onnxruntime is not installed (pip install -r requirements.txt)") from exc
    from moderation import crisis_reader, semantic

    folder = cache_dir()
    common = dict(_versions(), base=semantic.MODEL_SHA256)
    embed_path = folder / f"minilm-{content_hash(common)}.onnx"
    if not embed_path.is_file():
        export(_Graph.build(base.model), embed_path)
    names = {"embed": embed_path.name}
    reader_path = None
    if reader is not None:
        meta = crisis_reader.read_meta()
        parts = dict(common, reader=meta.get("sha256"), rank=meta.get("rank"), alpha=meta.get("alpha"))
        fp32 = folder / f"reader-{content_hash(parts)}.onnx"
        if not fp32.is_file():
            ad = reader.adapters
            export(_Graph.build(merged_copy(base.model, ad), ad.params["out.weight"].detach(),
                                ad.params["out.bias"].detach()), fp32)
        reader_path = fp32
        if int8():
            reader_path = fp32.with_name(fp32.stem + "-int8.onnx")
            if not reader_path.is_file():
                quantise(fp32, reader_path)
        names["reader"] = reader_path.name
    return Runner(base.tokenizer, embed_path, reader_path, names)


def get():
    """The shared ONNX runner, built once per process (under the model
    lock), or None: then callers use the PyTorch path."""
    from moderation import crisis_reader, semantic

    if _state["loaded"]:
        return _state["runner"]
    if backend() == "torch":  # chosen, not a failure: nothing to log
        _state.update(loaded=True, runner=None, why="KINDRED_ENCODER=torch")
        return None
    base = semantic.model()
    if base is None:
        return None
    reader = crisis_reader.get()
    return semantic.load_once(_state, "runner", lambda: _build(base, reader), EncoderUnavailable,
                              "ONNX encoder")


def describe() -> str:
    if not _state["loaded"]:
        return f"{backend()} (not loaded yet)"
    r = _state["runner"]
    if r is None:
        return f"torch ({_state['why']})"
    return "onnx " + " ".join(f"{k}={v}" for k, v in sorted(r.names.items()))


def reset() -> None:
    from moderation import semantic

    with semantic.lock():
        _state.update(loaded=False, runner=None, why="not loaded yet")
    clear_cache()


# -- windows: what the judges read --------------------------------------------------

# A window is a few sentences, at most this many words (about 70 word
# pieces, inside the 128 the model reads): MiniLM was trained on short texts,
# and a disclosure in the middle of a long post must not be averaged away.
WINDOW_WORDS = 48
# Overlap: a window after the first starts with the last sentence of the
# one before when that sentence is short ("Tonight." after "I've decided."),
# so a statement split over two sentences is still read together; longer
# sentences stand on their own and are not read twice (reading costs time
# in proportion to the words read). A sentence longer than a window is cut
# into word chunks overlapping by CHUNK_OVERLAP words.
OVERLAP_WORDS = 12
CHUNK_OVERLAP = 12
CACHE_SIZE = 1024

_SENTENCE = compile_linear(r"[^\n.!?]+(?:[.!?]+|\n|$)", engine="re",
                           why="the run stops where its ending starts, so nothing after it can fail")
_WORD = compile_linear(r"\S+", engine="re", why="one class run with nothing after it")
_cache: OrderedDict[str, Any] = OrderedDict()
_cache_lock = threading.Lock()


def normalised(text: str) -> str:
    """The cache key: NFC, spaces collapsed, blank lines dropped (line
    breaks stay: they end sentences in chat-style posts)."""
    nfc = unicodedata.normalize("NFC", text if isinstance(text, str) else str(text))
    return "\n".join(line for line in (" ".join(l.split()) for l in nfc.splitlines()) if line)


def window_spans(text: str) -> list[tuple[int, int]]:
    """Where each window lies in ``text`` (start, end): whole sentences,
    packed up to WINDOW_WORDS words; a short text is one window."""
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if len(words) <= WINDOW_WORDS:
        return [(words[0][0], words[-1][1])] if words else [(0, 0)]
    pieces: list[list[tuple[int, int]]] = []
    for sent in _SENTENCE.finditer(text):
        ws = [(sent.start() + m.start(), sent.start() + m.end()) for m in _WORD.finditer(sent.group())]
        if len(ws) <= WINDOW_WORDS:
            if ws:
                pieces.append(ws)
            continue
        step = WINDOW_WORDS - CHUNK_OVERLAP
        for k in range(0, len(ws), step):
            pieces.append(ws[k:k + WINDOW_WORDS])
            if k + WINDOW_WORDS >= len(ws):
                break
    out: list[tuple[int, int]] = []
    i = 0
    while i < len(pieces):
        j, size = i, 0
        while j < len(pieces) and (j == i or size + len(pieces[j]) <= WINDOW_WORDS):
            size += len(pieces[j])
            j += 1
        out.append((pieces[i][0][0], pieces[j - 1][-1][1]))
        if j >= len(pieces):
            break
        i = j - 1 if j - 1 > i and len(pieces[j - 1]) <= OVERLAP_WORDS else j
    return out


def windows(text: str) -> list[str]:
    """The text as overlapping windows of whole sentences, as the model reads them."""
    text = text if isinstance(text, str) else str(text)
    return [unicodedata.normalize("NFC", " ".join(text[a:b].split())) for a, b in window_spans(text)]


def _embed_torch(sentences: list[str]):
    from moderation import semantic

    m = semantic.model()
    if m is None:
        raise EncoderUnavailable(f"the MiniLM model did not load: {semantic.describe()}")
    return m.embed_sorted(sentences).numpy().astype("float32")


def embed_sentences(sentences: list[str]):
    """Unit-length embeddings (numpy, one row per sentence) through the ONNX
    runner, or the PyTorch path when that is chosen or unavailable. Raises
    EncoderUnavailable when no model can run: callers must fail safe."""
    import numpy as np

    from moderation import semantic

    if not sentences:
        return np.zeros((0, semantic.DIMENSION), dtype="float32")
    if semantic.model() is None:
        # The pinned weights are missing or changed: an ONNX graph exported
        # earlier must not keep reading as if nothing happened.
        raise EncoderUnavailable(f"the MiniLM model is unavailable: {semantic.describe()}")
    runner = get()
    if runner is None:
        with semantic.lock():
            return _embed_torch(sentences)
    out = np.empty((len(sentences), semantic.DIMENSION), dtype="float32")
    with semantic.lock():
        for idx in semantic.sorted_batches(sentences):
            out[idx] = runner.embed_np([sentences[i] for i in idx])
    return out


def window_embeddings(texts: list[str]) -> list[Any]:
    """Each text's window embeddings (numpy, windows x dimension), every
    distinct text encoded once, all windows of the batch in one pass."""
    keys = [normalised(t) for t in texts]
    with _cache_lock:
        found = {k: _cache[k] for k in keys if k in _cache}
        for k in found:
            _cache.move_to_end(k)
    todo = list(dict.fromkeys(k for k in keys if k not in found))
    if todo:
        spans, flat = [], []
        for k in todo:
            w = windows(k)
            spans.append((len(flat), len(flat) + len(w)))
            flat.extend(w)
        emb = embed_sentences(flat)
        with _cache_lock:
            for k, (a, b) in zip(todo, spans):
                found[k] = emb[a:b]
                _cache[k] = found[k]
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return [found[k] for k in keys]


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
