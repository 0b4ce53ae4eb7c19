"""Stage 2: watched words and patterns."""
from __future__ import annotations

import json

import pytest

from moderation.rules import Rule, RuleSet, apply_replacements, default_rules
from moderation.signposting import known_numbers


def names(text: str, ruleset: RuleSet | None = None, kind: str = "post") -> list[str]:
    rs = ruleset or default_rules()
    return [h.rule.name for h in rs.match(text, kind=kind, ignore_numbers=known_numbers())]


def excerpts(text: str, rule: str) -> list[str]:
    return [h.excerpt for h in default_rules().match(text) if h.rule.name == rule]


OBFUSCATED = [
    ("plain", "you are a faggot", "faggot"),
    ("case", "You Are A FAGGOT", "FAGGOT"),
    ("leetspeak", "you are a f4gg0t", "f4gg0t"),
    ("leet symbols", "you are a f@gg0t", "f@gg0t"),
    ("repeated letters", "you are a faaaggooot", "faaaggooot"),
    ("inserted spaces", "you are a f a g g o t", "f a g g o t"),
    ("inserted dots", "you are a f.a.g.g.o.t", "f.a.g.g.o.t"),
    ("inserted punctuation", "you are a fa-gg_ot", "fa-gg_ot"),
    ("mixed", "you are a F-4-G-G-0-T", "F-4-G-G-0-T"),
    ("accents", "you are a fággót", "fággót"),
    ("zero width (after cleaning)", "you are a fag\u200bgot".replace("\u200b", ""), "faggot"),
    ("suffix", "all the faggots here", "faggots"),
    ("phrase with spaces", "I cut myself again", "cut myself"),
    ("phrase split oddly", "thinking about self---harm", "self---harm"),
    ("spaced word in content warning", "s u i c i d e", "s u i c i d e"),
    ("leet in content warning", "su1c1dal thoughts", "su1c1dal"),
]


@pytest.mark.parametrize("label, text, excerpt", OBFUSCATED, ids=[o[0] for o in OBFUSCATED])
def test_obfuscation_is_seen_through(label: str, text: str, excerpt: str) -> None:
    hits = default_rules().match(text)
    assert excerpt in [h.excerpt for h in hits], (label, [(h.rule.name, h.excerpt) for h in hits])


@pytest.mark.parametrize("text", [
    "this class is great",                # "ass" must not match inside "class"
    "I passed the assessment",
    "Scunthorpe United won",
    "a fagot is a bundle of sticks",      # different word
    "the spice rack",                     # not "spic"
    "pakistan cricket",                   # not "paki" inside a word
    "I said it's hit or miss",            # "it's hit" is not glued into a swear word
    "a b c d e",                          # spaced single letters that spell nothing
    "the cocoon opened",                  # "coon" inside a word
    "Hello, how are you today?",
])
def test_word_boundaries_and_innocent_text(text: str) -> None:
    assert names(text) == []


CONTACTS = [
    ("email", "write to me at jane.doe+kindred@example.co.uk please", "contact_email"),
    ("email obfuscated", "jane dot doe at gmail dot com", "contact_email"),
    ("email bracketed", "jane [at] hotmail . com", "contact_email"),
    ("uk mobile", "text me on 07700 900123", "contact_phone"),
    ("international", "call +44 7700 900123", "contact_phone"),
    ("us format", "my number is (555) 123-4567 ext", "contact_phone"),
    ("handle with platform", "find me on insta @jane_doe", "contact_handle"),
    ("my snap is", "my snap is janed99", "contact_handle"),
    ("add me on", "add me on discord", "contact_handle"),
    ("dm me on", "dm me on whatsapp", "contact_handle"),
    ("discord tag", "I'm jane#1234 there", "contact_handle"),
]


@pytest.mark.parametrize("label, text, rule", CONTACTS, ids=[c[0] for c in CONTACTS])
def test_contact_details_are_found(label: str, text: str, rule: str) -> None:
    assert rule in names(text)


@pytest.mark.parametrize("text", [
    "Call Samaritans on 116 123, any time",   # helpline numbers are fine to share
    "988 is the lifeline number in the US",
    "text SHOUT to 85258",
    "Lifeline Australia is 13 11 14",
    "I took 2 tablets at 8pm on 12/03/2024",
    "I scored 100 in the test, 25 times in a row",
    "I was on twitter and it made me sad",     # a platform mentioned is not a handle
    "my instagram feed is full of ads",
    "email is the worst invention",
    "We met at the café at noon",
])
def test_contact_rules_leave_ordinary_text_alone(text: str) -> None:
    found = [n for n in names(text) if n.startswith("contact_")]
    assert found == []


def test_spans_point_at_the_source_text() -> None:
    text = "Hi! My email is jane@example.org, thanks"
    [hit] = default_rules().match(text)
    assert text[hit.start:hit.end] == "jane@example.org" == hit.excerpt


def test_content_warnings_carry_their_text() -> None:
    hits = default_rules().match("I relapsed and started purging again")
    warnings = {h.rule.warning for h in hits}
    assert warnings == {"Mentions self-harm", "Mentions eating difficulties"}


def custom_rules() -> RuleSet:
    return RuleSet.from_dict({"version": "test", "rules": [
        {"name": "no_spam", "action": "block", "words": ["megadeal"], "explanation": "No adverts, please."},
        {"name": "kinder", "action": "replace", "words": ["loser"], "replacement": "person"},
        {"name": "chat_only", "action": "flag", "words": ["ping"], "kinds": ["chat"]},
        {"name": "ticket", "action": "hold", "patterns": [{"regex": r"(?<![\w])TKT-\d{4}(?![\w])", "requires": ["tkt-"]}]},
    ]})


def test_custom_rule_set_actions() -> None:
    rs = custom_rules()
    assert names("huge m e g a d e a l today", rs) == ["no_spam"]
    assert names("ping me", rs, kind="post") == []
    assert names("ping me", rs, kind="chat") == ["chat_only"]
    assert names("see TKT-1234", rs) == ["ticket"]
    hits = rs.match("what a loooser he is")
    assert apply_replacements("what a loooser he is", hits) == "what a person he is"


def test_rule_set_round_trips_through_json() -> None:
    rs = custom_rules()
    again = RuleSet.from_json(json.dumps(rs.to_dict()))
    assert again.to_dict() == rs.to_dict()
    default = default_rules()
    assert RuleSet.from_dict(default.to_dict()).to_dict() == default.to_dict()


@pytest.mark.parametrize("rule, message", [
    (dict(name="x", action="explode"), "unknown action"),
    (dict(name="Bad Name", action="hold"), "lower-case"),
    (dict(name="r", action="replace", words=("a",)), "needs a replacement"),
    (dict(name="w", action="content_warning", words=("a",)), "needs a warning"),
])
def test_invalid_rules_are_rejected_with_a_clear_message(rule: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Rule(**rule)


def test_bad_regex_and_duplicate_names_are_rejected() -> None:
    with pytest.raises(ValueError, match="bad pattern"):
        RuleSet([Rule(name="x", action="hold", patterns=("(",))])
    with pytest.raises(ValueError, match="unique"):
        RuleSet([Rule(name="x", action="hold"), Rule(name="x", action="flag")])
