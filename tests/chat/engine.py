"""Real texts the moderation engine classifies, and a faithful stand-in.

While the engine's stand-in is installed (it publishes everything),
``install_if_stand_in`` replaces ``moderation.screen`` with verdicts of
exactly the shape the real engine returns for these texts; once the real
engine classifies them itself, it is left alone.
"""
from __future__ import annotations

from collections.abc import Callable

import moderation
from moderation.verdict import Reason, Service, Signposting, Verdict

CONTACT = "message me at someone@example.org and we can talk properly"
IMMINENT = "I want to kill myself tonight"
CONCERN = "I've been feeling hopeless for weeks and can't see the point"


def _signposting(audience: str) -> Signposting:
    return Signposting(
        audience=audience, region="UK", headline="You don't have to face this alone",
        message="It sounds like things are really hard right now.",
        services=(Service(name="Samaritans", phone="116 123", web="https://www.samaritans.org", hours="24/7"),),
        emergency_number="999")


def faithful_screen(real: Callable) -> Callable:
    def screen(text, *, kind="post", region=None, profile=None):
        base = real(text, kind=kind, region=region, profile=profile)
        if "@" in text:
            return Verdict(action="hold", risk="none", categories=frozenset({"contact_details"}), html=base.html,
                           text=base.text or text,
                           reasons=(Reason("contact.email", 14, 33, "someone@example.org", "An email address"),))
        if "tonight" in text:
            return Verdict(action="hold", risk="imminent", categories=frozenset({"self_harm"}), html=base.html,
                           text=base.text or text, signposting=_signposting("imminent"))
        if "hopeless" in text:
            return Verdict(action="publish_flagged", risk="concern", categories=frozenset({"self_harm"}),
                           html=base.html, text=base.text or text, signposting=_signposting("self"))
        return base

    return screen


def is_stand_in() -> bool:
    verdict = moderation.screen(IMMINENT, kind="chat")
    return verdict.risk == "none" or verdict.signposting is None


def install_if_stand_in(setattr_: Callable = setattr) -> bool:
    """Install the faithful stand-in if the real engine is not there yet."""
    if not is_stand_in():
        return False
    setattr_(moderation, "screen", faithful_screen(moderation.screen))
    return True
