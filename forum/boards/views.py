"""Views: parse input, call a service, render. No business logic here."""
from flask import render_template

from forum.boards import bp


@bp.get("/")
def index():
    return render_template("pages/home.html")
