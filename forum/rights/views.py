"""Views: parse input, call a service, render. No business logic here."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required

from forum.extensions import limiter
from forum.models import base as clock
from forum.web import role_required
from forum.rights import bp, erasure, export
from forum.web import account_key


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
