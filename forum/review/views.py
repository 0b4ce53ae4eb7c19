"""Review views: parse input, call a service, render. No business logic here."""
from __future__ import annotations


from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from forum.errors import DomainError
from forum.extensions import db, limiter
from forum.models import Board, ChatRoom, Flag, PostRevision, Review, ReviewEvent, ResponseTemplate
from forum.models import base as clock
from forum.conversations import services as conversations
from forum.review import bp, services
from forum.web import role_required
from forum.web import account_key, author_label, db_int

def _wellbeing() -> dict:
    handled = services.crisis_handled_since(current_user, services.shift_start(current_user))
    from flask import current_app

    return {"handled": handled, "prompt": handled >= current_app.config["KINDRED_BREAK_PROMPT_AFTER"]}


def _needs_onboarding():
    if current_user.resources_read_at is None:
        flash("Before you start, please read the moderator resources.", "info")
        return redirect(url_for("review.resources", next=request.full_path))
    return None


def _get_review(review_id: int) -> Review:
    review = db.session.get(Review, review_id)
    if review is None:
        abort(404)
    return review


def _int_arg(name: str) -> int | None:
    try:
        return db_int(request.values.get(name, ""))
    except ValueError:
        return None


@bp.get("/")
@role_required("moderator")
def queue():
    if (redirect_to := _needs_onboarding()) is not None:
        return redirect_to
    status = request.args.get("status", "open")
    board_id = _int_arg("board")
    reason = request.args.get("reason") or None
    items = services.queue(status=status, board_id=board_id, reason=reason)
    now = clock.utcnow()
    targets = services.targets_of(items)
    tiers = {r.id: services.review_tier(r) for r in items}  # each row shows its tier twice
    boards = db.session.scalars(select(Board).order_by(Board.position, Board.name)).all()
    return render_template(
        "review/queue.html", items=items, targets=targets, boards=boards, status=status, board_id=board_id,
        reason=reason, counters=services.counters(), wellbeing=_wellbeing(), tier_of=lambda r: tiers[r.id],
        sensitive=services.is_sensitive, reason_codes=_reason_codes(), now=now,
        overdue=services.overdue_since(items, now),
        sync_after=services.latest_review_id() if status == "open" else -1,
    )


def _reason_codes() -> list[str]:
    return ["imminent", "premoderation", "out_of_hours", "auto_hidden", *services.FLAG_REASONS]


@bp.get("/<int:review_id>")
@role_required("moderator")
def item(review_id: int):
    if (redirect_to := _needs_onboarding()) is not None:
        return redirect_to
    review = _get_review(review_id)
    return _render_item(review)


def _render_item(review: Review, code: int = 200, form: dict | None = None):
    target = services.get_target(review.target_type, review.target_id)
    # "Use this template" without JavaScript: the page comes back with it in the message.
    template_used = None
    if (template_id := _int_arg("use_template")) and not (form or {}).get("message"):
        if (template := db.session.get(ResponseTemplate, template_id)) is not None:
            form = {**(form or {}), "message": template.body}
            template_used = template.id
    flags = db.session.scalars(select(Flag).where(Flag.review_id == review.id).order_by(Flag.created_at)).all()
    events = db.session.scalars(select(ReviewEvent).where(ReviewEvent.review_id == review.id)
                                .order_by(ReviewEvent.id)).all()
    revisions = []
    if review.target_type == "post" and target is not None:
        revisions = db.session.scalars(select(PostRevision).where(PostRevision.post_id == target.id)
                                       .order_by(PostRevision.number)).all()
    return render_template(
        "review/item.html", review=review, target=target, flags=flags, events=events, revisions=revisions,
        history=services.author_history(review, current_user),
        actions=services.available_actions(review, current_user), labels=services.ACTION_LABELS,
        author=author_label(target, current_user) if target is not None else "(deleted)",
        sensitive=services.is_sensitive(review), tier=services.review_tier(review),
        templates=services.response_templates(), flag_reasons=services.FLAG_REASONS,
        claimed_by_other=services.claimed_by_other(review, current_user), form=form or {},
        target_url=services.target_url(review), now=clock.utcnow(), wellbeing=_wellbeing(),
        event_actor=services.event_actor, conversation=conversations.for_review(review),
        next_item=services.next_item(review, current_user), template_used=template_used,
    ), code


def _error(review: Review, exc: DomainError, form: dict | None = None):
    db.session.rollback()
    flash(exc.reason, "error")
    review = _get_review(review.id)
    return _render_item(review, exc.status, form)


def _claim_action(review_id: int, service, message: str):
    review = _get_review(review_id)
    try:
        service(review, current_user, _int_arg("version"))
    except DomainError as exc:
        return _error(review, exc)
    flash(message, "success")
    return redirect(url_for("review.item", review_id=review_id))


@bp.post("/<int:review_id>/claim")
@role_required("moderator")
def claim(review_id: int):
    return _claim_action(review_id, services.claim, "You've claimed this item.")


@bp.post("/<int:review_id>/release")
@role_required("moderator")
def release(review_id: int):
    return _claim_action(review_id, services.release, "Released: the item is back in the queue.")


@bp.post("/<int:review_id>/act")
@role_required("moderator")
def act(review_id: int):
    review = _get_review(review_id)
    form = request.form
    data = services.ActionInput(
        action=form.get("action", ""), version=_int_arg("version"), note=form.get("note"),
        author_note=form.get("author_note"), text=form.get("text"), content_warning=form.get("content_warning"),
        message=form.get("message"), hours=_int_arg("hours"), days=_int_arg("days"), risk=form.get("risk"),
    )
    try:
        services.act(review, data, current_user)
    except DomainError as exc:
        return _error(review, exc, form.to_dict())
    flash(f"Done: {services.ACTION_LABELS[data.action].lower()}.", "success")
    return redirect(url_for("review.item", review_id=review_id))


def _back_to(target_type: str, target) -> str:
    """Where a member returns after reporting: the thing they reported."""
    if target_type == "post":
        return f"/boards/post/{target.id}"
    room = db.session.get(ChatRoom, target.room_id)
    return url_for("chat.room", slug=room.slug) if room else url_for("pages.home")


def _report_limit() -> str:
    return current_app.config["KINDRED_REPORT_LIMIT"]


@bp.route("/flag/<target_type>/<int:target_id>", methods=["GET", "POST"])
@login_required
# Per account: sock-puppet accounts are already limited per address by
# KINDRED_REGISTER_LIMIT, and their reports cannot hide anything.
@limiter.limit(_report_limit, key_func=account_key, methods=["POST"])
def flag(target_type: str, target_id: int):
    target = services.get_target(target_type, target_id) if target_type in services.TARGET_TYPES else None
    if target is None or not target.visible_to(current_user):
        abort(404)
    form = request.form
    if request.method == "POST":
        try:
            services.report(target_type, target.id, current_user, form.get("reason", ""), form.get("details"))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.reason, "error")
            return render_template("review/flag.html", target_type=target_type, target=target,
                                   reasons=services.FLAG_REASONS, form=form), exc.status
        flash("Thank you. A moderator will look at it. The member won't be told who reported it.", "success")
        return redirect(_back_to(target_type, target))
    return render_template("review/flag.html", target_type=target_type, target=target,
                           reasons=services.FLAG_REASONS, form={})


@bp.route("/resources", methods=["GET", "POST"])
@role_required("moderator")
def resources():
    if request.method == "POST":
        services.mark_resources_read(current_user)
        flash("Thank you. You can start working the queue.", "success")
        target = request.form.get("next") or ""
        return redirect(target if target.startswith("/review") else url_for("review.queue"))
    return render_template("review/resources.html", templates=services.response_templates(),
                           next=request.args.get("next", ""))


@bp.post("/templates/<int:template_id>")
@role_required("moderator")
def save_template(template_id: int):
    template = db.session.get(ResponseTemplate, template_id) or abort(404)
    try:
        services.save_template(template, current_user, request.form.get("title", ""), request.form.get("body", ""))
        flash("Template saved.", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.reason, "error")
    return redirect(url_for("review.resources") + f"#template-{template_id}")


@bp.post("/debrief")
@role_required("moderator")
def debrief():
    services.request_debrief(current_user, request.form.get("note"))
    flash("Your debrief request has been sent to staff. Thank you for looking after yourself.", "success")
    return redirect(url_for("review.queue"))


@bp.post("/shift")
@role_required("moderator")
def new_shift():
    services.start_shift(current_user)
    flash("New shift started. Welcome back.", "success")
    return redirect(url_for("review.queue"))
