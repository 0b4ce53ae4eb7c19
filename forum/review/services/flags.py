"""Members' reports (flags): de-duplicated, raising priority, and hiding
content once enough established members agree."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from forum.errors import InvalidInput
from forum.extensions import db
from forum.models import ContentStatus, Flag, FlagStatus, ReasonSource, Review, Role, User
from forum.models import base as clock
from forum.review.services.common import AUTO_HIDDEN_NOTE, FLAG_REASONS, OPEN_STATUSES, TARGET_TYPES
from forum.review.services.items import add_history, announce, get_or_create_review, merge_reasons, \
    open_or_reopen, pipeline_reasons_from_row
from forum.review.services.priority import recompute_priority
from forum.review.services.targets import get_target, set_content_status, target_board_id


def flag(target_type: str, target: Any, reporter: Any, reason: str, details: str | None = None) -> Review:
    """A member's report. No commit.

    De-duplicated per reporter; each distinct flag raises the item's
    priority; KINDRED_AUTO_HIDE_FLAGS distinct members hide the content
    until a moderator has looked.
    """
    if target_type not in TARGET_TYPES or target is None:
        raise InvalidInput("That can't be reported.")
    if reason not in FLAG_REASONS:
        raise InvalidInput("Please choose a reason.")
    details = (details or "").strip() or None
    if reason == "other" and not details:
        raise InvalidInput("Please tell us a little about what's wrong.")
    if details and len(details) > 1000:
        raise InvalidInput("Please keep the details under 1000 characters.")
    if target.author_id == reporter.id:
        raise InvalidInput("You can't report your own post. You can edit or delete it instead.")
    review, created = get_or_create_review(target_type, target, target_board_id(target_type, target))
    db.session.flush()
    if db.session.scalar(select(Flag).where(Flag.review_id == review.id, Flag.reporter_id == reporter.id)):
        return review  # one flag per member per item: a repeat adds nothing
    try:
        with db.session.begin_nested():
            db.session.add(Flag(review_id=review.id, reporter_id=reporter.id, reason=reason, details=details,
                                status=FlagStatus.OPEN, created_at=clock.utcnow()))
    except IntegrityError:
        return review
    if created:
        review.risk = target.verdict_risk or "none"
        review.reasons = pipeline_reasons_from_row(target)
    open_flags = db.session.execute(
        select(Flag.reason, func.count()).where(Flag.review_id == review.id, Flag.status == FlagStatus.OPEN)
        .group_by(Flag.reason)).all()
    review.reasons = [r for r in review.reasons if r["source"] != ReasonSource.FLAG] + [
        {"source": ReasonSource.FLAG, "code": code, "count": n, "explanation": FLAG_REASONS[code]} for code, n in open_flags]
    was_open = review.status in OPEN_STATUSES
    open_or_reopen(review, created, reporter, "flagged", note=None)
    # History keeps the reporter for staff; views never show it to the author.
    recompute_priority(review)
    distinct = _established_reporters(review)
    # A named moderator's or staff member's post (a helpline pointer, a
    # warning) is never hidden by member reports: it waits in the queue.
    by_staff = not target.is_anonymous and target.author is not None and target.author.is_moderator
    if distinct >= current_app.config["KINDRED_AUTO_HIDE_FLAGS"] and by_staff:
        review.reasons = merge_reasons(review.reasons, [{
            "source": ReasonSource.SYSTEM, "code": "not_auto_hidden",
            "explanation": "Reported by several members; a moderator's or staff member's post is never "
                           "hidden automatically."}])
    elif distinct >= current_app.config["KINDRED_AUTO_HIDE_FLAGS"] and target.status == ContentStatus.VISIBLE:
        set_content_status(target_type, target, ContentStatus.HIDDEN)
        target.moderator_note = AUTO_HIDDEN_NOTE
        review.reasons = merge_reasons(review.reasons, [{"source": ReasonSource.SYSTEM, "code": "auto_hidden",
                                                          "explanation": f"{distinct} members flagged it."}])
        add_history(review, None, "auto_hidden", data_flags=distinct)
    announce(review, new=created or not was_open)
    return review


def report(target_type: str, target_id: int, reporter: Any, reason: str, details: str | None = None) -> Review:
    """A member's report, committed; a busy database is retried (forum.dbretry)."""
    from forum.dbretry import retrying

    def write() -> Review:
        review = flag(target_type, get_target(target_type, target_id), reporter, reason, details)
        db.session.commit()
        return review

    return retrying(write)


def _established_reporters(review: Review) -> int:
    """Distinct open reporters whose reports may hide content: moderators and
    staff, and members whose account is old enough and has enough approved
    posts (KINDRED_AUTO_HIDE_MIN_ACCOUNT_DAYS / _MIN_POSTS). Fresh accounts
    cost nothing to make, so three of them must not be able to hide a post."""
    cutoff = clock.utcnow() - timedelta(days=current_app.config["KINDRED_AUTO_HIDE_MIN_ACCOUNT_DAYS"])
    established = (User.role != Role.MEMBER) | (
        (User.created_at <= cutoff) & (User.approved_post_count >= current_app.config["KINDRED_AUTO_HIDE_MIN_POSTS"]))
    return db.session.scalar(
        select(func.count(func.distinct(Flag.reporter_id))).join(User, User.id == Flag.reporter_id)
        .where(Flag.review_id == review.id, Flag.status == FlagStatus.OPEN, established)) or 0
