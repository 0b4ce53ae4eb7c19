"""Views: parse input, call a service, render. A plain GET form: works without JavaScript."""
from __future__ import annotations

from datetime import date

from flask import render_template, request, url_for
from flask_login import current_user

from forum.boards import queries
from forum.search import bp, services
from forum.web import db_int


def _date(name: str, errors: list[str], label: str) -> date | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(f"The '{label}' date should look like 2026-03-31.")
        return None


@bp.get("/")
def index():
    text = (request.args.get("q") or "")[:200]
    errors: list[str] = []
    query = services.SearchQuery(
        text=text, board=request.args.get("board") or None, since=_date("since", errors, "from"),
        until=_date("until", errors, "to"), order=request.args.get("order") or "relevance",
        author=(request.args.get("by") or "").strip()[:32] or None,
        page=request.args.get("page", 1, type=db_int) or 1)
    results = None
    status = 200
    if text.strip() and not errors:
        try:
            results = services.search(current_user, query)
        except services.SearchError as exc:
            errors.append(str(exc))
    if errors and text.strip():
        status = 400
    def page_url(page: int) -> str:
        return url_for("search.index", **(request.args.to_dict() | {"page": page}))

    return render_template("search/index.html", query=query, results=results, errors=errors,
                           boards=queries.boards(), orders=services.ORDERS, page_url=page_url), status
