"""Cross-area web helpers: error pages, template globals, region, anonymity."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from flask import Flask, Request, abort, current_app, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, NotFound, SecurityError
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter, ValidationError
from wtforms import StringField, TextAreaField

from forum import dbretry
from moderation import signposting

# Shown in place of bytes that were not valid UTF-8 (see TolerantFormDataParser).
REPLACEMENT_CHAR = "\ufffd"

ANONYMOUS_LABEL = "Anonymous member"

# The largest value a 32-bit INTEGER column holds (PostgreSQL's INTEGER);
# ids and counts from a request above it are refused before any query.
DB_INT_MAX = 2**31 - 1

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
    that were not valid UTF-8 arrive as U+FFFD (see TolerantFormDataParser).
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


class TolerantFormDataParser(FormDataParser):
    """Form parsing that keeps a urlencoded field whose bytes are not UTF-8.

    Werkzeug drops such a form (raw bytes) or keeps the percent escapes
    (``%FF``), so a post with one bad byte would arrive empty or be stored
    mangled. Here bad bytes become U+FFFD, which MemberTextField reports as
    a clear form error with the rest of the text kept. It is the request's
    parser, so whoever reads the form first (CSRF checks it before any
    view) gets the same result.
    """

    def parse(self, stream: Any, mimetype: str, content_length: int | None,
              options: dict[str, str] | None = None) -> Any:
        if mimetype != "application/x-www-form-urlencoded":
            return super().parse(stream, mimetype, content_length, options)
        pairs = []
        for chunk in stream.read().split(b"&"):
            if chunk:
                key, _, value = chunk.partition(b"=")
                pairs.append((_form_text(key), _form_text(value)))
        return stream, self.cls(pairs), self.cls()


def _form_text(raw: bytes) -> str:
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "replace")


class KindredRequest(Request):
    form_data_parser_class = TolerantFormDataParser


def db_int(value: str) -> int:
    """A whole number from a query string or form, 0..DB_INT_MAX.

    For ``request.args.get(name, type=db_int)``: anything else raises
    ValueError, so the argument falls back to its default instead of
    reaching the database, which would fail on an out-of-range number.
    """
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > len(str(DB_INT_MAX)):
        raise ValueError("not a number in range")
    number = int(value)
    if number > DB_INT_MAX:
        raise ValueError("not a number in range")
    return number


class DbIntConverter(IntegerConverter):
    """``<int:...>`` for ids: a number beyond what the column holds is a 404
    (no such page), not a database error."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = DB_INT_MAX, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> Any:
        # NotFound, not ValidationError: Werkzeug answers a failed conversion
        # with 405 when another method's rule shares the path.
        if len(value.lstrip("-")) > len(str(DB_INT_MAX)):  # int() refuses very long strings
            raise NotFound()
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


def when(value: datetime | None, date_only: bool = False) -> str:
    """A calm, unambiguous UTC date ("24 Nov 2026, 07:41")."""
    if value is None:
        return ""
    return value.strftime("%-d %b %Y" if date_only else "%-d %b %Y, %H:%M")


# Member writing echoed back on the "we couldn't save this" page, with the
# label it is shown under; multi-line ones get a textarea. Other free text is
# shown under its field name; ticks, ids, the CSRF token and the submission
# key go back as hidden inputs; passwords are never echoed.
_WRITTEN_FIELDS = {"title": ("Title", False), "body": ("Your text", True), "text": ("Your message", True),
                   "details": ("Details", True), "content_warning": ("Content warning", False),
                   "note": ("Note", True), "notes": ("Notes", True), "message": ("Message", True)}


def request_region() -> str:
    """The region from the request alone (Accept-Language, then the setting).

    Error pages use this instead of ``current_region``: the member's own
    setting needs the database, which may be what just failed.
    """
    for lang, _q in request.accept_languages:
        region = _LANGUAGE_REGIONS.get(lang.lower())
        if region:
            return region
    return current_app.config["KINDRED_REGION"]


def _rollback() -> None:
    from forum.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection may be gone; the page must still render)
        current_app.logger.warning("rollback before the error page failed", exc_info=True)


def _render_error(template: str, code: int, **context: Any) -> tuple[str, int]:
    from moderation import signposting

    region = request_region()
    # Straight through Jinja, not render_template: Flask-Login's context
    # processor would load current_user, i.e. query the database.
    page = current_app.jinja_env.get_or_select_template(template).render(
        region=region, helplines=signposting.helplines(region)[:4],
        emergency_number=signposting.emergency_number(region), **context)
    return page, code


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


def error_page(error: HTTPException) -> tuple[str, int]:
    _rollback()
    cause = getattr(error, "original_exception", None)  # an error after the view, e.g. in after_request
    if cause is not None and dbretry.mark_lost(request.environ, cause, request.method in ("GET", "HEAD", "OPTIONS")):
        return "", 503
    code = error.code or 500
    if isinstance(error, SecurityError):
        # An untrusted Host: no page can be built (its links would use that host).
        return "Bad request: this site does not answer to that host name.", 400
    template = f"errors/{code}.html" if code in (403, 404, 409, 429, 500) else "errors/generic.html"
    extra: dict[str, Any] = {}
    if code == 429:
        extra = {"kept": returned_form(), "action": request.full_path.rstrip("?"),
                 "back": same_origin_referrer(current_app.url_for("boards.index"))}
    return _render_error(template, code, error=error, **extra)


def _is_dependency_error(error: Exception) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    from forum.dbretry import StorageUnavailable

    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover
        RedisError = ()  # type: ignore[assignment,misc]  # noqa: N806
    return isinstance(error, (SQLAlchemyError, StorageUnavailable, RedisError, ConnectionError, TimeoutError))


def returned_form() -> tuple[list[tuple[str, str]], list[tuple[str, str, str, bool]]] | None:
    """The member's submitted form, split into hidden and visible fields,
    or None when there is no written text to give back (a GET has none).
    Every page that gives a refused or failed form back uses it (429, 503),
    with ``templates/macros/returned_form.html``."""
    hidden: list[tuple[str, str]] = []
    fields: list[tuple[str, str, str, bool]] = []
    for name, value in request.form.items(multi=True):
        if "password" in name:
            continue
        if name in _WRITTEN_FIELDS:
            label, multiline = _WRITTEN_FIELDS[name]
            fields.append((name, label, value, multiline or "\n" in value))
        elif name in ("csrf_token", "submission_key") or name.endswith(("_id", "_to")) or not value.strip() \
                or value.strip().lower() in _TICKS or value.strip().isdigit():
            hidden.append((name, value))
        else:
            fields.append((name, name.replace("_", " ").capitalize(), value, "\n" in value or len(value) > 80))
    return (hidden, fields) if any(value.strip() for _n, _l, value, _m in fields) else None


def unexpected_error(error: Exception) -> tuple[str, int]:
    """Any error a view did not handle: roll back, then a page that needs no database.

    A form post comes back as the form with the member's text, so a failed
    save never costs them what they wrote.
    """
    _rollback()
    # A page view, or a form whose resubmit returns what was stored, is run
    # again when the database went away under it (forum.dbretry).
    repeatable = request.method in ("GET", "HEAD", "OPTIONS") or bool(request.form.get("submission_key"))
    if dbretry.mark_lost(request.environ, error, repeatable):
        return "", 503
    code = 503 if _is_dependency_error(error) else 500
    current_app.logger.exception("unhandled error (%s)", code, exc_info=error)
    if request.method == "POST":
        form = returned_form()
        if form is not None:
            hidden, fields = form
            return _render_error("errors/unsaved.html", code, action=request.full_path.rstrip("?"),
                                 hidden=hidden, fields=fields)
    return _render_error("errors/500.html", code)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, error_page)
    app.wsgi_app = dbretry.RepeatOnLostDatabase(app.wsgi_app, app)  # type: ignore[method-assign]
    app.request_class = KindredRequest
    app.url_map.converters["int"] = DbIntConverter

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> tuple[str, int]:
        # Never show a stack trace to a member; log it for the operators.
        if isinstance(error, HTTPException):
            return error_page(error)
        return unexpected_error(error)

    app.jinja_env.filters["when"] = when
    app.jinja_env.globals.update(author_label=author_label, current_region=current_region, regions=REGIONS,
                                 sms_uri=signposting.sms_uri, dial_uri=signposting.dial_uri)
