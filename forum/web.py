"""Cross-area web helpers: error pages, template globals, region, anonymity."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from flask import Flask, abort, current_app, render_template, request
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException, SecurityError
from wtforms import StringField, TextAreaField

# Shown in place of bytes that were not valid UTF-8 (see tolerant_form_parsing).
REPLACEMENT_CHAR = "\ufffd"

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

    Anonymous content shows "Anonymous member" to every role, staff
    included: staff see the account only through the audited "Show who
    posted this" reveal (forum.staff.reveal), never on an ordinary page.
    """
    if content.is_anonymous:
        return ANONYMOUS_LABEL
    return content.author.handle


def account_key() -> str:
    """Rate-limit key per account, not per address: members on a shared
    connection (a library, a ward) must not throttle each other."""
    return f"user:{current_user.id}" if current_user.is_authenticated else (request.remote_addr or "?")


def role_required(role: str) -> Callable:
    """Require a logged-in account with at least ``role`` (member < moderator
    < staff < admin). Logged-out visitors go to the login page; a logged-in
    account without the role gets the 403 page."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_role = role  # type: ignore[attr-defined]
        return wrapper

    return decorator


def apply_errors(form: Any, errors: dict[str, list[str]]) -> list[str]:
    """Attach a service's errors to the matching form fields, so they show
    beside the member's input; return the ones that belong to no field."""
    general: list[str] = []
    for name, messages in errors.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = list(field.errors) + messages
        else:
            general.extend(messages)
    return general


def safe_next(target: str | None, fallback: str) -> str:
    """A same-site path to go to after logging in; anything else is the fallback.

    Only plain absolute paths are accepted: "//host" and "https://host"
    would turn the login form into an open redirect.
    """
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


class _MemberText:
    """Member writing that never loses the member's text.

    NUL characters cannot be stored (PostgreSQL rejects them) and bytes
    that were not valid UTF-8 arrive as U+FFFD (see tolerant_form_parsing).
    Either way the member gets a clear error and their text back in the
    box: NULs removed, unreadable bytes marked, everything else untouched.
    """

    had_nul = False

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if self.data and "\x00" in self.data:
            self.had_nul = True
            self.data = self.data.replace("\x00", "")

    def pre_validate(self, form: Any) -> None:
        if self.had_nul:
            self.errors.append(
                "Your text contained a hidden control character (a NUL byte) that we can't store. "
                "We've taken it out; please check your text below and send it again."
            )
        if self.data and REPLACEMENT_CHAR in self.data:
            self.errors.append(
                "Some characters in your text couldn't be read (they weren't valid UTF-8) and are "
                "shown as \ufffd. Please retype or remove them and send it again."
            )


class MemberTextField(_MemberText, TextAreaField):
    """A textarea for member writing (see _MemberText)."""


class MemberStringField(_MemberText, StringField):
    """A one-line field for member writing, e.g. a title (see _MemberText)."""


def tolerant_form_parsing() -> None:
    """Re-read a urlencoded form whose bytes are not valid UTF-8.

    Werkzeug drops (or leaves percent-escaped) fields it cannot decode, so
    a post with one bad byte would arrive empty and the member's writing
    would be lost. Here the body is decoded leniently instead: bad bytes
    become U+FFFD, which MemberTextField reports as a clear form error.
    """
    if request.method != "POST" or request.mimetype != "application/x-www-form-urlencoded":
        return
    raw = request.get_data(cache=True)
    if not raw:
        return
    pairs = []
    for chunk in raw.split(b"&"):
        if chunk:
            key, _, value = chunk.partition(b"=")
            pairs.append((unquote_to_bytes(key.replace(b"+", b" ")), unquote_to_bytes(value.replace(b"+", b" "))))
    try:
        for key, value in pairs:
            key.decode("utf-8")
            value.decode("utf-8")
        return  # valid: Werkzeug's own parsing is right
    except UnicodeDecodeError:
        pass
    # Werkzeug parses form and files together; setting both marks it done.
    request.files = ImmutableMultiDict()  # type: ignore[misc]
    request.form = ImmutableMultiDict(  # type: ignore[misc]
        [(k.decode("utf-8", "replace"), v.decode("utf-8", "replace")) for k, v in pairs]
    )


def when(value: datetime | None, date_only: bool = False) -> str:
    """A calm, unambiguous UTC date ("24 Nov 2026, 07:41")."""
    if value is None:
        return ""
    return value.strftime("%-d %b %Y" if date_only else "%-d %b %Y, %H:%M")


# Form values that are ticks, not writing: carried along hidden, not shown.
_TICKS = frozenset({"y", "on", "true", "1"})


def same_origin_referrer(fallback: str) -> str:
    """The page the member came from, if it is on this site; else ``fallback``."""
    ref = request.referrer or ""
    parts = urlsplit(ref)
    if parts.scheme in ("http", "https") and parts.netloc == request.host:
        path = parts.path or "/"
        return safe_next(path + (f"?{parts.query}" if parts.query else ""), fallback)
    return fallback


def kept_form() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(shown, hidden) fields of a refused POST, so the rate-limit page can
    give the member their writing back. Passwords and the CSRF token are
    never echoed."""
    shown: list[tuple[str, str]] = []
    hidden: list[tuple[str, str]] = []
    if request.method != "POST":
        return shown, hidden
    for name, value in request.form.items(multi=True):
        if name == "csrf_token" or "password" in name or not value:
            continue
        (hidden if value.strip().lower() in _TICKS else shown).append((name, value))
    return shown, hidden


def error_page(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    if isinstance(error, SecurityError):
        # An untrusted Host: no page can be built (its links would use that host).
        return "Bad request: this site does not answer to that host name.", 400
    template = f"errors/{code}.html" if code in (403, 404, 409, 429, 500) else "errors/generic.html"
    extra: dict[str, Any] = {}
    if code == 429:
        shown, hidden = kept_form()
        extra = {"kept": shown, "kept_hidden": hidden,
                 "back": same_origin_referrer(current_app.url_for("boards.index"))}
    return render_template(template, error=error, **extra), code


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, error_page)
    app.before_request(tolerant_form_parsing)

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> tuple[str, int]:
        # Never show a stack trace to a member; log it for the operators.
        if isinstance(error, HTTPException):
            return error_page(error)
        app.logger.exception("unhandled error")
        return render_template("errors/500.html"), 500

    app.jinja_env.filters["when"] = when
    app.jinja_env.globals.update(author_label=author_label, current_region=current_region, regions=REGIONS)
