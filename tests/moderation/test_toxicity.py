"""Stage 4: toxicity, with the peer-support nuance, and the real Detoxify loader."""
from __future__ import annotations

import logging

import pytest

from moderation import toxicity


@pytest.fixture(autouse=True)
def _no_detoxify(model_settings) -> None:
    model_settings(detoxify={"checkpoint": None, "config_dir": None, "allow_download": False,
                             "model_type": "kindred-test-no-such-model"})
    toxicity.reset()


def test_fast_scorer_matches_the_package_exactly() -> None:
    from profanity_check import predict_prob

    texts = ["you are a dumb bitch", "have a lovely day", "I fucking hate myself", "", "thank you so much",
             "what the hell is this shit", "Fuck you and your family"]
    ours = toxicity.fast_scorer().score_many(texts)
    theirs = predict_prob(texts)
    assert ours == pytest.approx(list(theirs), abs=1e-9)


NOT_ABUSE = [
    ("self-directed swearing", "I fucking hate myself"),
    ("fuck my life", "fuck my life"),
    ("situation", "this fucking exam is killing me"),
    ("self insult", "I'm such a stupid bitch sometimes"),
    ("reported abuse", "my ex called me a worthless bitch"),
    ("reported abuse 2", "he told me I'm a fucking idiot and I believed him"),
    ("generic you", "depression tells you you're worthless"),
    ("support", "you're not worthless, and you are not a burden"),
    ("friendly you in another clause", "Fuck my life, you guys are the only ones who get it"),
    ("untargeted", "shit day today, damn it"),
    ("kind", "Thank you, that really helped"),
    ("quoting a group kindly", "trans people are welcome here"),
]


@pytest.mark.parametrize("label, text", NOT_ABUSE, ids=[n[0] for n in NOT_ABUSE])
def test_distress_and_swearing_about_oneself_is_not_abuse(label: str, text: str) -> None:
    finding = toxicity.analyse(text)
    assert not finding.categories, finding.reasons


ABUSE = [
    ("swearing at someone", "fuck you", "abuse.toxic"),
    ("insult", "you're a pathetic loser", "abuse.toxic"),
    ("insult 2", "you are such a fucking idiot", "abuse.toxic"),
    ("harassment", "nobody likes you", "abuse.toxic"),
    ("harassment 2", "everyone hates you, just leave", "abuse.toxic"),
    ("shut up", "shut the fuck up", "abuse.toxic"),
    ("insult noun at someone", "broke bitch cant tell me nothing", "abuse.toxic"),
    ("threat", "I will kill you", "abuse.threat"),
    ("threat 2", "I know where you live", "abuse.threat"),
    ("threat 3", "watch your back", "abuse.threat"),
    ("threat 4", "you deserve to be shot", "abuse.threat"),
    ("identity", "all muslims are vermin", "abuse.identity"),
    ("identity 2", "gays should be shot", "abuse.identity"),
    ("identity 3", "I hate immigrants", "abuse.identity"),
]


@pytest.mark.parametrize("label, text, code", ABUSE, ids=[a[0] for a in ABUSE])
def test_abuse_aimed_at_others_is_found(label: str, text: str, code: str) -> None:
    finding = toxicity.analyse(text)
    assert code in finding.categories
    reason = next(r for r in finding.reasons if r.code == code)
    assert text[reason.start:reason.end] == reason.excerpt != ""


@pytest.mark.parametrize("sentence, who", [
    ("you are awful", "other"), ("they are awful", "other"), ("I am awful", "self"),
    ("what an awful day", "none"), ("she called me awful", "reported"),
])
def test_target(sentence: str, who: str) -> None:
    assert toxicity.target(sentence) == who


def test_threshold_is_respected() -> None:
    text = "you are a damn nuisance"
    score = toxicity.fast_scorer().score(text)
    assert "abuse.toxic" in toxicity.analyse(text, threshold=score - 0.01).categories
    assert "abuse.toxic" not in toxicity.analyse(text, threshold=min(1.0, score + 0.01)).categories


def test_engine_reports_the_offline_fallback() -> None:
    info = toxicity.engine_info()
    assert info["toxicity_fast"].startswith("alt-profanity-check@")
    assert "offline fallback" in info["toxicity_model"]
    assert toxicity.full_scorer() is None
    assert toxicity.analyse_with_model("you idiot") is None


# -- Detoxify -----------------------------------------------------------------------

def test_tiny_checkpoint_loads_and_predicts_through_real_detoxify(tiny_detoxify) -> None:
    from detoxify import Detoxify

    checkpoint, config_dir = tiny_detoxify
    model = Detoxify(checkpoint=str(checkpoint), huggingface_config_path=str(config_dir))
    one = model.predict("you are kind")
    assert set(one) == {"toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack"}
    assert all(0.0 <= v <= 1.0 for v in one.values())
    many = model.predict(["you are kind", "i feel sad today"])
    assert all(len(v) == 2 for v in many.values())


def test_engine_uses_detoxify_from_settings(tiny_detoxify, detoxify_env) -> None:
    detoxify_env(*tiny_detoxify)
    scorer = toxicity.full_scorer()
    assert scorer is not None and scorer.name == "detoxify:tiny-detoxify.ckpt"
    rows = scorer.predict(["you are kind"])
    assert len(rows) == 1 and set(rows[0]) >= {"toxicity", "threat", "identity_attack"}
    assert toxicity.engine_info()["toxicity_model"] == "detoxify:tiny-detoxify.ckpt"
    import torch

    assert torch.get_num_threads() == 1  # set explicitly from KINDRED_TORCH_THREADS


def test_model_findings_respect_the_peer_support_nuance(toxic_detoxify, detoxify_env) -> None:
    detoxify_env(*toxic_detoxify)  # scores everything ~1.0
    aimed = toxicity.analyse_with_model("you are an idiot")
    assert {"abuse.toxic", "abuse.threat", "abuse.identity"} <= aimed.categories
    assert aimed.scorer.startswith("detoxify:")
    self_directed = toxicity.analyse_with_model("i hate myself. i feel sad today")
    assert self_directed.categories == frozenset()


def test_checkpoint_without_config_dir_falls_back_and_says_why(tiny_detoxify, detoxify_env, model_settings,
                                                               caplog) -> None:
    detoxify_env(*tiny_detoxify)
    model_settings(detoxify={"config_dir": None})
    with caplog.at_level(logging.ERROR, logger="moderation.toxicity"):
        assert toxicity.full_scorer() is None
    assert "KINDRED_DETOXIFY_CONFIG_DIR" in toxicity.engine_info()["toxicity_model"]
    assert "Detoxify could not be loaded" in caplog.text


def test_checkpoint_names_and_cache_dir_match_detoxify_and_torch(monkeypatch, tmp_path) -> None:
    import os

    import torch
    from detoxify.detoxify import MODEL_URLS

    assert toxicity.CHECKPOINT_FILES == {k: os.path.basename(v) for k, v in MODEL_URLS.items()}
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert toxicity.torch_hub_dir() == torch.hub.get_dir()
    assert toxicity.cached_checkpoint("original") is None
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    (tmp_path / "hub" / "checkpoints" / toxicity.CHECKPOINT_FILES["original"]).write_bytes(b"x")
    assert toxicity.cached_checkpoint("original") is not None


@pytest.mark.parametrize("text, code", [("fuck off", "abuse.toxic"), ("go to hell", "abuse.toxic"),
                                        ("stfu", "abuse.toxic"), ("Jews are evil", "abuse.identity")])
def test_pattern_prechecks_do_not_hide_forms_without_you(text: str, code: str) -> None:
    assert code in {r.code for r in toxicity.pattern_findings(text)}
