"""Stage 5: helplines and safe-messaging texts."""
from __future__ import annotations

import re

import pytest

from moderation import signposting
from moderation.verdict import Reason

REGIONS = ("US", "CA", "UK", "IE", "AU", "NZ", "INTL")
# Words a safe message must never contain: methods and means.
METHOD_WORDS = re.compile(r"\b(pills?|overdose|rope|hang|jump|bridge|blade|cut|gun|poison|tablets?|method)\b", re.I)


def test_every_region_is_present_with_the_fallback_last() -> None:
    codes = [r.code for r in signposting.regions()]
    assert set(codes) == set(REGIONS) and codes[-1] == "INTL"


@pytest.mark.parametrize("region, name, contact", [
    ("US", "988 Suicide & Crisis Lifeline", "988"),
    ("US", "Crisis Text Line", "Text HOME to 741741"),
    ("CA", "9-8-8 Suicide Crisis Helpline", "988"),
    ("CA", "Kids Help Phone", "1-800-668-6868"),
    ("CA", "Kids Help Phone", "Text CONNECT to 686868"),
    ("UK", "Samaritans", "116 123"),
    ("UK", "Shout", "Text SHOUT to 85258"),
    ("UK", "NHS 111 (England), option 2 for mental health", "111"),
    ("IE", "Samaritans Ireland", "116 123"),
    ("IE", "50808", "Text HELLO to 50808"),
    ("IE", "Pieta", "1800 247 247"),
    ("AU", "Lifeline", "13 11 14"),
    ("AU", "Lifeline", "Text 0477 13 11 14"),
    ("AU", "Beyond Blue", "1300 22 4636"),
    ("AU", "Kids Helpline", "1800 55 1800"),
    ("NZ", "1737, Need to talk?", "1737"),
    ("NZ", "Lifeline Aotearoa", "0800 543 354"),
    ("NZ", "Lifeline Aotearoa", "Text HELP to 4357"),
])
def test_key_services(region: str, name: str, contact: str) -> None:
    service = next(s for s in signposting.helplines(region) if s.name == name)
    assert contact in (service.phone, service.text)


@pytest.mark.parametrize("region, number", [
    ("US", "911"), ("CA", "911"), ("UK", "999"), ("IE", "112 or 999"), ("AU", "000"), ("NZ", "111"), ("INTL", None),
])
def test_emergency_numbers(region: str, number: str | None) -> None:
    assert signposting.emergency_number(region) == number


def test_every_entry_records_its_facts_and_source() -> None:
    for region in signposting.regions():
        assert region.services, region.code
        for s in region.services:
            assert s.name and s.hours and s.languages and s.description, s
            assert s.phone or s.text or s.web, s
            assert s.source and s.source.startswith("https://"), s
            assert s.web is None or s.web.startswith("https://"), s
            assert s.verified is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", s.verified), s
            assert set(s.audiences) <= {"self", "other", "young"} and s.audiences, s


@pytest.mark.parametrize("given, code", [
    (None, "INTL"), ("", "INTL"), ("uk", "UK"), ("GB", "UK"), ("en-GB", "UK"), ("fr_CA", "CA"), ("ZZ", "INTL"),
])
def test_region_normalisation(given: str | None, code: str) -> None:
    assert signposting.normalise_region(given) == code


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("audience", signposting.AUDIENCES)
def test_messages_are_safe_and_complete(region: str, audience: str) -> None:
    sp = signposting.build(audience, region)
    assert sp.audience == audience and sp.region == region
    assert sp.headline and sp.message and sp.services
    assert not METHOD_WORDS.search(sp.headline + " " + sp.message)
    assert "{" not in sp.message  # every placeholder filled


@pytest.mark.parametrize("region", REGIONS)
def test_imminent_puts_the_emergency_number_first(region: str) -> None:
    sp = signposting.build("imminent", region)
    first = sp.services[0]
    assert first.id == "emergency"
    assert first.phone == signposting.emergency_number(region)
    expected = signposting.emergency_number(region) or "your local emergency number"
    assert sp.message.startswith(f"Please call {expected} now")


def test_audiences_choose_services() -> None:
    other = signposting.build("other", "UK")
    assert "Childline" not in [s.name for s in other.services]   # for young people themselves
    assert "Samaritans" in [s.name for s in other.services]
    assert "Childline" in [s.name for s in signposting.build("self", "UK").services]


def test_unknown_audience_is_an_error() -> None:
    with pytest.raises(ValueError):
        signposting.build("everyone", "UK")


def test_helpline_numbers_are_known_to_the_contact_rules() -> None:
    assert {"116123", "85258", "131114", "0800543354"} <= signposting.known_numbers()


@pytest.mark.parametrize("text, uri", [
    ("Text SHOUT to 85258", "sms:85258?body=SHOUT"), ("Text START to 678-678", "sms:678678?body=START"),
    ("Text 988", "sms:988"), ("Text 0477 13 11 14", "sms:0477131114"), (None, None), ("", None),
])
def test_text_lines_become_sms_links_with_their_keyword(text: str | None, uri: str | None) -> None:
    assert signposting.sms_uri(text) == uri


@pytest.mark.parametrize("phone, uri", [
    ("116 123", "tel:116123"), ("1-866-488-7386", "tel:18664887386"), ("112 or 999", "tel:112"), (None, None),
])
def test_phone_numbers_become_tel_links(phone: str | None, uri: str | None) -> None:
    assert signposting.dial_uri(phone) == uri


def test_every_listed_text_line_gets_an_sms_link() -> None:
    for region in signposting.regions():
        for s in region.services:
            assert s.text is None or signposting.sms_uri(s.text), s


def test_concern_tier_words_are_gentler_than_high() -> None:
    high = signposting.build("self", "UK", tier="high")
    concern = signposting.build("self", "UK", tier="concern")
    assert concern.headline != high.headline and concern.services == high.services
    assert not re.search(r"danger|emergency|crisis", concern.headline + concern.message, re.I)
    # The helper and imminent texts don't change with the tier.
    assert signposting.build("other", "UK", tier="concern") == signposting.build("other", "UK")


def test_young_services_are_only_the_verified_ones() -> None:
    """Under-16s are pointed only to services whose facts were checked against
    the service's own site (issue 17 item 6): unverified entries are left out."""
    assert [s.id for s in signposting.young_services("CA")] == ["kids-help-phone"]
    assert [s.id for s in signposting.young_services("AU")] == ["kids-helpline"]
    # Childline (UK) and The Trevor Project (US) are listed with verified: null.
    assert signposting.young_services("UK") == [] and signposting.young_services("US") == []
    for region in signposting.regions():
        assert all(s.verified and "young" in s.audiences for s in signposting.young_services(region.code))


# -- which texts get the panel (issue 17 item 7) ------------------------------------

def _r(code: str, notes: str = "") -> Reason:
    context = tuple(n.strip() for n in notes.split(",") if n.strip())
    return Reason(code, 0, 8, "suicidal", 'Says they have suicidal thoughts: "suicidal".', context)


@pytest.mark.parametrize("text, context", [
    ("A year ago I was suicidal. Now I'm doing well.", {"in the past"}),
    ("I want to die.", set()),
])
def test_the_detector_gives_its_reading_as_data(text: str, context: set[str]) -> None:
    """Signposting reads ``Reason.context``; the detector must fill it, not
    only mention it in the explanation."""
    import moderation
    reasons = [r for r in moderation.screen(text).reasons if r.code.startswith("crisis.")]
    assert reasons and all(set(r.context) == context for r in reasons), reasons
    stored = moderation.Verdict.from_dict(moderation.screen(text).to_dict())
    assert {r.context for r in stored.reasons if r.code.startswith("crisis.")} == {tuple(sorted(context))}


@pytest.mark.parametrize("risk, reasons, categories, audience, expected", [
    # A recovery story or a denial at concern: no panel (a moderator still sees the flag).
    ("concern", [_r("crisis.ideation", "in the past")], {"crisis.ideation"}, "self", None),
    ("concern", [_r("crisis.self_harm", "in the past"), _r("rule.cw_self_harm")], {"crisis.self_harm"}, "self", None),
    ("concern", [_r("crisis.ideation", "negated")], {"crisis.ideation"}, "self", None),
    # Anything current keeps the gentle panel.
    ("concern", [_r("crisis.distress")], {"crisis.distress"}, "self", "self"),
    ("concern", [_r("crisis.ideation", "in the past"), _r("crisis.distress")], {"crisis.distress"}, "self", "self"),
    ("concern", [_r("crisis.ideation", "hypothetical")], {"crisis.ideation"}, "self", "self"),
    ("concern", [_r("crisis.ideation", "in a quote")], {"crisis.ideation"}, "self", "self"),
    # A concern with no crisis reason to read (a model raise, an error) keeps it.
    ("concern", [], {"crisis.ideation"}, "self", "self"),
    ("concern", [_r("rule.cw_suicide")], {"crisis.ideation"}, "self", "self"),
    # Worry about someone else keeps the helper's panel, whatever the tense.
    ("concern", [_r("crisis.ideation", "in the past")], {"crisis.third_party"}, "other", "other"),
    ("none", [], {"crisis.third_party"}, "other", "other"),
    # High and imminent always get the panel: the detector found something now.
    ("high", [_r("crisis.ideation", "in the past")], {"crisis.ideation"}, "self", "self"),
    ("imminent", [_r("crisis.plan", "in the past")], {"crisis.plan"}, "self", "imminent"),
    ("none", [], set(), "none", None),
    ("none", [], {"screening_error"}, "none", "self"),
])
def test_who_gets_the_panel(risk, reasons, categories, audience, expected) -> None:
    sp = signposting.decide(risk, audience, categories, reasons, "UK")
    assert (sp.audience if sp else None) == expected


def test_text_we_cannot_read_always_gets_the_international_list() -> None:
    sp = signposting.decide("none", "none", set(), [], "UK", unreadable=True)
    assert sp is not None and sp.region == "INTL"


@pytest.mark.parametrize("text, expected", [
    ("I'm not suicidal, just exhausted.", None),
    ("A year ago I was suicidal and in a very dark place. With therapy and my friends I got through it, "
     "and now I'm doing well. It does get better.", None),
    ("I used to self-harm but I've been clean for two years.", None),
    ("I've felt hopeless lately.", "self"),
    ("I was suicidal last year and I'm feeling that way again.", "self"),
    ("I want to die.", "self"),
])
def test_the_pipeline_signposts_what_is_current(text: str, expected: str | None) -> None:
    """End to end through screen(): the detector's notes reach the decision."""
    import moderation

    sp = moderation.screen(text, kind="reply", region="UK").signposting
    assert (sp.audience if sp else None) == expected
