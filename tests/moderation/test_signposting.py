"""Stage 5: helplines and safe-messaging texts."""
from __future__ import annotations

import re

import pytest

from moderation import signposting

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
