"""Cross-area web helpers: error pages, template globals, region, anonymity."""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

ANONYMOUS_LABEL = "Anonymous member"

# Accept-Language tags that identify one of the regions we hold helplines for.
# Only the region is derived; the header itself is never stored.
_LANGUAGE_REGIONS = {
    "en-gb": "UK", "cy": "UK", "gd": "UK", "en-us": "US", "es-us": "US", "en-ca": "CA",
    "fr-ca": "CA", "en-ie": "IE", "ga": "IE", "en-au": "AU", "en-nz": "NZ", "mi": "NZ",
}
REGIONS = ("UK", "US", "CA", "IE", "AU", "NZ", "INTL")


def current_region() -> str:
    """The member's setting, then Accept-Language, then the configured default."""
    if current_user.is_authenticated and current_user.region:
        return current_user.region
    for lang, _q in request.accept_languages:
        region = _LANGUAGE_REGIONS.get(lang.lower())
        if region:
            return region
    return current_app.config["KINDRED_REGION"]


def author_label(content: Any, viewer: Any = None) -> str:
    """The name shown for a post or message.

    Anonymous content shows "Anonymous member" to everyone except staff:
    moderators included, because peer moderators are volunteers and the
    promise to members is that only staff can link a post to an account.
    """
    viewer = viewer if viewer is not None else current_user
    if content.is_anonymous and not (getattr(viewer, "is_authenticated", False) and viewer.is_staff):
        return ANONYMOUS_LABEL
    return content.author.handle


def error_page(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    template = f"errors/{code}.html" if code in (403, 404, 409, 429, 500) else "errors/generic.html"
    return render_template(template, error=error), code


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, error_page)

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> tuple[str, int]:
        # Never show a stack trace to a member; log it for the operators.
        if isinstance(error, HTTPException):
            return error_page(error)
        app.logger.exception("unhandled error")
        return render_template("errors/500.html"), 500

    app.jinja_env.globals.update(author_label=author_label, current_region=current_region, regions=REGIONS)
