"""The member's optional safety contact, and their notices from moderators.

Routes are registered on the ``account`` blueprint.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select, update

from forum.errors import DomainError
from forum.account import bp
from forum.extensions import db
from forum.models import MemberNotice
from forum.models import base as clock
from forum.staff import seal


@bp.route("/safety", methods=["GET", "POST"])
@login_required
def safety():
    if request.method == "POST":
        try:
            seal.save_contact(current_user, request.form.get("contact", ""), consent=bool(request.form.get("consent")))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.reason, "error")
            return render_template("account/safety.html", contact=request.form.get("contact", "")), exc.status
        flash("Saved. Your safety contact is sealed." if current_user.safety_contact_sealed
              else "Your safety contact has been removed.", "success")
        return redirect(url_for("account.safety"))
    return render_template("account/safety.html", contact="")


@bp.get("/notices")
@login_required
def notices():
    rows = db.session.scalars(select(MemberNotice).where(MemberNotice.user_id == current_user.id)
                              .order_by(MemberNotice.created_at.desc()).limit(100)).all()
    page = render_template("account/safety_notices.html", notices=rows)
    db.session.execute(update(MemberNotice).where(MemberNotice.user_id == current_user.id,
                                                  MemberNotice.read_at.is_(None)).values(read_at=clock.utcnow()))
    db.session.commit()
    return page
