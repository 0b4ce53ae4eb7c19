"""Conversation views: parse input, call a service, render. No business logic here."""
from __future__ import annotations

import secrets

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.conversations import bp, services
from forum.extensions import db, limiter
from forum.models import Escalation, Review
from forum.web import account_key, current_region, role_required


def _key() -> str:
    return secrets.token_urlsafe(16)


def _member_conv(conversation_id: int):
    try:
        return services.get_for_member(conversation_id, current_user)
    except services.DomainError:
        abort(404)


def _team_conv(conversation_id: int):
    try:
        return services.get_for_team(conversation_id, current_user)
    except services.NotFound:
        abort(404)
    except services.DomainError:
        abort(403)


# -- the member's side ------------------------------------------------------------


@bp.get("/")
@login_required
def mine():
    convs = services.of_member(current_user)
    return render_template("conversations/mine.html", conversations=convs, unread=services.member_unread)


def _send_limit() -> str:
    from flask import current_app

    # A message to the team counts like a post for the rate limit.
    return current_app.config["KINDRED_POST_LIMIT"]


@bp.route("/new", methods=["GET", "POST"])
@login_required
@limiter.limit(_send_limit, key_func=account_key, methods=["POST"])
def start():
    form = request.form
    if request.method == "POST":
        try:
            sent = services.start_by_member(current_user, form.get("message"), anonymous=bool(form.get("anonymous")),
                                            submission_key=form.get("submission_key"))
        except services.DomainError as exc:
            db.session.rollback()
            flash(exc.reason, "error")
            return render_template("conversations/start.html", form=form, key=form.get("submission_key") or _key(),
                                   error=exc.reason), exc.status
        return _landing(sent)
    return render_template("conversations/start.html", form={}, key=_key(), error=None)


def _landing(sent: services.Sent):
    """After sending: the signposting panel first when the words carry one."""
    url = url_for("conversations.view", conversation_id=sent.conversation.id, sent=sent.message.id)
    return redirect(url + ("#signposting" if sent.signposting else f"#message-{sent.message.id}"))


@bp.get("/<int:conversation_id>")
@login_required
def view(conversation_id: int):
    conv = _member_conv(conversation_id)
    return _render_member(conv)


def _render_member(conv, code: int = 200, text: str = "", key: str | None = None):
    sent = None
    if (sent_id := request.args.get("sent", type=int)) is not None:
        sent = next((m for m in services.messages(conv, for_member=True)
                     if m.id == sent_id and not m.from_team), None)
    unread = services.member_unread(conv)
    services.mark_read(conv, current_user)
    return render_template("conversations/member.html", conv=conv, unread=unread, sent=sent,
                           messages=services.messages(conv, for_member=True), author=services.author_for_member,
                           text=text, key=key or _key()), code


@bp.post("/<int:conversation_id>/reply")
@login_required
@limiter.limit(_send_limit, key_func=account_key)
def reply(conversation_id: int):
    conv = _member_conv(conversation_id)
    form = request.form
    try:
        sent = services.send(conv, current_user, form.get("message"), submission_key=form.get("submission_key"),
                             region=current_region())
    except services.DomainError as exc:
        db.session.rollback()
        flash(exc.reason, "error")
        return _render_member(_member_conv(conversation_id), exc.status, form.get("message", ""),
                              form.get("submission_key"))
    return _landing(sent)


@bp.post("/<int:conversation_id>/close")
@login_required
def close(conversation_id: int):
    conv = _member_conv(conversation_id)
    services.close(conv, current_user)
    flash("The conversation is closed. You can start a new one whenever you like.", "success")
    return redirect(url_for("conversations.mine"))


# -- the moderation team's side ---------------------------------------------------


@bp.get("/team/")
@role_required("moderator")
def team():
    status = request.args.get("status", "open")
    convs = services.team_list(status)
    return render_template("conversations/team_list.html", conversations=convs, status=status,
                           label=services.member_label, unread=services.team_unread)


@bp.post("/open")
@role_required("moderator")
def open_conversation():
    """From a review item, a case or a chat alert: open (or return to) the conversation."""
    form = request.form
    try:
        if message_id := form.get("chat_message", type=int):
            conv = services.open_from_chat_message(current_user, message_id)
        elif case_id := form.get("case", type=int):
            case = db.session.get(Escalation, case_id) or abort(404)
            conv = services.open_from_case(current_user, case)
        else:
            review = db.session.get(Review, form.get("review", type=int) or 0) or abort(404)
            conv = services.open_from_review(current_user, review)
    except services.NotFound:
        abort(404)
    except services.NotAllowed:
        abort(403)
    except services.DomainError as exc:
        db.session.rollback()
        flash(exc.reason, "error")
        return redirect(request.referrer or url_for("conversations.team"))
    return redirect(url_for("conversations.team_view", conversation_id=conv.id) + "#reply")


@bp.get("/team/<int:conversation_id>")
@role_required("moderator")
def team_view(conversation_id: int):
    return _render_team(_team_conv(conversation_id))


def _render_team(conv, code: int = 200, text: str = "", key: str | None = None):
    from forum.models import ResponseTemplate
    from forum.review import services as review_services

    # "Use this template" without JavaScript: the page comes back with it in the box.
    if not text and (template_id := request.args.get("use_template", type=int)):
        template = db.session.get(ResponseTemplate, template_id)
        text = template.body if template is not None else ""

    review = db.session.get(Review, conv.review_id) if conv.review_id else None
    unread = services.team_unread(conv)
    services.mark_read(conv, current_user)
    return render_template("conversations/team.html", conv=conv, review=review, unread=unread,
                           messages=services.messages(conv, for_member=False), author=services.author_for_team,
                           member=services.member_label(conv), participants=services.participants(conv),
                           templates=review_services.response_templates(), text=text, key=key or _key()), code


@bp.post("/team/<int:conversation_id>/reply")
@role_required("moderator")
def team_reply(conversation_id: int):
    conv = _team_conv(conversation_id)
    form = request.form
    try:
        services.send(conv, current_user, form.get("message"), submission_key=form.get("submission_key"))
    except services.DomainError as exc:
        db.session.rollback()
        flash(exc.reason, "error")
        return _render_team(_team_conv(conversation_id), exc.status, form.get("message", ""),
                            form.get("submission_key"))
    flash("Sent. The member can read it now.", "success")
    back = form.get("back") or ""
    if back.startswith("/staff/cases/"):
        return redirect(back + "#conv-h")
    return redirect(url_for("conversations.team_view", conversation_id=conversation_id) + "#reply")


@bp.post("/team/<int:conversation_id>/join")
@role_required("moderator")
def join(conversation_id: int):
    conv = _team_conv(conversation_id)
    if services.join(conv, current_user):
        flash("You've joined the conversation.", "success")
    return redirect(url_for("conversations.team_view", conversation_id=conversation_id))


@bp.post("/team/<int:conversation_id>/close")
@role_required("moderator")
def team_close(conversation_id: int):
    conv = _team_conv(conversation_id)
    services.close(conv, current_user)
    flash("The conversation is closed.", "success")
    return redirect(url_for("conversations.team_view", conversation_id=conversation_id))
