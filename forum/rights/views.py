"""Views: parse input, call a service, render. No business logic here."""
from __future__ import annotations

from flask import render_template

from forum.models import base as clock
from forum.review.web import role_required
from forum.rights import bp, erasure


@bp.get("/staff/privacy/erasures")
@role_required("staff")
def erasure_queue():
    return render_template("rights/erasures.html", rows=erasure.queue(), now=clock.utcnow())
