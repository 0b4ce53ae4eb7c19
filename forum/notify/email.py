"""Notification emails: optional, off by default, and never with post text.

An inbox is not a private place (a shared laptop, a partner's phone), so an
email says only what kind of thing happened and in which board, with a
link that needs a login: never a title, a handle or a word of a post, so
nothing in it can tell anyone who wrote anonymously.

Emails are made by outbox handlers after the notification commits
(``notify.email`` for one notification, ``notify.digest`` for a day's
worth); the hourly digest job only decides who is due. Every email has an
unsubscribe link that works without logging in (a signed token naming the
account) and RFC 8058 one-click headers, so a mail client's "unsubscribe"
button works too.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from forum import mail, outbox
from forum.extensions import db
from forum.models import (ContentStatus, EmailMode, Notification, NotificationKind, NotificationSettings, Post,
                          User)
from forum.models import base as clock

K = NotificationKind
# Replies (to you, or in a topic you watch), new topics in a board you watch,
# quotes and mentions; the team's
# messages have their own immediate email (conversations), and join the digest.
EMAIL_KINDS = frozenset({K.REPLY, K.QUOTE, K.MENTION, K.NEW_TOPIC})
DIGEST_EVERY = timedelta(hours=24)
DIGEST_MAX_LINES = 20


class SettingsError(ValueError):
    """A choice we can't save (shown to the member, with their choice kept)."""


# -- settings -------------------------------------------------------------------------

def settings_for(user_id: int) -> NotificationSettings:
    """The member's row, or an unsaved one holding the defaults."""
    return db.session.get(NotificationSettings, user_id) or NotificationSettings(
        user_id=user_id, email_mode=EmailMode.OFF, watch_own_topics=True)


def save_settings(user: User, email_mode: str, watch_own_topics: bool) -> NotificationSettings:
    if email_mode not in EmailMode.ALL:
        raise SettingsError("Choose never, straight away or once a day.")
    if email_mode != EmailMode.OFF and not user.email:
        raise SettingsError("Add an email address in your settings above first, then choose how often.")
    row = db.session.get(NotificationSettings, user.id)
    if row is None:
        row = NotificationSettings(user_id=user.id)
        db.session.add(row)
    now = clock.utcnow()
    if email_mode == EmailMode.DAILY and row.email_mode != EmailMode.DAILY:
        row.digest_from = now  # the first digest covers what happens from now on
    row.email_mode = email_mode
    row.watch_own_topics = bool(watch_own_topics)
    row.updated_at = now
    db.session.commit()
    return row


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="kindred-unsubscribe")


def unsubscribe_token(user_id: int) -> str:
    return _serializer().dumps(user_id)


def unsubscribe_user(token: str) -> User | None:
    """The account a link was made for, or None for a forged or stale one."""
    try:
        user_id = _serializer().loads(token)
    except BadSignature:
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    return user if user is not None and not user.is_deactivated else None


def unsubscribe(token: str) -> bool:
    """Stop all notification emails for the token's account (repeatable). False for a bad token."""
    user = unsubscribe_user(token)
    if user is None:
        return False
    row = db.session.get(NotificationSettings, user.id)
    if row is not None and row.email_mode != EmailMode.OFF:
        row.email_mode = EmailMode.OFF
        row.updated_at = clock.utcnow()
    # The team's conversation emails are the same "stop emailing me".
    user.email_team_messages = False
    db.session.commit()
    return True


# -- what an email says ----------------------------------------------------------------

def line_for(n: Notification, post: Post | None) -> str:
    """One sentence about one notification: what happened and in which board, nothing else."""
    if n.kind == K.CONVERSATION:
        return "The moderation team wrote to you in your private conversation."
    where = f" in {post.topic.board.name}" if post is not None else ""
    if n.kind == K.QUOTE:
        return f"Someone quoted your post{where}."
    if n.kind == K.MENTION:
        return f"Someone mentioned you{where}."
    if n.kind == K.NEW_TOPIC:
        return f"There's a new topic{where}."
    if post is not None and post.reply_to_id and db.session.scalar(
            select(Post.author_id).where(Post.id == post.reply_to_id)) == n.user_id:
        return f"Someone replied to your post{where}."
    if post is not None and post.topic.author_id == n.user_id:
        return f"Someone replied to your topic{where}."
    return f"There's a new reply in a topic you're watching{where}."


def _send(user: User, subject: str, lines: list[str], link: str) -> None:
    from forum.links import external_url

    unsubscribe = external_url("notifications.unsubscribe", token=unsubscribe_token(user.id))
    body = "\n".join(lines) + (
        f"\n\nRead it after logging in:\n{link}\n\n"
        "This email never contains what anyone wrote, so it is safe for others to see.\n"
        f"You get it because you chose email notifications on your account page. "
        f"To stop them (no login needed):\n{unsubscribe}\n")
    outbox.send_email(subject, body, [user.email], headers={
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    })


def _visible_post(n: Notification) -> Post | None | bool:
    """The notification's post if it may be mentioned, None if it has none, False if hidden since."""
    if n.post_id is None:
        return None
    post = db.session.get(Post, n.post_id)
    if post is None or post.status != ContentStatus.VISIBLE or post.topic.status != ContentStatus.VISIBLE:
        return False
    return post


def _wants(user: User | None, mode: str) -> bool:
    return (user is not None and bool(user.email) and not user.is_deactivated
            and settings_for(user.id).email_mode == mode and mail.enabled())


# -- immediate -------------------------------------------------------------------------

def queue_immediate(made: list[Notification]) -> None:
    """Inside the transaction that makes the notifications: one email row each, for those who asked."""
    wanted = [n for n in made if n.kind in EMAIL_KINDS]
    if not wanted:
        return
    immediate = set(db.session.scalars(select(NotificationSettings.user_id).where(
        NotificationSettings.user_id.in_({n.user_id for n in wanted}),
        NotificationSettings.email_mode == EmailMode.IMMEDIATE)))
    if not immediate:
        return
    db.session.flush()
    for n in wanted:
        if n.user_id in immediate:
            outbox.add("notify.email", notification_id=n.id)


@outbox.handler("notify.email")
def _deliver_email(payload: dict[str, Any]) -> None:
    from forum.links import external_url

    n = db.session.get(Notification, payload["notification_id"])
    # Already read (live, on the site), or the member changed their mind: no email.
    if n is None or n.read_at is not None:
        return
    user = db.session.get(User, n.user_id)
    post = _visible_post(n)
    if post is False or not _wants(user, EmailMode.IMMEDIATE):
        return
    line = line_for(n, post)
    _send(user, f"Kindred: {line.rstrip('.')}", [line], external_url("notifications.open", notification_id=n.id))


# -- daily digest ----------------------------------------------------------------------

def queue_digests(now: datetime | None = None) -> int:
    """The hourly job: for each member due a digest, move their window on and
    queue its email (one transaction, so a crash neither loses nor repeats one)."""
    now = now or clock.utcnow()
    due = db.session.scalars(select(NotificationSettings).where(
        NotificationSettings.email_mode == EmailMode.DAILY,
        (NotificationSettings.digest_from.is_(None)) | (NotificationSettings.digest_from <= now - DIGEST_EVERY))
        .order_by(NotificationSettings.user_id)).all()
    for row in due:
        since = row.digest_from or now - DIGEST_EVERY
        outbox.add("notify.digest", user_id=row.user_id, since=since.isoformat(), until=now.isoformat())
        row.digest_from = now
    db.session.commit()
    return len(due)


def digest_rows(user: User, since: datetime, until: datetime) -> list[tuple[Notification, Post | None]]:
    kinds = set(EMAIL_KINDS)
    if not user.email_team_messages:  # those already had their own email
        kinds.add(K.CONVERSATION)
    rows = db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind.in_(sorted(kinds)), Notification.read_at.is_(None),
        Notification.updated_at > since, Notification.updated_at <= until)
        .order_by(Notification.updated_at, Notification.id)).all()
    found = []
    for n in rows:
        post = _visible_post(n)
        if post is not False:
            found.append((n, post))
    return found


@outbox.handler("notify.digest")
def _deliver_digest(payload: dict[str, Any]) -> None:
    from forum.links import external_url

    user = db.session.get(User, payload["user_id"])
    if not _wants(user, EmailMode.DAILY):
        return
    found = digest_rows(user, datetime.fromisoformat(payload["since"]), datetime.fromisoformat(payload["until"]))
    if not found:
        return  # nothing unread: no email at all
    lines = [line_for(n, post) for n, post in found[:DIGEST_MAX_LINES]]
    if len(found) > DIGEST_MAX_LINES:
        lines.append(f"…and {len(found) - DIGEST_MAX_LINES} more.")
    count = len(found)
    subject = f"Kindred: {count} new notification{'s' if count != 1 else ''} today"
    _send(user, subject, ["Since yesterday:", *(f"- {line}" for line in lines)],
          external_url("notifications.index"))
