"""Stage 6: findings to one action."""
from __future__ import annotations

import logging

import pytest

from moderation import policy

CASES = [
    ("none", set(), [], "publish", None),
    ("concern", set(), [], "publish_flagged", "low"),
    ("high", set(), [], "publish_flagged", "high"),
    ("imminent", set(), [], "hold", "urgent"),
    ("none", {"crisis.method_detail"}, [], "hold", "high"),
    ("none", {"harm.encouragement"}, [], "hold", "high"),
    ("none", {"abuse.toxic"}, [], "hold", "normal"),
    ("none", {"abuse.threat"}, [], "hold", "high"),
    ("none", {"abuse.identity"}, [], "hold", "normal"),
    ("none", {"privacy.contact_details"}, [], "hold", "normal"),
    ("none", {"screening_error"}, [], "hold", "high"),
    ("none", {"rule.spam"}, ["flag"], "publish_flagged", "low"),
    ("none", {"rule.cw_suicide"}, ["content_warning"], "publish", None),
    ("none", {"rule.x"}, ["block"], "block", None),
    # the most severe finding wins, and priority follows the most urgent
    ("high", {"abuse.toxic"}, [], "hold", "high"),
    ("imminent", {"privacy.contact_details"}, ["flag"], "hold", "urgent"),
    ("concern", {"rule.spam"}, ["flag"], "publish_flagged", "low"),
]


@pytest.mark.parametrize("risk, categories, rule_actions, action, priority", CASES)
def test_default_policy(risk, categories, rule_actions, action, priority) -> None:
    assert policy.DEFAULT.decide(risk, categories, rule_actions) == (action, priority)


@pytest.mark.parametrize("risk, categories, rule_actions, action", [
    ("high", set(), [], "hold"),
    ("concern", set(), [], "publish_flagged"),
    ("none", {"rule.spam"}, ["flag"], "hold"),
    ("none", {"rule.cw_self_harm"}, ["content_warning"], "publish_flagged"),
    ("none", set(), [], "publish"),
])
def test_strict_profile_for_young_peoples_boards(risk, categories, rule_actions, action) -> None:
    assert policy.get("strict").decide(risk, categories, rule_actions)[0] == action
    assert policy.STRICT.toxicity_threshold < policy.DEFAULT.toxicity_threshold


def test_profiles_by_name_object_or_default(caplog) -> None:
    assert policy.get(None) is policy.DEFAULT
    assert policy.get("default") is policy.DEFAULT
    assert policy.get(policy.STRICT) is policy.STRICT
    with caplog.at_level(logging.WARNING, logger="moderation.policy"):
        assert policy.get("no-such-profile") is policy.DEFAULT
    assert "no-such-profile" in caplog.text


def test_policies_are_immutable() -> None:
    with pytest.raises(TypeError):
        policy.DEFAULT.risk_actions["high"] = "publish"  # type: ignore[index]


def test_unknown_risk_fails_safe() -> None:
    assert policy.DEFAULT.decide("???", set())[0] == "hold"
