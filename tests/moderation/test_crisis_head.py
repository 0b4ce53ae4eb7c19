"""The trained crisis head: its shipped file, what it may and may not do,
behaviour without it, and the training command on a small fixture."""
from __future__ import annotations

import json

import pytest

from moderation import crisis, crisis_head
from moderation.tools import train_head


@pytest.fixture
def no_head(monkeypatch):
    monkeypatch.setattr(crisis_head, "load", lambda *a, **k: None)


def test_shipped_head_matches_the_feature_layout():
    head = crisis_head.load()
    assert head is not None, "moderation/data/crisis_head.json is missing or stale: run python -m moderation.tools.train_head"
    assert head["features"] == crisis_head.FEATURES
    assert len(head["weights"]) == len(crisis_head.features([0.0] * 384, 0, False, False, 0, 0))
    assert 0 < head["threshold"] < 1
    # The file records how it was trained and its cross-validated figures,
    # never any text.
    assert "cross_validated_without_reader" in head["trained"]
    assert crisis.engine_info()["crisis_head"] == head["version"]


def test_head_file_with_another_layout_turns_the_head_off(tmp_path):
    bad = tmp_path / "head.json"
    bad.write_text(json.dumps({"version": "x", "features": "other", "weights": [0.0], "bias": 0, "threshold": 0.5}))
    assert crisis_head.load(bad) is None
    assert crisis_head.load(tmp_path / "missing.json") is None


# The whole detector as shipped: where the crisis reader reads, its
# reading replaces the head's, so these tables cover both models.
@pytest.mark.parametrize("text", [
    "Suicidal thoughts have been loud all week and I can't make them stop.",
    "tw // suicidal thoughts. I don't know how much longer I can keep going like this.",
    "Feeling suicidal again.",
    "Suicidal thoughts are back and louder than ever.",
    "As someone with suicidal thoughts, I just want to say this thread helps.",
    "suicidal and so tired of pretending to everyone that I'm fine",
])
def test_models_flag_disclosures_the_rules_leave_uncertain(text):
    finding = crisis.analyse(text)
    assert finding.risk != "none", finding


@pytest.mark.parametrize("text", [
    "New study finds suicidal thoughts are common among students during exams.",
    "If a friend tells you they feel suicidal, listen and help them call a helpline.",
    "That defensive line was suicidal, we conceded three goals in ten minutes.",
    "Suicidal hot sauce is my favourite wing flavour.",
])
def test_models_leave_talk_about_the_topic_alone(text):
    assert crisis.analyse(text).risk == "none"


def test_head_never_lowers_what_the_rules_found(monkeypatch):
    head = dict(crisis_head.load())
    head["threshold"] = 1.01  # the head never fires
    monkeypatch.setattr(crisis_head, "load", lambda *a, **k: head)
    assert crisis.analyse("I want to kill myself.").risk == "high"


def test_without_the_head_uncertain_topic_words_still_reach_the_exemplars(no_head):
    finding = crisis.analyse("Suicidal thoughts have been loud all week and I can't make them stop.")
    assert finding.risk != "none"
    assert crisis.engine_info()["crisis_head"] == "off" or crisis_head.load() is None


def test_head_probability_is_recorded_in_scores():
    finding = crisis.analyse("tw // suicidal. nothing matters and I am so tired of everything.")
    assert "head" in finding.scores and 0.0 <= finding.scores["head"] <= 1.0


def test_train_head_writes_a_loadable_head(tmp_path, capsys, crisis_training_file):
    data = crisis_training_file(3)
    out = tmp_path / "head.json"
    assert train_head.main([str(data), "--folds", "3", "--out", str(out), "--threshold", "0.5"]) == 0
    head = crisis_head.load(out)
    assert head is not None and head["trained"]["items"] == 24
    assert "detector without the reader" in capsys.readouterr().out
    assert "suicidal" not in out.read_text().lower().replace("moderation", "")  # weights and figures, no text
