"""Plain words for the codes moderators and staff see (reasons, statuses, tiers).

Screens show these instead of raw codes such as ``crisis.ideation``; an
unknown code still reads as words (dots and underscores become spaces).
"""
from __future__ import annotations

REASONS = {
    "imminent": "Says they may act on it soon",
    "high": "High risk",
    "concern": "Sounds low or distressed",
    "crisis.ideation": "Thoughts of suicide",
    "crisis.plan": "Mentions a plan",
    "crisis.means": "Mentions having the means",
    "crisis.method_detail": "Describes a method",
    "crisis.self_harm": "Self-harm",
    "crisis.distress": "Distress",
    "crisis.third_party": "Worried about someone else",
    "crisis.semantic": "Reads like a crisis post",
    "crisis.error": "Crisis check failed",
    "self_harm": "Self-harm",
    "harm.encouragement": "Encourages self-harm",
    "harm_encouragement": "Encourages self-harm",
    "abuse.identity": "Attacks who someone is",
    "abuse.threat": "Threatens someone",
    "abuse.toxic": "Abusive to others",
    "slur.reclaimed": "Uses a slur, not read as an attack",
    "screening_error": "Screening failed: risk not ruled out",
    "premoderation": "Waiting for approval (new member or board rule)",
    "out_of_hours": "Held while no moderator was online",
    "auto_hidden": "Hidden after several reports",
    "contact_details": "Shares contact details",
    "worried": "A member is worried about this person",
    "unkind": "Reported as unkind or abusive",
    "methods": "Reported for methods or graphic detail",
    "spam": "Reported as spam",
    "personal_details": "Reported for personal details",
    "other": "Reported for something else",
}

STATUSES = {
    "pending": "Waiting for a moderator",
    "escalated": "With staff",
    "approved": "Approved",
    "rejected": "Kept hidden",
    "ignored": "Closed, no action",
    "open": "Needs acknowledging",
    "acknowledged": "Acknowledged",
    "in_progress": "Being worked on",
    "resolved": "Resolved",
}

TIERS = {"imminent": "Imminent", "harm_encouragement": "Encourages harm", "high": "High",
         "abuse": "Abuse", "concern": "Concern", "other": "Other"}

RISKS = {"imminent": "Imminent risk", "high": "High risk", "concern": "Some concern", "none": "No risk found"}


def _words(code: str) -> str:
    text = str(code or "").replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def reason(code: str) -> str:
    return REASONS.get(code) or _words(code)


def status(code: str) -> str:
    return STATUSES.get(code) or _words(code)


def tier(code: str) -> str:
    return TIERS.get(code) or _words(code)


def risk(code: str) -> str:
    return RISKS.get(code) or _words(code)


def unique_reasons(reasons: list[dict]) -> list[dict]:
    """One entry per code (a code found in two stages was shown twice)."""
    seen: dict[str, dict] = {}
    for r in reasons:
        code = r.get("code", "")
        if code in seen:
            if r.get("source") == "flag":
                seen[code] = {**seen[code], "count": int(seen[code].get("count") or 1) + int(r.get("count") or 1)}
        else:
            seen[code] = dict(r)
    return list(seen.values())
