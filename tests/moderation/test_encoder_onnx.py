"""The encoder through ONNX Runtime (moderation.encoder): it reads as the
PyTorch path does within the stated tolerance, loads once and lazily for
every caller, rebuilds a stale export, and falls back to PyTorch (never
unscreened) when the ONNX path cannot run."""
from __future__ import annotations

import os
import threading

import pytest

from moderation import crisis, crisis_reader, encoder, screen_many, semantic

# Stated tolerance for the fp32 graphs (docs/crisis.md): the reader's
# probability and each embedding component, against the PyTorch path.
TOLERANCE = 1e-4

TEXTS = [
    "I want to die.",
    "I feel suicidal again tonight and I don't know who to tell.",
    "Feeling suicidal again",
    "lockdowns are making dogs suicidal",
    "Suicide rates rose last year, the report says.",
    "My friend said she is suicidal and I'm scared for her.",
    "I'm not suicidal, just exhausted after a long week.",
    "This exam is killing me.",
    "hi",
    "Had a good day at the allotment, the beans are finally up.",
    # A long post (past the 128 word pieces the model reads).
    " ".join(["Some days I feel like nothing I do matters and everyone would be better off without me."] * 20),
]


@pytest.fixture
def onnx(model_settings):
    """The ONNX path, freshly loaded (the graphs come from the shared cache)."""
    model_settings(encoder="onnx", encoder_int8=False)
    encoder.reset()
    yield
    encoder.reset()


def _runner() -> encoder.Runner:
    runner = encoder.get()
    assert runner is not None, f"the ONNX path did not load: {encoder.describe()} (pip install -r requirements.txt)"
    assert runner.reader is not None, f"the crisis reader did not load: {crisis_reader.describe()}"
    return runner


def _torch_probabilities(texts: list[str]) -> list[float]:
    reader, base = crisis_reader.get(), semantic.model()
    assert reader is not None and base is not None, crisis_reader.describe()
    with semantic.lock():
        return reader.adapters.probabilities(base, texts)


def test_reader_probabilities_match_the_pytorch_path(onnx):
    want = _torch_probabilities(TEXTS)
    got = crisis_reader.probabilities(TEXTS)
    assert _runner().names["reader"].startswith("reader-")  # what ran was the ONNX graph
    diffs = [abs(a - b) for a, b in zip(got, want)]
    assert max(diffs) <= TOLERANCE, list(zip(TEXTS, got, want))
    th = crisis_reader.get().thresholds
    for a, b in zip(got, want):
        assert (a >= th.hi) == (b >= th.hi) and (a < th.lo) == (b < th.lo)


def test_embeddings_match_the_pytorch_path(onnx):
    base = semantic.model()
    with semantic.lock():
        want = base.embed(TEXTS)
    got = semantic.embed(TEXTS)
    assert tuple(got.shape) == (len(TEXTS), semantic.DIMENSION)
    assert (got - want).abs().max().item() <= TOLERANCE


def test_the_detector_reads_the_same_on_both_paths(onnx, model_settings):
    texts = TEXTS + ["suicidal", "So suicidal", "As someone with suicidal ideation, I find this hard."]
    fast = [(v.risk, v.action, v.scores.get("crisis", {}).get("reader")) for v in screen_many(texts)]
    model_settings(encoder="torch")
    encoder.reset()
    slow = [(v.risk, v.action, v.scores.get("crisis", {}).get("reader")) for v in screen_many(texts)]
    assert encoder.describe() == "torch (KINDRED_ENCODER=torch)"
    assert [f[:2] for f in fast] == [s[:2] for s in slow]
    for f, s in zip(fast, slow):
        assert (f[2] is None) == (s[2] is None) and (f[2] is None or abs(f[2] - s[2]) <= 1e-3), (f, s)


def test_loads_once_lazily_and_is_shared(onnx):
    assert encoder.describe() == "onnx (not loaded yet)"
    screen_many(["Had a good day at the allotment."])  # no model needed for this
    assert encoder.describe() == "onnx (not loaded yet)"
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(encoder.get())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    crisis_reader.probabilities(TEXTS[:2])
    semantic.similarities(TEXTS[:2])
    assert len({id(r) for r in got}) == 1 and got[0] is encoder.get() is not None
    assert encoder.describe().startswith("onnx embed=minilm-")
    assert "onnx" in crisis.engine_info()["encoder"]


def test_warm_up_builds_the_runner_so_a_first_post_does_not(onnx):
    assert encoder.describe() == "onnx (not loaded yet)"
    crisis.warm_up()
    assert encoder.describe().startswith("onnx embed=minilm-")


def test_a_cached_export_is_reused_and_a_stale_one_is_not(onnx):
    runner = _runner()
    folder = encoder.cache_dir()
    path = folder / runner.names["reader"]
    stamp = path.stat().st_mtime_ns
    encoder.reset()
    assert _runner().names == runner.names and path.stat().st_mtime_ns == stamp  # not exported again
    # The file name is a hash of what the graph was built from.
    parts = {"base": semantic.MODEL_SHA256, "reader": crisis_reader.read_meta()["sha256"]}
    assert encoder.content_hash(parts) != encoder.content_hash(dict(parts, reader="another reader"))
    assert encoder.content_hash(parts) != encoder.content_hash(dict(parts, export="another version"))


def test_falls_back_to_pytorch_when_the_onnx_path_cannot_run(onnx, model_settings, tmp_path):
    """An export that cannot be written (here: the cache is a file) leaves
    the PyTorch path running, and says why; nothing goes unscreened."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    model_settings(encoder_cache=str(blocker / "cache"))
    got = crisis_reader.probabilities(TEXTS[:3])
    assert encoder.get() is None
    assert encoder.describe().startswith("torch (")
    assert got == _torch_probabilities(TEXTS[:3])
    assert crisis.analyse("I feel suicidal again tonight and I don't know who to tell.").risk != "none"


def test_torch_setting_runs_the_pytorch_path(model_settings):
    model_settings(encoder="torch")
    encoder.reset()
    try:
        assert crisis_reader.probabilities(TEXTS[:3]) == _torch_probabilities(TEXTS[:3])
        assert encoder.describe() == "torch (KINDRED_ENCODER=torch)"
    finally:
        encoder.reset()


def test_the_setting_is_validated():
    from config import SettingsError, validate_settings

    validate_settings({"KINDRED_ENCODER": "onnx"})
    validate_settings({"KINDRED_ENCODER": "torch"})
    with pytest.raises(SettingsError, match="KINDRED_ENCODER"):
        validate_settings({"KINDRED_ENCODER": "tensorrt"})


def test_the_cache_defaults_to_the_instance_folder(monkeypatch, model_settings, tmp_path):
    monkeypatch.delenv("KINDRED_ENCODER_CACHE", raising=False)
    model_settings(encoder_cache=None, instance_dir=str(tmp_path))
    assert encoder.cache_dir() == tmp_path / "cache"
    assert os.environ.get("KINDRED_ENCODER_CACHE") is None
