"""Views: parse input, call a service, render. No business logic here."""
from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.errors import FieldErrors, NotAllowed
from forum.boards import bp, queries, services
from forum.boards.forms import ConfirmForm, EditForm, ReplyForm, TopicForm
from forum.extensions import limiter
from forum.models import ContentStatus
from forum.web import apply_errors, author_label, current_region, db_int, role_required


def _post_limit() -> str:
    return current_app.config["KINDRED_POST_LIMIT"]


def _member_key() -> str:
    # Per account, not per address: members on a shared connection (a
    # library, a ward) must not throttle each other.
    return f"user:{current_user.id}" if current_user.is_authenticated else (request.remote_addr or "?")


post_limit = limiter.limit(_post_limit, key_func=_member_key, methods=["POST"])


def _page() -> int:
    return request.args.get("page", 1, type=db_int) or 1


def _quote(post) -> str:
    """The quoted Markdown a "Quote" link puts in the reply box."""
    quoted = "\n".join("> " + line for line in post.body_source.splitlines())
    return f"{author_label(post)} wrote:\n{quoted}\n\n"


@bp.get("/")
def index():
    boards = queries.boards()
    latest = queries.latest_topics([b.id for b in boards])
    return render_template("boards/index.html", boards=boards, latest=latest)


@bp.get("/<slug>/")
def board(slug: str):
    board = queries.board_by_slug(slug) or abort(404)
    topics = queries.board_topics(board, current_user, _page(), current_app.config["TOPICS_PER_PAGE"])
    return render_template("boards/board.html", board=board, topics=topics)


@bp.route("/<slug>/new", methods=["GET", "POST"])
@login_required
@post_limit
def new_topic(slug: str):
    board = queries.board_by_slug(slug) or abort(404)
    form = TopicForm()
    general: list[str] = []
    if form.validate_on_submit():
        try:
            posted = services.create_topic(current_user, services.NewTopic(
                board_id=board.id, title=form.title.data or "", body=form.body.data or "",
                content_warning=form.content_warning.data, anonymous=form.anonymous.data,
                region=current_region(), submission_key=form.submission_key.data))
        except FieldErrors as exc:
            general = apply_errors(form, exc.errors)
        else:
            return redirect(url_for("boards.topic", topic_id=posted.topic.id, posted=posted.post.id)
                            + _landing(posted.post))
    status = 400 if request.method == "POST" else 200
    return render_template("boards/new_topic.html", board=board, form=form, general=general), status


def _landing(post) -> str:
    """Where the author lands after posting: the signposting panel when the
    post carries one (it must come first), otherwise the post itself."""
    return "#signposting" if (post.verdict or {}).get("signposting") else f"#post-{post.id}"


def _render_topic(topic, form: ReplyForm, general: list[str] | None = None, status: int = 200):
    per_page = current_app.config["POSTS_PER_PAGE"]
    posts = queries.topic_posts(topic, current_user, _page(), per_page)
    supported = queries.supported_ids(current_user, [p.id for p in posts.items])
    if posts.items:
        from forum.notify import follow

        follow.mark_read(current_user, topic, posts.items[-1].number)  # unread counts, for what they follow
    posted = None
    if current_user.is_authenticated and (posted_id := request.args.get("posted", type=db_int)):
        candidate = queries.post_for(posted_id, current_user)
        # Signposting and the "held" note are for the author's eyes only.
        if candidate is not None and candidate.author_id == current_user.id:
            posted = candidate
    return render_template("boards/topic.html", topic=topic, posts=posts, supported=supported, form=form,
                           general=general or [], posted=posted, confirm=ConfirmForm()), status


@bp.get("/topic/<int:topic_id>")
def topic(topic_id: int):
    topic = queries.topic_for(topic_id, current_user) or abort(404)
    form = ReplyForm(formdata=None)
    if current_user.is_authenticated and (quote_id := request.args.get("quote", type=db_int)):
        quoted = queries.post_for(quote_id, current_user)
        if quoted is not None and quoted.topic_id == topic.id and quoted.status == ContentStatus.VISIBLE:
            form.body.data = _quote(quoted)
            form.reply_to.data = str(quoted.id)
    return _render_topic(topic, form)


@bp.post("/topic/<int:topic_id>/reply")
@login_required
@post_limit
def reply(topic_id: int):
    topic = queries.topic_for(topic_id, current_user) or abort(404)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            posted = services.reply(current_user, services.NewReply(
                topic_id=topic.id, body=form.body.data or "", content_warning=form.content_warning.data,
                anonymous=form.anonymous.data, reply_to_id=_int(form.reply_to.data), region=current_region(),
                submission_key=form.submission_key.data))
        except FieldErrors as exc:
            return _render_topic(topic, form, apply_errors(form, exc.errors), 400)
        page = queries.page_of_post(posted.post, current_user, current_app.config["POSTS_PER_PAGE"])
        return redirect(url_for("boards.topic", topic_id=topic.id, page=page, posted=posted.post.id)
                        + _landing(posted.post))
    return _render_topic(topic, form, [], 400)


def _int(value: str | None) -> int | None:
    try:
        return db_int(value) if value else None
    except ValueError:
        return None


@bp.get("/post/<int:post_id>")
def post(post_id: int):
    """Permalink: the topic page that shows this post."""
    post = queries.post_for(post_id, current_user) or abort(404)
    page = queries.page_of_post(post, current_user, current_app.config["POSTS_PER_PAGE"])
    return redirect(url_for("boards.topic", topic_id=post.topic_id, page=page) + f"#post-{post.id}")


def _own_post(post_id: int):
    post = queries.post_for(post_id, current_user)
    if post is None or post.status == ContentStatus.DELETED:
        abort(404)
    if post.author_id != current_user.id:
        abort(403)
    return post


@bp.route("/post/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
@post_limit
def edit(post_id: int):
    post = _own_post(post_id)
    form = EditForm(obj=None) if request.method == "POST" else EditForm(formdata=None)
    if request.method == "GET":
        form.body.data = post.body_source
        # "Add a content warning" links from the after-posting notice prefill it.
        form.content_warning.data = request.args.get("cw") or post.content_warning
    general: list[str] = []
    if form.validate_on_submit():
        try:
            posted = services.edit_post(current_user, services.PostEdit(
                post_id=post.id, body=form.body.data or "", content_warning=form.content_warning.data,
                reason=form.reason.data, region=current_region(), submission_key=form.submission_key.data))
        except FieldErrors as exc:
            general = apply_errors(form, exc.errors)
        except NotAllowed:
            abort(403)
        else:
            return redirect(url_for("boards.post", post_id=posted.post.id, posted=posted.post.id))
    status = 400 if request.method == "POST" else 200
    return render_template("boards/edit.html", post=post, form=form, general=general), status


@bp.route("/post/<int:post_id>/delete", methods=["GET", "POST"])
@login_required
def delete(post_id: int):
    post = _own_post(post_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.delete_post(current_user, post.id)
        except NotAllowed:
            abort(403)
        except FieldErrors:
            abort(404)
        return redirect(url_for("boards.topic", topic_id=post.topic_id) + f"#post-{post.id}")
    return render_template("boards/delete.html", post=post, form=form)


@bp.post("/post/<int:post_id>/support")
@login_required
def support(post_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    post = queries.post_for(post_id, current_user) or abort(404)
    try:
        post = services.toggle_support(current_user, post.id)
    except NotAllowed:
        abort(404)
    if request.accept_mimetypes.best == "application/json":
        supported = bool(queries.supported_ids(current_user, [post.id]))
        return {"post_id": post.id, "support_count": post.support_count, "supported": supported}
    return redirect(url_for("boards.post", post_id=post.id))


@bp.get("/post/<int:post_id>/revisions")
@role_required("moderator")
def revisions(post_id: int):
    post = queries.post_for(post_id, current_user) or abort(404)
    return render_template("boards/revisions.html", post=post, revisions=queries.revisions(post))


@bp.get("/member/<handle>")
def member(handle: str):
    member = queries.member_by_handle(handle) or abort(404)
    posts = queries.member_posts(member, current_user, _page(), current_app.config["POSTS_PER_PAGE"])
    return render_template("boards/member.html", member=member, posts=posts)
