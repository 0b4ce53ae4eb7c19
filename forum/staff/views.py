"""Staff views: parse input, call a service, render. No business logic here."""
from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from forum.errors import DomainError
from forum.extensions import db
from forum.models import DebriefRequest, Escalation, ResponseTemplate, Review, User
from forum.models import base as clock
from forum.models import DebriefStatus
from forum.conversations import services as conversations
from forum.review import services as review_services
from forum.web import role_required
from forum.staff import bp, reveal, seal
from forum.staff import services
from forum.web import author_label, db_int


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/")
@role_required("staff")
def dashboard():
    cases = services.open_cases(clock.utcnow())
    debriefs = db.session.scalars(select(DebriefRequest).where(DebriefRequest.status == DebriefStatus.OPEN)
                                  .order_by(DebriefRequest.created_at)).all()
    series = services.daily_series()
    return render_template("staff/dashboard.html", cases=cases, debriefs=debriefs, now=clock.utcnow(),
                           figures=services.response_figures(), chart=services.chart(series),
                           counters=review_services.counters(), sync_after=review_services.latest_case_id())


@bp.get("/cases/<int:case_id>")
@role_required("staff")
def case(case_id: int):
    return _render_case(_get_case(case_id))


def _get_case(case_id: int) -> Escalation:
    case = db.session.get(Escalation, case_id)
    if case is None:
        abort(404)
    return case


def _render_case(case: Escalation, code: int = 200):
    target = review_services.get_target(case.target_type, case.target_id)
    member = db.session.get(User, case.subject_user_id) if case.subject_user_id else None
    review = db.session.get(Review, case.review_id) if case.review_id else None
    anonymous = bool(target is not None and target.is_anonymous)
    place = services.case_region(member, anonymous)
    ack = db.session.get(User, case.acknowledged_by_id) if case.acknowledged_by_id else None
    conv = conversations.for_case(case)
    template = db.session.get(ResponseTemplate, request.args.get("use_template", type=int) or 0)
    return render_template("staff/case.html", conversation=conv, conv_key=secrets.token_urlsafe(16),
                           conv_text=template.body if template is not None else "",
                           conv_messages=conversations.messages(conv, for_member=False) if conv else [],
                           conv_author=conversations.author_for_team, templates=review_services.response_templates(), case=case, target=target, member=None if anonymous else member,
                           review=review, author=author_label(target, current_user) if target else "(deleted)",
                           now=clock.utcnow(), events=services.case_events(case),
                           event_actor=review_services.event_actor, acknowledged_by=ack.handle if ack else None,
                           **place), code


@bp.post("/cases/<int:case_id>")
@role_required("staff")
def update_case(case_id: int):
    case = _get_case(case_id)
    form = request.form
    follow_up = None
    if form.get("follow_up_at"):
        try:
            follow_up = datetime.combine(date.fromisoformat(form["follow_up_at"]), time(9, 0), tzinfo=UTC)
        except ValueError:
            flash("Please give the follow-up date as YYYY-MM-DD.", "error")
            return _render_case(case, 400)
    try:
        review_services.update_case(
            case, form.get("action", ""), current_user, _int(form.get("version")),
            form={k: form[k] for k in review_services.CASE_FIELDS if k in form},
            outcome=form.get("outcome"), follow_up_at=follow_up)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.reason, "error")
        return _render_case(_get_case(case_id), exc.status)
    flash("Case updated.", "success")
    return redirect(url_for("staff.case", case_id=case_id))


def _int(value: str | None) -> int | None:
    try:
        return db_int(value or "")
    except ValueError:
        return None


@bp.route("/members/<int:user_id>/safety-contact", methods=["GET", "POST"])
@role_required("staff")
def break_glass(user_id: int):
    member = db.session.get(User, user_id) or abort(404)
    contact = None
    code = 200
    if request.method == "POST":
        try:
            contact = seal.break_glass(current_user, member, request.form.get("reason", ""))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.reason, "error")
            code = exc.status
    return render_template("staff/break_glass.html", member=member, contact=contact), code


def _audit_filter() -> services.AuditFilter:
    return services.AuditFilter(actor=request.args.get("actor") or None, action=request.args.get("action") or None,
                                since=_date("since"), until=_date("until"))


@bp.get("/audit")
@role_required("staff")
def audit_log():
    f = _audit_filter()
    return render_template("staff/audit.html", events=services.audit_events(f), f=f, title="Audit log",
                           endpoint="staff.audit_log")


@bp.get("/audit.csv")
@role_required("staff")
def audit_csv():
    body = services.audit_csv(services.audit_events(_audit_filter(), limit=None))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=kindred-audit.csv"})


@bp.get("/access-log")
@role_required("staff")
def access_log():
    f = services.AuditFilter(action="safety_contact.break_glass")
    return render_template("staff/audit.html", events=services.audit_events(f), f=f, title="Safety-contact access log",
                           endpoint="staff.access_log")


@bp.post("/debriefs/<int:req_id>/done")
@role_required("staff")
def debrief_done(req_id: int):
    req = db.session.get(DebriefRequest, req_id) or abort(404)
    services.close_debrief(req, current_user)
    flash("Debrief marked as done.", "success")
    return redirect(url_for("staff.dashboard"))


@bp.route("/reveal/<kind>/<int:item_id>", methods=["GET", "POST"])
@role_required("staff")
def reveal_author(kind: str, item_id: int):
    """GET: the reason form. POST: the audited reveal; its answer alone shows the account."""
    form = request.values
    case_id = _int(form.get("case"))
    try:
        target = reveal.find_target(kind, item_id)
    except reveal.NotFound:
        abort(404)
    if request.method == "POST":
        try:
            shown = reveal.reveal(current_user, reveal.RevealRequest(kind, item_id, form.get("reason"), case_id))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.reason, "error")
            return _reveal_form(kind, target, case_id, form.get("reason", ""), exc.status)
        return render_template("staff/reveal.html", kind=kind, shown=shown, target=shown.target)
    return _reveal_form(kind, target, case_id, "")


def _reveal_form(kind: str, target, case_id: int | None, reason: str, code: int = 200):
    case = reveal.open_case_for(kind, target.id, case_id)
    return render_template("staff/reveal.html", kind=kind, shown=None, target=target, case=case,
                           reason=reason, max_reason=reveal.MAX_REASON), code
