"""Forum use cases: start a topic, reply, edit, delete, support.

Each public function is one use case and one transaction. Every piece of
member text is screened (``forum.screening.screen_for``) *before* anything is
stored; the verdict and the sanitised HTML are stored with the text, so
pages never render Markdown on read and never show unscreened text.

Side effects that other people notice (Socket.IO, alerts) are left to the
review area's outbox, written in the same transaction by ``on_screened``.
"""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from forum import dbtuning, reactions
from forum.errors import FieldErrors, NotAllowed
from forum.content import refresh_counters, set_post_status
from forum.dbretry import retrying
from forum.extensions import db
from forum.screening import screen_for
from forum.models import Board, ContentStatus, Post, PostRevision, PostSupport, Topic, User, utcnow
from forum.notify import services as notify
from forum.review import services as review_services
from moderation.verdict import ACTION_RANK, Verdict

VISIBLE_ACTIONS = ("publish", "publish_flagged")


@dataclass(frozen=True)
class NewTopic:
    board_id: int
    title: str
    body: str
    content_warning: str | None = None
    anonymous: bool = False
    region: str | None = None
    submission_key: str | None = None


@dataclass(frozen=True)
class NewReply:
    topic_id: int
    body: str
    content_warning: str | None = None
    anonymous: bool = False
    reply_to_id: int | None = None
    region: str | None = None
    submission_key: str | None = None


@dataclass(frozen=True)
class PostEdit:
    post_id: int
    body: str
    content_warning: str | None = None
    reason: str | None = None
    region: str | None = None
    submission_key: str | None = None


@dataclass(frozen=True)
class Posted:
    """The outcome the author sees: where the post went and why."""

    post: Post
    topic: Topic
    action: str
    verdict: Verdict

    @property
    def held(self) -> bool:
        return self.post.status == ContentStatus.HELD


# -- rules ---------------------------------------------------------------------

def _limits():
    from flask import current_app

    return current_app.config["KINDRED_MAX_POST_CHARS"], current_app.config["KINDRED_MAX_TITLE_CHARS"]


def _check_can_post(user: User) -> None:
    if user.needs_health_consent:
        from forum.rights.consent import NEEDED
        raise FieldErrors({"form": [NEEDED]})
    if user.is_silenced():
        raise FieldErrors({"form": [
            "Your account can't post at the moment. You can still read, and the Get help now "
            "page lists services you can contact at any time."]})


def _check_body(body: str, field: str = "body") -> dict[str, list[str]]:
    max_chars, _ = _limits()
    if not body or not body.strip():
        return {field: ["Please write something before posting."]}
    if len(body) > max_chars:
        return {field: [f"Your post is {len(body):,} characters long; the limit is {max_chars:,}. "
                        "Please shorten it or split it into two posts. Your text is kept below."]}
    return {}


def _check_title(title: str) -> dict[str, list[str]]:
    _, max_chars = _limits()
    if not title or not title.strip():
        return {"title": ["Please give your topic a title."]}
    if len(title) > max_chars:
        return {"title": [f"Please keep the title under {max_chars} characters (it is {len(title)})."]}
    return {}


def _clean_cw(content_warning: str | None) -> str | None:
    cw = " ".join((content_warning or "").split())
    return cw[:200] or None


def _blocked(verdict: Verdict, field: str) -> dict[str, list[str]]:
    return {field: [verdict.error or (
        "We can't publish this as it is. Please look at our community guidelines, change it, "
        "and post again. Your text is kept below.")]}


def _stricter(*actions: str) -> str:
    return max(actions, key=lambda a: ACTION_RANK[a])


def _premoderated(board: Board, user: User) -> bool:
    """Board pre-moderation: a member's first N posts wait for a moderator.

    Counts posts that were published or approved, so someone whose first
    posts were held stays pre-moderated until a moderator approves enough.
    Moderators and staff are trusted already.
    """
    return board.premod_first_n > 0 and not user.is_moderator and user.approved_post_count < board.premod_first_n


def _status_for(action: str) -> str:
    return ContentStatus.VISIBLE if action in VISIBLE_ACTIONS else ContentStatus.HELD


def _screen(text: str, kind: str, region: str | None, board: Board) -> Verdict:
    return screen_for(board, text, kind=kind, region=region)


# -- one-time submission keys ----------------------------------------------------

def _already_posted(user: User, key: str | None) -> Posted | None:
    """The post this form already created, when the same form comes back."""
    if not key:
        return None
    post = db.session.scalar(select(Post).where(Post.author_id == user.id, Post.submission_key == key))
    return _as_posted(post) if post is not None else None


def _as_posted(post: Post) -> Posted:
    verdict = Verdict.from_dict(post.verdict) if post.verdict else Verdict(
        action=post.verdict_action, risk=post.verdict_risk, html=post.body_html, text=post.body_source)
    return Posted(post=post, topic=post.topic, action=verdict.action, verdict=verdict)


def _store_once(write, user: User, key: str | None, verdict: Verdict) -> Posted:
    """``retrying(write)``; if the same form was stored meanwhile (a resubmit
    racing the cut-off original), return that post instead.

    A post stating imminent risk writes ahead of ordinary ones (on SQLite,
    whose single write lock they share): its case reaches staff sooner.
    """
    try:
        with dbtuning.urgent_writes() if verdict.risk == "imminent" else nullcontext():
            return retrying(write)
    except IntegrityError as exc:
        db.session.rollback()
        if key and "submission_key" in str(exc.orig) and (done := _already_posted(user, key)):
            return done
        raise


# -- use cases -----------------------------------------------------------------

def create_topic(user: User, data: NewTopic) -> Posted:
    _check_can_post(user)
    if done := _already_posted(user, data.submission_key):
        return done
    board = db.session.get(Board, data.board_id)
    if board is None:
        raise FieldErrors({"form": ["That board doesn't exist any more."]})
    errors = _check_title(data.title) | _check_body(data.body)
    if errors:
        raise FieldErrors(errors)
    title_v = _screen(data.title, "title", data.region, board)
    body_v = _screen(data.body, "post", data.region, board)
    errors = (_blocked(title_v, "title") if title_v.action == "block" else {}) | (
        _blocked(body_v, "body") if body_v.action == "block" else {})
    if errors:
        raise FieldErrors(errors)
    # The stricter of title and body decides; hand the deciding verdict on.
    action = _stricter(review_services.effective_action(body_v, kind="post"),
                       review_services.effective_action(title_v, kind="title"))
    verdict = body_v if ACTION_RANK[body_v.action] >= ACTION_RANK[title_v.action] else title_v
    if action in VISIBLE_ACTIONS and _premoderated(board, user):
        action = "hold"
    status = _status_for(action)

    def write() -> Posted:
        now = utcnow()
        topic = Topic(board=board, author=user, is_anonymous=data.anonymous,
                      title=title_v.text or data.title.strip(), title_verdict=title_v.to_dict(), status=status,
                      created_at=now, last_activity_at=now)
        post = Post(topic=topic, number=1, author=user, is_anonymous=data.anonymous, body_source=body_v.text,
                    content_warning=_clean_cw(data.content_warning), status=status, created_at=now,
                    submission_key=data.submission_key or None)
        post.apply_verdict(body_v)
        db.session.add_all([topic, post])
        return _finish(post, verdict, action, board)

    return _store_once(write, user, data.submission_key, verdict)


def reply(user: User, data: NewReply) -> Posted:
    _check_can_post(user)
    if done := _already_posted(user, data.submission_key):
        return done
    topic = db.session.get(Topic, data.topic_id)
    if topic is None or not _topic_open_to(topic, user):
        raise FieldErrors({"form": ["That topic isn't available any more."]})
    if errors := _check_body(data.body):
        raise FieldErrors(errors)
    board = topic.board
    verdict = _screen(data.body, "reply", data.region, board)
    if verdict.action == "block":
        raise FieldErrors(_blocked(verdict, "body"))
    action = review_services.effective_action(verdict, kind="post")
    if action in VISIBLE_ACTIONS and _premoderated(board, user):
        action = "hold"
    reply_to = db.session.get(Post, data.reply_to_id) if data.reply_to_id else None
    reply_to_id = reply_to.id if reply_to is not None and reply_to.topic_id == topic.id else None

    def write() -> Posted:
        # The topic row lock serialises numbering on PostgreSQL; on SQLite the
        # write lock does, and a stale snapshot or a clash is retried.
        db.session.execute(select(Topic.id).where(Topic.id == topic.id).with_for_update())
        number = (db.session.scalar(select(func.max(Post.number)).where(Post.topic_id == topic.id)) or 0) + 1
        post = Post(topic=topic, number=number, author=user, is_anonymous=data.anonymous,
                    body_source=verdict.text, content_warning=_clean_cw(data.content_warning),
                    reply_to_id=reply_to_id, status=_status_for(action), created_at=utcnow(),
                    submission_key=data.submission_key or None)
        post.apply_verdict(verdict)
        db.session.add(post)
        return _finish(post, verdict, action, board)

    return _store_once(write, user, data.submission_key, verdict)


def _finish(post: Post, verdict: Verdict, action: str, board: Board) -> Posted:
    db.session.flush()
    notify.on_post_written(post)
    if post.status == ContentStatus.VISIBLE:
        post.author.approved_post_count += 1
        notify.on_post_visible(post)
    review_services.on_screened("post", post, verdict, board_id=board.id, action=action)
    refresh_counters(post.topic)
    db.session.commit()
    return Posted(post=post, topic=post.topic, action=action, verdict=verdict)


def edit_post(user: User, data: PostEdit) -> Posted:
    """The author revises their post. The old text is kept as a revision.

    A hidden post that the author revises goes back to a moderator (held),
    never straight back to visible: hiding was a human decision.
    """
    _check_can_post(user)
    post = db.session.get(Post, data.post_id)
    if post is None or post.status == ContentStatus.DELETED:
        raise FieldErrors({"form": ["That post isn't available any more."]})
    if post.author_id != user.id:
        raise NotAllowed()
    if data.submission_key and post.edit_key == data.submission_key:
        return _as_posted(post)  # this edit form was already saved
    if errors := _check_body(data.body):
        raise FieldErrors(errors)
    board = post.topic.board
    verdict = _screen(data.body, "edit", data.region, board)
    if verdict.action == "block":
        raise FieldErrors(_blocked(verdict, "body"))
    action = review_services.effective_action(verdict, kind="post")
    if post.status in (ContentStatus.HIDDEN, ContentStatus.HELD) and action in VISIBLE_ACTIONS:
        action = "hold"

    def write() -> Posted:
        db.session.add(PostRevision(post_id=post.id, number=post.revision_count + 1, body_source=post.body_source,
                                    body_html=post.body_html, content_warning=post.content_warning,
                                    editor_id=user.id, reason=(data.reason or "").strip() or None,
                                    verdict=post.verdict))
        post.revision_count += 1
        post.body_source = verdict.text
        post.content_warning = _clean_cw(data.content_warning)
        post.apply_verdict(verdict)
        post.edited_at = utcnow()
        post.edit_key = data.submission_key or None
        new_status = _status_for(action)
        if new_status != post.status:
            set_post_status(post, new_status)
        db.session.flush()
        review_services.on_screened("post", post, verdict, board_id=board.id, action=action)
        db.session.commit()
        return Posted(post=post, topic=post.topic, action=action, verdict=verdict)

    return retrying(write)


def delete_post(user: User, post_id: int) -> Post:
    """Soft delete by the author: the row stays (for moderators and history)."""
    post = db.session.get(Post, post_id)
    if post is None or post.status == ContentStatus.DELETED:
        raise FieldErrors({"form": ["That post has already been removed."]})
    if post.author_id != user.id:
        raise NotAllowed()
    post.deleted_at = utcnow()
    set_post_status(post, ContentStatus.DELETED)
    db.session.commit()
    return post


def toggle_support(user: User, post_id: int) -> Post:
    """Add or remove the member's "support" on a visible post."""
    post = db.session.get(Post, post_id)
    if post is None or post.status != ContentStatus.VISIBLE or post.topic.status != ContentStatus.VISIBLE:
        raise NotAllowed()
    if reactions.toggle_support(post, PostSupport, "post_id", user.id):
        notify.on_support(post, user.id)
    db.session.commit()
    db.session.refresh(post)
    return post


def _topic_open_to(topic: Topic, user: User | None) -> bool:
    if topic.status in (ContentStatus.VISIBLE,):
        return True
    if user is None or not user.is_authenticated:
        return False
    return user.is_moderator or (topic.status != ContentStatus.DELETED and topic.author_id == user.id)
