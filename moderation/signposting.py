"""Stage 5: signposting — which services to show, and what to say.

The messages follow safe-messaging guidance (#chatsafe, Samaritans): warm,
non-judgemental and hopeful; they say that help exists and that feelings
like this can ease; they never mention methods; and they never lecture or
threaten. There are three texts:

* ``self``     the writer is struggling (a gentler text at the ``concern``
               tier, where alarm would not fit what they wrote);
* ``other``    the writer is worried about someone else;
* ``imminent`` the writer may be in danger now: the emergency number comes
               first, before anything else.

Helpline facts live in ``data/helplines.json`` with a ``verified`` date and
the ``source`` they were checked against.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any, Collection, Sequence

from moderation.verdict import Reason, Service, Signposting

DEFAULT_REGION = "INTL"
AUDIENCES = ("self", "other", "imminent")
# Common spellings that mean one of our regions.
_ALIASES = {"GB": "UK", "EN-GB": "UK", "EN-US": "US", "EN-CA": "CA", "FR-CA": "CA", "EN-IE": "IE",
            "GA-IE": "IE", "EN-AU": "AU", "EN-NZ": "NZ", "MI-NZ": "NZ"}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    emergency_number: str | None
    services: tuple[Service, ...]


_TEXTS = {
    "self": (
        "You don't have to go through this alone",
        "Thank you for telling us how you feel. That takes courage. You can talk to someone right now, "
        "free and in confidence: the people below are there to listen, any time. Feelings like these "
        "can and do ease, and talking can help.",
    ),
    "concern": (
        "Thank you for sharing how you feel",
        "It sounds like things are hard at the moment. Hard times like this do pass, and you don't "
        "need to wait until things get worse to talk to someone. If it would help, these services "
        "are free and there to listen.",
    ),
    "other": (
        "Looking out for someone you care about",
        "It's kind of you to look out for them. You don't need the perfect words: listening, and "
        "asking how they are, really helps. Asking someone directly whether they're thinking about "
        "suicide is safe and does not put the idea in their head. These services support the person "
        "you're worried about, and you too. If they're in danger right now, call {emergency}.",
    ),
    "imminent": (
        "If you're in danger right now, please get help now",
        "Please call {emergency} now, or go to your nearest emergency department. If you can, tell "
        "someone near you how you're feeling, and stay with them. You matter, and there are people "
        "who want to help you get through this moment. These services are there for you, any time:",
    ),
}


def _service(d: dict[str, Any]) -> Service:
    return Service(
        name=d["name"], phone=d.get("phone"), text=d.get("text"), web=d.get("web"), hours=d.get("hours"),
        languages=tuple(d.get("languages", ())), verified=d.get("verified"),
        description=d.get("description"), id=d.get("id"), source=d.get("source"),
        audiences=tuple(d.get("audiences", ())),
    )


@functools.lru_cache(maxsize=1)
def _load() -> dict[str, Region]:
    raw = json.loads(resources.files("moderation").joinpath("data/helplines.json").read_text(encoding="utf-8"))
    return {
        code: Region(code, r["name"], r.get("emergency"), tuple(_service(s) for s in r["services"]))
        for code, r in raw["regions"].items()
    }


def data_version() -> str:
    raw = json.loads(resources.files("moderation").joinpath("data/helplines.json").read_text(encoding="utf-8"))
    return str(raw.get("version", "unknown"))


def normalise_region(region: str | None) -> str:
    """A known region code, falling back to the international list."""
    if not region:
        return DEFAULT_REGION
    code = region.strip().upper().replace("_", "-")
    code = _ALIASES.get(code, code)
    return code if code in _load() else DEFAULT_REGION


def regions() -> list[Region]:
    """Every region with its services (international fallback last)."""
    data = _load()
    return [r for c, r in data.items() if c != DEFAULT_REGION] + [data[DEFAULT_REGION]]


def helplines(region: str | None) -> list[Service]:
    """All services for a region (for the "Get help now" page)."""
    return list(_load()[normalise_region(region)].services)


def young_services(region: str | None) -> list[Service]:
    """Services for children and young people in a region, only those whose
    facts have been checked against the service's own site (``verified``):
    a young person must not be sent to a number we have not confirmed."""
    return [s for s in _load()[normalise_region(region)].services if "young" in s.audiences and s.verified]


def emergency_number(region: str | None) -> str | None:
    return _load()[normalise_region(region)].emergency_number


def _emergency_service(region: Region) -> Service:
    number = region.emergency_number
    return Service(
        name="Emergency services", phone=number, hours="24 hours, every day",
        description=("If your life or someone else's is in danger now, call "
                     + (number or "your local emergency number") + "."),
        id="emergency", audiences=("imminent",),
    )


def build(audience: str, region: str | None, tier: str | None = None) -> Signposting:
    """The signposting for one audience in one region (``tier`` is the risk
    tier, which softens the words for a writer at ``concern``)."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    reg = _load()[normalise_region(region)]
    emergency = reg.emergency_number or "your local emergency number"
    headline, message = _TEXTS["concern" if audience == "self" and tier == "concern" else audience]
    wanted = "other" if audience == "other" else "self"
    services = tuple(s for s in reg.services if wanted in s.audiences)
    if audience == "imminent":
        services = (_emergency_service(reg), *services)
    return Signposting(
        audience=audience, region=reg.code, headline=headline,
        message=message.format(emergency=emergency), services=services,
        emergency_number=reg.emergency_number,
    )

# Readings that put a signal behind the writer (``Reason.context``): a crisis
# they have come through, or one they deny. Hypotheticals and quotes are not
# among them: a veiled disclosure ("what if I'm suicidal?") still deserves the
# gentle panel.
_BEHIND_THEM = frozenset({"negated", "in the past"})


def behind_them(reasons: Sequence[Reason]) -> bool:
    """Every crisis signal in the text is a past crisis or a denial: a
    recovery story ("a year ago I was suicidal; now I'm doing well") or "I'm
    not suicidal". A signal read as happening now, or one a model raised
    (those carry no notes), keeps the panel."""
    crisis = [r for r in reasons if r.code.startswith("crisis.")]
    return bool(crisis) and all(_BEHIND_THEM & set(r.context) for r in crisis)


def decide(risk: str, audience: str, categories: Collection[str], reasons: Sequence[Reason],
           region: str | None, unreadable: bool = False) -> Signposting | None:
    """The signposting a screened text gets, if any, from its risk tier, whose
    risk it is, and the context of its reasons.

    The panel is for someone who may be struggling now. At ``concern``, a
    story of a crisis the writer has come through, with nothing said to be
    happening now, gets no panel: a recovery story met with "please call a
    helpline" tells the writer we did not read them, and a panel on every
    mention of the past would stop meaning anything. A moderator still sees
    the flag. ``high`` and ``imminent`` always get the panel: the detector
    found something current, and a miss can cost a life."""
    if unreadable:
        # Text we can't read gets the international list, and always some list:
        # it may hold a crisis the pipeline could not see.
        region = DEFAULT_REGION
        if risk == "none" and audience != "other":
            return build("self", region)
    if risk == "imminent":
        return build("imminent", region)
    if risk == "high":
        return build("other" if audience == "other" else "self", region, tier=risk)
    if risk == "concern":
        if audience != "other" and "crisis.third_party" not in categories and behind_them(reasons):
            return None
        return build("other" if audience == "other" else "self", region, tier=risk)
    if "crisis.third_party" in categories:
        return build("other", region)
    if "screening_error" in categories:
        # Unscreened text may hold a crisis the pipeline could not see.
        return build("self", region)
    return None


def dial_uri(phone: str | None) -> str | None:
    """A ``tel:`` link for a listed phone number (digits only). Where two
    numbers are listed ("112 or 999") the link dials the first."""
    first = (phone or "").split(" or ")[0]
    digits = "".join(c for c in first if c.isdigit() or c == "+")
    return f"tel:{digits}" if digits else None


def sms_uri(text: str | None) -> str | None:
    """An ``sms:`` link for a listed text line such as "Text SHOUT to 85258",
    with the keyword filled in, so a tap opens a ready message."""
    line = (text or "").strip()
    if not line.startswith("Text "):
        return None
    keyword, _, number = line[5:].rpartition(" to ")
    if keyword and not keyword.isalnum():
        return None
    if not number or any(not (c.isdigit() or c in " -") for c in number):
        return None
    digits = "".join(c for c in number if c.isdigit())
    return f"sms:{digits}?body={keyword}" if keyword else f"sms:{digits}"


@functools.lru_cache(maxsize=1)
def known_numbers() -> frozenset[str]:
    """Digits of every helpline number, so sharing one is never treated as
    sharing personal contact details (members should pass these on)."""
    out = set()
    for reg in _load().values():
        for s in reg.services:
            for value in (s.phone, s.text):
                digits = "".join(c for c in (value or "") if c.isdigit())
                if len(digits) >= 5:
                    out.add(digits)
    return frozenset(out)
