"""Queue tiers, priority within a tier, and the deadlines they set."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from forum.after_commit import call_after_commit
from forum.models import ReasonSource, Review
from forum.review.services.common import ABUSE_CATEGORIES, FLAG_BONUS, FLAG_BONUS_MAX, FLAG_TIER, \
    THREAT_CATEGORIES, TIER_BASE, TIER_ORDER, UNSCREENED


def tier_of(risk: str, categories: list[str] | set[str], flag_codes: list[str] = ()) -> str:
    cats = set(categories)
    if risk == "imminent":
        return "imminent"
    if any("encourag" in c for c in cats):
        return "harm_encouragement"
    tiers = ["other"]
    # Unscreened text sorts with high risk: the pipeline could not rule risk out.
    if risk == "high" or UNSCREENED in cats:
        tiers.append("high")
    if cats & ABUSE_CATEGORIES or any(c.startswith("abuse.") for c in cats):
        tiers.append("abuse")
    if cats & THREAT_CATEGORIES:
        # A threat of violence may be carried out: it is read with the high
        # tier's deadline, not in the queue of insults.
        tiers.append("high")
    if risk == "concern":
        tiers.append("concern")
    tiers += [FLAG_TIER.get(code, "other") for code in flag_codes]
    return max(tiers, key=TIER_ORDER.index)


def _raised(tier: str, raises: int) -> str:
    return TIER_ORDER[min(len(TIER_ORDER) - 1, TIER_ORDER.index(tier) + raises)]


def review_tier(review: Review) -> str:
    cats = [r["code"] for r in review.reasons if r.get("source") == ReasonSource.PIPELINE]
    flags = [r["code"] for r in review.reasons if r.get("source") == ReasonSource.FLAG]
    return _raised(tier_of(review.risk, cats, flags), review.tier_raises)


def recompute_priority(review: Review) -> None:
    flag_count = sum(int(r.get("count", 1)) for r in review.reasons if r.get("source") == ReasonSource.FLAG)
    review.priority = TIER_BASE[review_tier(review)] + min(FLAG_BONUS_MAX, FLAG_BONUS * flag_count)


def sla_for(tier: str) -> timedelta:
    """How long an item may wait before a missed-deadline re-alert."""
    if tier == "imminent":
        return timedelta(seconds=current_app.config["KINDRED_SLA_IMMINENT_SECONDS"])
    if tier in ("harm_encouragement", "high"):
        return timedelta(seconds=current_app.config["KINDRED_SLA_HIGH_SECONDS"])
    return timedelta(seconds=current_app.config["KINDRED_SLA_DEFAULT_SECONDS"])


def case_sla(risk: str) -> timedelta:
    # Every case is a person possibly at risk: staff acknowledge imminent
    # cases within the imminent deadline, and all others within the high one.
    key = "KINDRED_SLA_IMMINENT_SECONDS" if risk == "imminent" else "KINDRED_SLA_HIGH_SECONDS"
    return timedelta(seconds=current_app.config[key])


def schedule_check(at: datetime) -> None:
    """Run the deadline check at ``at``, once this transaction commits."""
    def enqueue() -> None:
        from forum import jobs

        jobs.schedule_deadline_check(at)

    call_after_commit(enqueue, late=True)
