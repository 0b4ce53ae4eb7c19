"""Web helpers for the review and staff areas: highlighting,
the out-of-hours banner and the member-notice badge."""
from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import func, select

from forum.extensions import db


def highlight(source: str, reasons: list[dict[str, Any]]) -> Markup:
    """The source text with the pipeline's spans wrapped in <mark>.

    Built from the stored source and spans, escaping every piece of member
    text: this is the only Markup made from member text in the review area.
    """
    spans = sorted(
        (int(r["start"]), int(r["end"]), r.get("code") or "")
        for r in reasons
        if r.get("source") == "pipeline" and isinstance(r.get("start"), int) and isinstance(r.get("end"), int)
        and 0 <= r["start"] < r["end"] <= len(source)
    )
    out: list[Any] = []
    pos = 0
    for start, end, code in spans:
        if start < pos:  # overlapping spans: extend the previous mark instead of nesting
            start = pos
            if start >= end:
                continue
        out.append(escape(source[pos:start]))
        out.append(Markup('<mark title="{}">{}</mark>').format(code, source[start:end]))
        pos = end
    out.append(escape(source[pos:]))
    return Markup("").join(out)


def moderators_away() -> bool:
    from forum.review import services

    # Moderators and staff are the ones who'd be "back": the banner is for members.
    if current_user.is_authenticated and current_user.is_moderator:
        return False
    return services.moderators_online() == 0


def unread_notices() -> int:
    from forum.models import MemberNotice

    if not current_user.is_authenticated:
        return 0
    return db.session.scalar(select(func.count()).select_from(MemberNotice).where(
        MemberNotice.user_id == current_user.id, MemberNotice.read_at.is_(None))) or 0


def away_helplines() -> list[Any]:
    """Up to three helplines for the member's region, for the banner.

    Any failure leaves the list empty: the banner still links to /help, and a
    signposting problem must never take a page down.
    """
    try:
        from moderation import signposting

        from forum.web import current_region

        return list(signposting.helplines(current_region()))[:3]
    except Exception:  # noqa: BLE001
        return []


def init_app(app: Flask) -> None:
    # Callables, so the queries run only on pages that show the banner/badge.
    app.jinja_env.globals.update(moderators_away=moderators_away, unread_notices=unread_notices,
                                 away_helplines=away_helplines, review_highlight=highlight)
    from forum.review import labels

    app.jinja_env.filters.update(reason_label=labels.reason, status_label=labels.status,
                                 risk_label=labels.risk, tier_label=labels.tier, unique_reasons=labels.unique_reasons)
