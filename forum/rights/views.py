"""Views: parse input, call a service, render. No business logic here."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from forum.extensions import db, limiter
from forum.models import AccessRequest, User
from forum.models import base as clock
from forum.rights import access, bp, consent, erasure, export
from forum.web import account_key, db_int, role_required, safe_next


def _export_limit() -> str:
    return current_app.config["KINDRED_EXPORT_LIMIT"]


@bp.post("/account/data/export")
@login_required
@limiter.limit(_export_limit, key_func=account_key)
def request_export():
    try:
        export.request_export(current_user)
    except export.ExportError as exc:
        flash(exc.message, "info")
    else:
        flash("We're preparing your download. It usually takes a minute; the link will appear in "
              "\"Download your data\" below.", "success")
    return redirect(url_for("account.index") + "#data-title")


@bp.app_context_processor
def _consent_link() -> dict:
    def consent_url() -> str:
        """The consent question, coming back afterwards to the page the member
        was on (for a refused post, the page they posted from)."""
        here = request.full_path.rstrip("?") if request.method == "GET" else None
        if here is None and request.referrer:
            ref = urlsplit(request.referrer)
            if ref.netloc == request.host:
                here = ref.path + (f"?{ref.query}" if ref.query else "")
        return url_for("rights.health_consent", next=safe_next(here, url_for("boards.index")))
    return {"consent_url": consent_url}


@bp.route("/account/consent", methods=["GET", "POST"])
@login_required
def health_consent():
    """The consent question for members who joined before registration asked it."""
    next_url = safe_next(request.values.get("next"), url_for("boards.index"))
    if request.method == "POST":
        answer = request.form.get("answer")
        if answer == "yes":
            consent.give(current_user)
            flash("Thank you. Your answer is saved, and you can post again.", "success")
            return redirect(next_url)
        if answer == "no":
            consent.decline(current_user)
            return redirect(url_for("rights.health_consent", next=next_url) + "#declined-title")
        return render_template("rights/consent.html", next_url=next_url,
                               error="Please choose one of the two answers."), 400
    return render_template("rights/consent.html", next_url=next_url, error=None)


@bp.get("/account/data/<token>")
@login_required
def download_export(token: str):
    found = export.find(current_user, token)
    if found is None:
        abort(404)
    path = erasure.export_dir() / found.filename
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/zip", as_attachment=True,
                     download_name=f"kindred-data-{found.requested_at:%Y-%m-%d}.zip", max_age=0)


@bp.get("/staff/privacy/erasures")
@role_required("staff")
def erasure_queue():
    return render_template("rights/erasures.html", rows=erasure.queue(), now=clock.utcnow())


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.get("/staff/privacy/requests")
@role_required("staff")
def access_requests():
    handle = request.args.get("handle", "").strip()
    found = access.find_member(handle) if handle else None
    return render_template("rights/requests.html", requests=access.open_requests(), handle=handle, found=found,
                           now=clock.utcnow())


@bp.post("/staff/privacy/requests")
@role_required("staff")
def open_access_request():
    user = db.session.get(User, request.form.get("user_id", type=db_int) or 0)
    if user is None:
        abort(404)
    try:
        req = access.open_request(current_user, user, _date(request.form.get("received")))
    except access.AccessError as exc:
        flash(exc.message, "error")
        return redirect(url_for("rights.access_requests", handle=user.handle))
    return redirect(url_for("rights.access_request", req_id=req.id))


def _render_request(req: AccessRequest, status: int = 200, error: str | None = None):
    return render_template("rights/request.html", req=req, member=db.session.get(User, req.user_id),
                           sections=access.preview(db.session.get(User, req.user_id)), now=clock.utcnow(),
                           error=error), status


@bp.route("/staff/privacy/requests/<int:req_id>", methods=["GET", "POST"])
@role_required("staff")
def access_request(req_id: int):
    req = db.session.get(AccessRequest, req_id)
    if req is None:
        abort(404)
    if request.method == "POST":
        try:
            access.update_request(current_user, req, request.form.get("staff_records"),
                                  _date(request.form.get("responded")))
        except access.AccessError as exc:
            db.session.rollback()
            req.staff_records = request.form.get("staff_records")
            return _render_request(req, 400, exc.message)
        flash("Saved.", "success")
        return redirect(url_for("rights.access_request", req_id=req.id))
    return _render_request(req)


@bp.get("/staff/privacy/inventory")
@role_required("staff")
def inventory():
    return render_template("rights/inventory.html", entries=access.inventory())
