"""Domain errors: one base class for every area's refusals.

A service raises one of these with words safe to show the person; the view
turns ``status`` into the HTTP answer, and ``errors`` (field -> reasons)
into messages beside the form fields, so the member's text is re-shown.
"""
from __future__ import annotations


class DomainError(Exception):
    """A use case refused. ``reason`` is safe to show; ``status`` is the HTTP status."""

    status = 400

    def __init__(self, reason: str = "", *, errors: dict[str, list[str]] | None = None) -> None:
        self.errors = errors or {}
        self.reason = reason or "; ".join(m for msgs in self.errors.values() for m in msgs)
        super().__init__(self.reason)


class FieldErrors(DomainError):
    """A form could not be accepted; ``errors`` maps form field -> reasons."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors=errors)


class InvalidInput(DomainError):
    status = 400


class NotAllowed(DomainError):
    """The person may not do this here (HTTP 403)."""

    status = 403


class NotFound(DomainError):
    status = 404


class StaleItem(DomainError):
    """Someone else changed the item since it was loaded (HTTP 409)."""

    status = 409
