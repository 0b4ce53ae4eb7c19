"""Views: parse input, call a service, render. No business logic here."""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request

from forum.pages import bp
from forum.web import current_region
from moderation import signposting


@bp.get("/")
def home():
    return render_template("pages/home.html")


@bp.get("/about")
def about():
    return render_template("pages/about.html")


@bp.get("/guidelines")
def guidelines():
    return render_template("pages/guidelines.html")


@bp.get("/privacy")
def privacy():
    from forum.rights.access import inventory

    # The retention list comes from the models' own __privacy__, like the staff inventory.
    return render_template("pages/privacy.html", inventory=inventory())


@dataclass(frozen=True)
class _RegionChoice:
    code: str
    name: str


def _helplines(region: str) -> tuple[list, str | None, list[_RegionChoice], str]:
    """Services, emergency number, region choices and the region shown."""
    code = signposting.normalise_region(region)
    choices = [_RegionChoice(r.code, r.name) for r in signposting.regions()]
    return signposting.helplines(code), signposting.emergency_number(code), choices, code


@bp.get("/help")
def help():
    wanted = request.args.get("region") or current_region()
    services, emergency, choices, region = _helplines(wanted)
    return render_template("pages/help.html", services=services, emergency=emergency,
                           choices=choices, region=region)


@bp.get("/young-people")
def young_people():
    """Where an under-16 who tried to join is pointed: services for young people.
    Nothing about the visitor is kept (no account, no log of the answer)."""
    wanted = request.args.get("region") or current_region()
    _services, emergency, choices, region = _helplines(wanted)
    return render_template("pages/young_people.html", services=signposting.young_services(region),
                           emergency=emergency, choices=choices, region=region)


@bp.get("/healthz")
def healthz():
    """Liveness probe for process managers and the test live server."""
    return {"ok": True}
