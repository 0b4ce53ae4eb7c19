"""Views: parse input, call a service, render. No business logic here."""
from flask import render_template

from forum.pages import bp


@bp.get("/")
def home():
    return render_template("pages/home.html")


@bp.get("/healthz")
def healthz():
    """Liveness probe for process managers and the test live server."""
    return {"ok": True}
