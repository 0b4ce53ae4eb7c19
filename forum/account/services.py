"""Account settings use cases (one transaction each)."""
from __future__ import annotations

from dataclasses import dataclass

from forum.errors import FieldErrors
from forum.auth import sessions
from forum.auth.services import email_problems
from forum.extensions import db
from forum.models import User


@dataclass(frozen=True)
class ProfileUpdate:
    email: str | None
    region: str | None
    email_team_messages: bool = False


def update_profile(user: User, data: ProfileUpdate, allowed_regions: tuple[str, ...]) -> None:
    errors: dict[str, list[str]] = {}
    email = (data.email or "").strip() or None
    if problem := email_problems(email):
        errors["email"] = problem
    region = data.region or None
    if region and region not in allowed_regions:
        errors["region"] = ["Please choose a region from the list."]
    if errors:
        raise FieldErrors(errors)
    user.email = email
    user.region = region
    # Only with an address to send to; the email never contains the message.
    user.email_team_messages = bool(data.email_team_messages and email)
    db.session.commit()


def deactivate(user: User, kind: str, password: str):
    """Ask to close ("close", posts kept as "Former member") or erase the
    account. It happens after the grace period; logging in before cancels it
    (forum.rights.erasure)."""
    from forum.rights import erasure

    return erasure.request_closure(user, kind, password)


def log_out_everywhere(user: User) -> int:
    """End every session of the account, this one included (the account page's button)."""
    ended = sessions.end_all(user, "everywhere")
    db.session.commit()
    return ended
