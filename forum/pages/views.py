"""Views: parse input, call a service, render. No business logic here."""
from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, request

from forum.pages import bp
from forum.web import REGIONS, current_region


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
    return render_template("pages/privacy.html")


@dataclass(frozen=True)
class _RegionChoice:
    code: str
    name: str


def _helplines(region: str) -> tuple[list, str | None, list[_RegionChoice], str]:
    """Services, emergency number, region choices and the region shown.

    TEMPORARY fallback for when moderation.signposting is missing (it lands
    in parallel); the final integration removes the except branch.
    """
    try:
        from moderation import signposting
    except ImportError:  # pragma: no cover - removed at integration
        from moderation.verdict import Service

        fallback = {"UK": ("999", [Service(name="Samaritans", phone="116 123", web="https://www.samaritans.org",
                                           hours="24 hours, every day")])}
        emergency, services = fallback.get(region, (None, []))
        return services, emergency, [_RegionChoice(r, r) for r in REGIONS], region
    code = signposting.normalise_region(region)
    choices = [_RegionChoice(r.code, r.name) for r in signposting.regions()]
    return signposting.helplines(code), signposting.emergency_number(code), choices, code


@bp.get("/help")
def help():
    wanted = request.args.get("region") or current_region()
    services, emergency, choices, region = _helplines(wanted)
    return render_template("pages/help.html", services=services, emergency=emergency,
                           choices=choices, region=region)


@bp.get("/healthz")
def healthz():
    """Liveness probe for process managers and the test live server."""
    return {"ok": True}
