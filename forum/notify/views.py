"""Views: parse input, call a service, render. Works without JavaScript."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.boards import queries
from forum.extensions import csrf
from forum.models import NotificationKind
from forum.notify import bp, email, follow, services
from forum.web import db_int


@bp.get("/")
@login_required
def index():
    page = services.for_member(current_user, request.args.get("page", 1, type=db_int) or 1,
                               current_app.config["POSTS_PER_PAGE"])
    return render_template("notify/index.html", notes=page, posts=services.posts_for(page.items),
                           K=NotificationKind, support_text=services.support_text)


@bp.get("/<int:notification_id>")
@login_required
def open(notification_id: int):  # noqa: A001 - the route's name
    row = services.open_one(current_user, notification_id) or abort(404)
    if row.kind == NotificationKind.CONVERSATION:
        return redirect(url_for("conversations.view", conversation_id=row.conversation_id))
    if row.post_id and row.kind != NotificationKind.KEPT_HIDDEN:
        return redirect(url_for("boards.post", post_id=row.post_id))
    return redirect(url_for("notifications.index"))


@bp.get("/post/<int:post_id>")
@login_required
def post(post_id: int):
    """A live notice's link: marks what it was about as read, then shows the post."""
    services.read_post(current_user, post_id)
    return redirect(url_for("boards.post", post_id=post_id))


@bp.post("/read")
@login_required
def read_all():
    services.read_all(current_user)
    return redirect(url_for("notifications.index"))


_TOPIC_LEVEL_SAID = {
    "watching": "You'll be told about every new post in this topic.",
    "tracking": "The board list will show how many posts in this topic are new to you.",
    "normal": "You'll be told only when someone replies to you, quotes or mentions you.",
    "muted": "Topic muted: it won't notify you and is hidden from your board lists."}
_BOARD_LEVEL_SAID = {
    "watching": "You'll be told about every new topic and post on this board.",
    "tracking": "Topic lists will show how many posts are new to you on this board.",
    "normal": "Back to normal: you'll be told only about replies to you, quotes and mentions.",
    "muted": "Board muted: its topics won't notify you, and it's left out of the latest topics."}


def _save_level(setter, target, said: dict[str, str]) -> None:  # noqa: ANN001 - follow.set_level or set_board_level
    level = request.form.get("level", "")
    try:
        setter(current_user, target, level)
    except follow.FollowError as exc:
        flash(str(exc), "error")
    else:
        flash(said[level], "info")


@bp.post("/topic/<int:topic_id>/level")
@login_required
def topic_level(topic_id: int):
    topic = queries.topic_for(topic_id, current_user) or abort(404)
    _save_level(follow.set_level, topic, _TOPIC_LEVEL_SAID)
    return redirect(url_for("boards.topic", topic_id=topic.id))


@bp.post("/board/<slug>/level")
@login_required
def board_level(slug: str):
    board = queries.board_by_slug(slug) or abort(404)
    _save_level(follow.set_board_level, board, _BOARD_LEVEL_SAID)
    return redirect(url_for("boards.board", slug=board.slug))


@bp.post("/member/<handle>/ignore")
@login_required
def ignore(handle: str):
    member = queries.member_by_handle(handle) or abort(404)
    wanted = request.form.get("ignore") == "1"
    try:
        follow.set_ignore(current_user, member, wanted)
    except follow.FollowError as exc:
        flash(str(exc), "error")
    else:
        flash("You're ignoring this member: their posts are collapsed for you and they can't notify you. "
              "They are not told." if wanted else "You're no longer ignoring this member.", "info")
    return redirect(url_for("boards.member", handle=member.handle))


@bp.post("/settings")
@login_required
def settings():
    try:
        email.save_settings(current_user, request.form.get("email_mode", ""),
                            request.form.get("watch_own_topics") == "1")
    except email.SettingsError as exc:
        flash(str(exc), "error")
    else:
        flash("Your notification settings are saved.", "success")
    return redirect(url_for("account.index") + "#notify-settings-title")


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    """The email's link: a page with one button (a link scanner's GET changes nothing)."""
    user = email.unsubscribe_user(token)
    return render_template("notify/unsubscribe.html", token=token, valid=user is not None, done=False), \
        200 if user is not None else 404


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # the signed token is the authority; RFC 8058 mail clients POST with no session
def unsubscribe_confirm(token: str):
    done = email.unsubscribe(token)
    return render_template("notify/unsubscribe.html", token=token, valid=done, done=done), 200 if done else 404
