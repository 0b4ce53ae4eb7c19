"""The whole pipeline: screen(), screen_many(), fail-safe, second opinion."""
from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import moderation
from moderation import ScreeningConfig, Verdict, policy, screen, screen_many, second_opinion, toxicity
from moderation.rules import RuleSet
from moderation.verdict import ACTIONS, RISKS, Reason

from .conftest import FakeFinding


def test_moderation_never_imports_flask_or_forum() -> None:
    code = ("import sys, moderation;"
            "moderation.screen('hello');"
            "tools = [m for m in sys.modules if m.startswith('moderation.tools')];"
            "assert not tools, tools;"
            "import moderation.tools.evaluate, moderation.tools.bench, moderation.detoxify_weights;"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'forum')];"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_ordinary_post(quiet_crisis) -> None:
    v = screen("Had a *good* day today. Thanks all!")
    assert v.action == "publish" and v.risk == "none" and v.categories == frozenset()
    assert v.html == "<p>Had a <em>good</em> day today. Thanks all!</p>\n"
    assert v.text == "Had a *good* day today. Thanks all!"
    assert v.is_visible and not v.needs_review and v.priority is None
    assert v.signposting is None and v.content_warning is None and v.error is None
    assert v.engine["rules"] == "1" and v.engine["policy"] == "default"
    assert v.engine["toxicity_fast"].startswith("alt-profanity-check")


def test_verdict_text_is_the_cleaned_text(quiet_crisis) -> None:
    v = screen("hello\x00 \u202eworld\r\n")
    assert v.text == "hello world\n"


@pytest.mark.parametrize("kind, limit", [("post", 20_000), ("reply", 20_000), ("edit", 20_000), ("chat", 2_000),
                                         ("title", 150)])
def test_length_limits_block_with_a_clear_error(quiet_crisis, kind: str, limit: int) -> None:
    assert screen("a" * limit, kind=kind).action == "publish"
    v = screen("a" * (limit + 1), kind=kind)
    assert v.action == "block" and "rule.too_long" in v.categories
    assert f"{limit + 1:,} characters" in v.error and f"limit is {limit:,}" in v.error
    assert "kept" in v.error
    assert v.text == "a" * (limit + 1)


def test_limits_are_configurable(quiet_crisis) -> None:
    cfg = ScreeningConfig.from_limits(post=50, chat=10)
    assert screen("x" * 51, config=cfg).action == "block"
    assert screen("x" * 11, kind="chat", config=cfg).action == "block"
    assert screen("x" * 11, kind="chat").action == "publish"
    old = moderation.configure(chat=5)
    try:
        assert screen("x" * 6, kind="chat").action == "block"
    finally:
        moderation.configure(ScreeningConfig())
    assert old.limit("chat") == 5


def test_empty_text_is_blocked_kindly(quiet_crisis) -> None:
    v = screen("  \n\x00 ", kind="reply")
    assert v.action == "block" and "rule.empty" in v.categories and "empty" in v.error


def test_too_deep_nesting_is_blocked_kindly(quiet_crisis) -> None:
    v = screen(">" * 40 + " deep")
    assert v.action == "block" and "rule.too_deep" in v.categories and "nests" in v.error


def test_titles_are_plain_text(quiet_crisis) -> None:
    v = screen("*Not* <b>bold</b> & so on", kind="title")
    assert v.html == "*Not* &lt;b&gt;bold&lt;/b&gt; &amp; so on"


@pytest.mark.parametrize("text, category", [
    ("email me at jane@example.org", "privacy.contact_details"),
    ("my snap is janed99", "privacy.contact_details"),
    ("you're a pathetic loser", "abuse.toxic"),
    ("I will kill you", "abuse.threat"),
    ("all immigrants are vermin", "abuse.identity"),
    ("you are a f4gg0t", "abuse.identity"),
])
def test_held_findings(quiet_crisis, text: str, category: str) -> None:
    v = screen(text)
    assert v.action == "hold" and category in v.categories and v.needs_review and not v.is_visible
    reason = next(r for r in v.reasons if r.code == category or r.code.startswith("rule."))
    assert v.text[reason.start:reason.end] == reason.excerpt


def test_sharing_a_helpline_is_fine(quiet_crisis) -> None:
    assert screen("Please call Samaritans on 116 123, they helped me").action == "publish"


def test_self_directed_distress_is_not_abuse(crisis_stub) -> None:
    crisis_stub(lambda t: FakeFinding(risk="concern", categories=frozenset({"crisis.distress"}), audience="self"))
    v = screen("I fucking hate myself")
    assert not any(c.startswith("abuse.") for c in v.categories)
    assert v.action == "publish_flagged" and v.priority == "low"
    assert v.signposting is not None and v.signposting.audience == "self"


def test_content_warning_is_suggested(quiet_crisis) -> None:
    v = screen("I relapsed last night after three months")
    assert v.action == "publish" and v.content_warning == "Mentions self-harm"


def test_replace_rules_change_the_html_not_the_source(quiet_crisis) -> None:
    rules = RuleSet.from_dict({"rules": [{"name": "kind", "action": "replace", "words": ["loser"],
                                          "replacement": "person"}]})
    v = screen("what a loser", config=ScreeningConfig(rules=rules))
    assert v.html == "<p>what a person</p>\n" and v.text == "what a loser"


def test_block_rule_gives_its_explanation(quiet_crisis) -> None:
    rules = RuleSet.from_dict({"rules": [{"name": "ads", "action": "block", "words": ["megadeal"],
                                          "explanation": "Adverts aren't allowed on Kindred."}]})
    v = screen("MEGADEAL now", config=ScreeningConfig(rules=rules))
    assert v.action == "block" and v.error == "Adverts aren't allowed on Kindred."


# -- wiring of the crisis stage --------------------------------------------------------

def _span_reason(text: str, word: str, code: str) -> Reason:
    i = text.index(word)
    return Reason(code, i, i + len(word), word, "scripted")


def test_imminent_risk_is_held_urgently_with_emergency_signposting(crisis_stub) -> None:
    text = "this is goodbye"
    crisis_stub(lambda t: FakeFinding(risk="imminent", categories=frozenset({"crisis.plan", "crisis.ideation"}),
                                      reasons=(_span_reason(t, "goodbye", "crisis.plan"),), audience="self",
                                      scores={"semantic": 0.9}))
    v = screen(text, region="AU")
    assert v.action == "hold" and v.risk == "imminent" and v.priority == "urgent"
    assert v.signposting.audience == "imminent" and v.signposting.emergency_number == "000"
    assert v.signposting.services[0].phone == "000"
    assert v.scores["crisis"] == {"semantic": 0.9}
    assert v.content_warning == "Mentions suicide"
    assert any(r.code == "crisis.plan" and r.excerpt == "goodbye" for r in v.reasons)


def test_high_risk_is_published_and_flagged_at_top_priority(crisis_stub) -> None:
    crisis_stub(lambda t: FakeFinding(risk="high", categories=frozenset({"crisis.ideation"}), audience="self"))
    v = screen("I want to die")
    assert v.action == "publish_flagged" and v.priority == "high" and v.is_visible
    assert v.signposting.audience == "self"


def test_strict_board_holds_high_risk(crisis_stub) -> None:
    crisis_stub(lambda t: FakeFinding(risk="high", categories=frozenset({"crisis.ideation"}), audience="self"))
    assert screen("I want to die", profile="strict").action == "hold"


def test_third_party_gets_signposting_for_helpers(crisis_stub) -> None:
    crisis_stub(lambda t: FakeFinding(risk="concern", categories=frozenset({"crisis.third_party"}),
                                      audience="other"))
    v = screen("my friend says she wants to die", region="UK")
    assert v.signposting.audience == "other" and "look out" in v.signposting.message.lower()


def test_method_detail_and_encouragement_are_held(crisis_stub) -> None:
    crisis_stub(lambda t: FakeFinding(risk="none", categories=frozenset({"harm.encouragement"})))
    assert screen("kys").action == "hold"
    crisis_stub(lambda t: FakeFinding(risk="high", categories=frozenset({"crisis.method_detail"})))
    assert screen("details").action == "hold"


# -- fail safe ---------------------------------------------------------------------------

def _boom(*args, **kwargs):
    raise RuntimeError("stage exploded")


@pytest.mark.parametrize("target", ["moderation._render.render", "moderation.rules.RuleSet.match",
                                    "moderation._toxicity.analyse", "moderation._signposting.build"])
def test_a_failing_stage_holds_with_screening_error(crisis_stub, monkeypatch, caplog, target: str) -> None:
    crisis_stub(lambda t: FakeFinding(risk="high", categories=frozenset({"crisis.ideation"}), audience="self"))
    monkeypatch.setattr(target, _boom)
    with caplog.at_level(logging.ERROR, logger="moderation"):
        v = screen("I want to die <b>x</b>")
    assert v.action == "hold" and "screening_error" in v.categories
    assert v.risk == "high" and "crisis.ideation" in v.categories     # other findings kept
    assert "stage exploded" in caplog.text
    assert v.engine["failed_stages"]
    assert "<b>" not in v.html                                         # never unsanitised


def test_a_failing_crisis_stage_holds(crisis_stub, caplog) -> None:
    crisis_stub(_boom)
    with caplog.at_level(logging.ERROR, logger="moderation"):
        v = screen("hello")
    assert v.action == "hold" and "screening_error" in v.categories and v.priority == "high"
    assert v.engine["failed_stages"] == ["crisis"]


def test_one_bad_item_does_not_spoil_a_batch(crisis_stub) -> None:
    def decide(text: str) -> FakeFinding:
        if "bad" in text:
            raise RuntimeError("cannot analyse")
        return FakeFinding()

    mod = crisis_stub(decide)

    def analyse_many(texts):
        return [decide(t) for t in texts]

    mod.analyse_many = analyse_many
    a, b, c = screen_many(["fine", "bad one", "also fine"], kind="chat")
    assert (a.action, b.action, c.action) == ("publish", "hold", "publish")
    assert "screening_error" in b.categories


def test_the_whole_pipeline_failing_still_holds(monkeypatch, caplog) -> None:
    monkeypatch.setattr("moderation._screen_batch", _boom)
    v = screen("hello <script>")
    assert v.action == "hold" and v.categories == {"screening_error"} and v.html == "<p>hello &lt;script&gt;</p>"


@pytest.mark.parametrize("bad", [None, 42, b"bytes"])
def test_non_strings_are_held_not_raised(quiet_crisis, bad) -> None:
    v = screen(bad)  # type: ignore[arg-type]
    assert v.action == "hold" and "screening_error" in v.categories


def test_unknown_kind_is_held(quiet_crisis) -> None:
    assert screen("hi", kind="poem").action == "hold"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400) | st.text(alphabet=st.characters(codec=None), max_size=60),
       st.sampled_from(["post", "reply", "title", "edit", "chat"]))
def test_screen_never_raises_on_any_str(text: str, kind: str) -> None:
    v = screen(text, kind=kind)
    assert v.action in ACTIONS and v.risk in RISKS
    json.dumps(v.to_dict())
    v.text.encode("utf-8")
    for r in v.reasons:
        assert 0 <= r.start <= r.end <= len(v.text)


# -- batch, serialisation, second opinion ---------------------------------------------------

def test_screen_many_matches_screen(quiet_crisis) -> None:
    texts = ["hello", "email me a@b.org", "you're a loser", "x" * 3000, "", "I relapsed"]
    assert screen_many(texts, kind="chat") == [screen(t, kind="chat") for t in texts]


def test_verdict_round_trips_through_json(crisis_stub) -> None:
    crisis_stub(lambda t: FakeFinding(risk="imminent", categories=frozenset({"crisis.plan"}), audience="self"))
    v = screen("call me on 07700 900123 tonight", region="UK")
    again = Verdict.from_dict(json.loads(json.dumps(v.to_dict())))
    assert again == v


def test_second_opinion_is_none_without_the_model(quiet_crisis, model_settings) -> None:
    model_settings(detoxify={"model_type": "kindred-test-no-such-model", "checkpoint": None})
    toxicity.reset()
    v = screen("you are kind")
    assert second_opinion(v.text, v) is None


def test_second_opinion_makes_a_published_verdict_stricter(quiet_crisis, toxic_detoxify, detoxify_env) -> None:
    v = screen("you are kind")
    assert v.action == "publish"
    detoxify_env(*toxic_detoxify)
    stricter = second_opinion(v.text, v)
    assert stricter is not None and stricter.action == "hold" and stricter.needs_review
    assert "abuse.toxic" in stricter.categories and stricter.engine["second_opinion"] is True
    assert stricter.scores["toxicity_model"]["toxicity"] > 0.9
    assert stricter.html == v.html and stricter.text == v.text
    # self-directed text stays as it was
    mine = screen("i feel sad today")
    assert second_opinion(mine.text, mine) is None


def test_warm_up_loads_everything(quiet_crisis) -> None:
    moderation.warm_up()
    assert toxicity.fast_scorer() is not None


def test_policy_object_can_be_passed(quiet_crisis) -> None:
    lenient = policy.Policy(name="test", risk_actions=policy.DEFAULT.risk_actions,
                            category_actions={"privacy.contact_details": "publish_flagged"},
                            rule_actions={**policy.DEFAULT.rule_actions, "hold": "publish_flagged"})
    v = screen("email me at a@b.org", profile=lenient)
    assert v.action == "publish_flagged" and v.engine["policy"] == "test"


def test_crisis_engine_reporting_its_own_failure_is_a_screening_error(crisis_stub) -> None:
    crisis_stub(lambda t: FakeFinding(risk="concern", categories=frozenset({"crisis.distress"}), audience="self",
                                      reasons=(Reason("crisis.error", 0, 0, "", "failed"),)))
    v = screen("hello")
    assert v.action == "hold" and "screening_error" in v.categories and v.engine["failed_stages"] == ["crisis"]


def test_the_real_crisis_engine_is_wired_in() -> None:
    v = screen("I want to kill myself tonight")
    assert v.risk == "imminent" and v.action == "hold" and v.priority == "urgent"
    assert v.signposting.audience == "imminent"
    assert v.engine["crisis_rules"]
    assert screen("this exam is killing me").risk == "none"
