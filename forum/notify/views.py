"""Views: parse input, call a service, render. Works without JavaScript."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.models import NotificationKind
from forum.notify import bp, services
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
