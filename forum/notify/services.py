"""Notifications: who is told what, created only after the change commits.

Services call the ``on_*`` functions inside their own transaction; each
writes an outbox row (forum.outbox), so the notifications are made by the
relay after the commit, and never for a change that rolled back. Handlers
re-read the post and notify only while it is visible: held and hidden
content notifies nobody, and when a moderator publishes it the same
handler runs then. The unique (recipient, kind, post) key means a post
published, hidden and published again, or a row delivered twice, still
notifies each person once.

Anonymity: a notification row names no actor. Pages show the post's own
author label, which is "Anonymous member" for anonymous posts, and a reply
to an anonymous post tells its author without telling anyone else who that
author is (the notification is only ever shown to its recipient).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update

from forum import content, outbox
from forum.extensions import db, socketio
from forum.models import ContentStatus, Notification, NotificationKind, Post, User
from forum.models import base as clock
from forum.notify import email

K = NotificationKind
# When one post is several things to a person, they hear about it once, as the strongest.
_STRENGTH = {K.MENTION: 3, K.QUOTE: 2, K.REPLY: 1, K.NEW_TOPIC: 1}
MAX_MENTIONS = 10
_HANDLE_CHARS = frozenset("_-.")


# -- hooks called inside the writing transaction ------------------------------------

@content.on_post_visible
def on_post_visible(post: Post) -> None:
    """A post is now readable by everyone (published, approved or restored)."""
    outbox.add("notify.post", post_id=post.id)


def on_post_written(post: Post) -> None:
    """The author's own new topic or reply (even one held for review): watch
    the topic, unless they chose otherwise or already set its level."""
    from forum.notify import follow

    follow.wrote_in(post.author_id, post.topic, post.number, email.settings_for(post.author_id).watch_own_topics)


def on_support(post: Post, supporter_id: int) -> None:
    if supporter_id != post.author_id:
        outbox.add("notify.support", post_id=post.id)


def on_decision(post: Post, kind: str, note: str | None = None) -> None:
    """A moderator published the author's held post, or kept it hidden."""
    outbox.add("notify.decision", post_id=post.id, kind=kind, note=note)


def on_conversation_message(conv: Any, msg: Any) -> None:
    """conversations.MEMBER_NOTIFIERS: the team wrote to the member."""
    outbox.add("notify.conversation", user_id=conv.member_id, conversation_id=conv.id)


# -- who hears about a post -------------------------------------------------------

def mentioned_handles(text: str) -> list[str]:
    """``@handle`` words in a post's source, in order, without repeats."""
    found: list[str] = []
    i = text.find("@")
    while i != -1 and len(found) < MAX_MENTIONS:
        j = i + 1
        while j < len(text) and j - i <= 32 and (text[j].isalnum() or text[j] in _HANDLE_CHARS):
            j += 1
        handle = text[i + 1:j].rstrip(".-")
        # An e-mail address (word@word) is not a mention.
        if handle and (i == 0 or not text[i - 1].isalnum()) and handle not in found:
            found.append(handle)
        i = text.find("@", j)
    return found


def _quotes(post: Post) -> bool:
    return any(line.lstrip().startswith(">") for line in post.body_source.splitlines())


def recipients(post: Post) -> dict[int, str]:
    """user id -> the kind of notification this visible post gives them."""
    found: dict[int, str] = {}

    def add(user_id: int | None, kind: str) -> None:
        if user_id is None or user_id == post.author_id:
            return
        if _STRENGTH[kind] > _STRENGTH.get(found.get(user_id, ""), 0):
            found[user_id] = kind

    topic = post.topic
    if post.number > 1:
        add(topic.author_id, K.REPLY)
    if post.reply_to_id:
        parent = db.session.get(Post, post.reply_to_id)
        if parent is not None and parent.status == ContentStatus.VISIBLE:
            add(parent.author_id, K.QUOTE if _quotes(post) else K.REPLY)
    from forum.notify import follow

    for uid in follow.users_at_level(topic, follow.TopicLevel.WATCHING):
        add(uid, K.NEW_TOPIC if post.number == 1 else K.REPLY)
    handles = mentioned_handles(post.body_source)
    if handles:
        from forum.auth.services import handle_key

        keys = [handle_key(h) for h in handles]
        for uid in db.session.scalars(select(User.id).where(User.handle_key.in_(keys),
                                                            User.is_deactivated.is_(False))):
            add(uid, K.MENTION)
    # Muted topics tell nothing; an ignored member's replies, quotes and
    # mentions reach nobody who ignores them (and the author is not told).
    silent = follow.users_at_level(topic, follow.TopicLevel.MUTED) | follow.ignorers_of(post.author_id)
    return {uid: kind for uid, kind in found.items() if uid not in silent}


def _live(user_id: int, text: str, url: str) -> None:
    """Tell a connected member now (no post text travels); the badge count comes along."""
    from forum.conversations.services import member_room

    socketio.emit("notification", {"text": text, "url": url, "unread": unread_count(user_id)},
                  namespace="/me", to=member_room(user_id))


def _insert(user_id: int, kind: str, post: Post | None = None, **fields: Any) -> Notification | None:
    """One notification, unless this person already had this one (then None)."""
    post_id = post.id if post else None
    if db.session.scalar(select(Notification.id).where(Notification.user_id == user_id, Notification.kind == kind,
                                                       Notification.post_id == post_id)) is not None:
        return None
    now = clock.utcnow()
    # Two relays racing here hit the unique key: the loser's commit fails and its row is retried.
    row = Notification(user_id=user_id, kind=kind, post_id=post_id, created_at=now, updated_at=now, **fields)
    db.session.add(row)
    return row


@outbox.handler("notify.post")
def _deliver_post(payload: dict[str, Any]) -> None:
    post = db.session.get(Post, payload["post_id"])
    if post is None or post.status != ContentStatus.VISIBLE or post.topic.status != ContentStatus.VISIBLE:
        return  # held, hidden or deleted since: a moderator's publish sends it then
    made = [row for uid, kind in recipients(post).items() if (row := _insert(uid, kind, post)) is not None]
    email.queue_immediate(made)
    db.session.commit()
    for row in made:
        _live(row.user_id, describe_kind(row.kind, post.topic.title), f"/notifications/post/{post.id}")


@outbox.handler("notify.support")
def _deliver_support(payload: dict[str, Any]) -> None:
    post = db.session.get(Post, payload["post_id"])
    if post is None or post.status != ContentStatus.VISIBLE or post.support_count < 1:
        return
    now = clock.utcnow()
    # One row per post, counted: "3 people sent support", unread again when it grows.
    changed = db.session.execute(
        update(Notification).where(Notification.user_id == post.author_id, Notification.kind == K.SUPPORT,
                                   Notification.post_id == post.id, Notification.count != post.support_count)
        .values(count=post.support_count, read_at=None, updated_at=now)).rowcount
    if not changed and _insert(post.author_id, K.SUPPORT, post, count=post.support_count) is None:
        db.session.commit()
        return
    db.session.commit()
    _live(post.author_id, support_text(post.support_count), f"/notifications/post/{post.id}")


@outbox.handler("notify.decision")
def _deliver_decision(payload: dict[str, Any]) -> None:
    post = db.session.get(Post, payload["post_id"])
    kind = payload["kind"]
    if post is None or kind not in (K.APPROVED, K.KEPT_HIDDEN):
        return
    if _insert(post.author_id, kind, post, note=payload.get("note")) is not None:
        db.session.commit()
        _live(post.author_id, describe_kind(kind, post.topic.title), "/notifications/")


@outbox.handler("notify.conversation")
def _deliver_conversation(payload: dict[str, Any]) -> None:
    user_id, conv_id = payload["user_id"], payload["conversation_id"]
    now = clock.utcnow()
    # One unread row per conversation, however many messages arrive.
    existing = db.session.scalar(select(Notification).where(
        Notification.user_id == user_id, Notification.kind == K.CONVERSATION,
        Notification.conversation_id == conv_id, Notification.read_at.is_(None)))
    if existing is not None:
        existing.count += 1
        existing.updated_at = now
    else:
        db.session.add(Notification(user_id=user_id, kind=K.CONVERSATION, conversation_id=conv_id,
                                    created_at=now, updated_at=now))
    db.session.commit()


# -- reading ------------------------------------------------------------------------

def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def for_member(user: Any, page: int, per_page: int):
    from forum.boards.queries import paginate

    where = (Notification.user_id == user.id,)
    stmt = select(Notification).where(*where).order_by(Notification.updated_at.desc(), Notification.id.desc())
    return paginate(stmt, select(func.count(Notification.id)).where(*where), page, per_page)


def posts_for(rows: list[Notification]) -> dict[int, Post]:
    ids = [n.post_id for n in rows if n.post_id]
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Post).where(Post.id.in_(ids)))}


def open_one(user: Any, notification_id: int) -> Notification | None:
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        return None
    if row.read_at is None:
        row.read_at = clock.utcnow()
        db.session.commit()
    return row


def read_post(user: Any, post_id: int) -> None:
    """Opening a post from a live notice marks that post's notifications read."""
    db.session.execute(update(Notification).where(Notification.user_id == user.id, Notification.post_id == post_id,
                                                  Notification.read_at.is_(None)).values(read_at=clock.utcnow()))
    db.session.commit()


def read_all(user: Any) -> int:
    done = db.session.execute(update(Notification).where(Notification.user_id == user.id,
                                                         Notification.read_at.is_(None))
                              .values(read_at=clock.utcnow())).rowcount
    db.session.commit()
    return done


# -- words ---------------------------------------------------------------------------

def support_text(count: int) -> str:
    return "1 person sent support to your post" if count == 1 else f"{count} people sent support to your post"


def describe_kind(kind: str, title: str) -> str:
    """The one line a member reads; no post text, no handle."""
    return {
        K.REPLY: f"New reply in “{title}”",
        K.NEW_TOPIC: f"New topic: “{title}”",
        K.QUOTE: f"Your post was quoted in “{title}”",
        K.MENTION: f"You were mentioned in “{title}”",
        K.APPROVED: f"A moderator published your post in “{title}”",
        K.KEPT_HIDDEN: f"A moderator kept your post in “{title}” hidden",
    }.get(kind, "Something new for you")
