"""Sealed safety contacts (Fernet) and the break-glass use case.

A member may leave a safety contact. It is encrypted at rest with a key
that lives outside the database (KINDRED_SEAL_KEY, or instance/seal_key
created once with owner-only permissions), so a database dump alone does
not reveal it. Only staff can open it, with a written reason; every
opening is audited and listed in the staff access log.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from config import instance_key
from forum.errors import NotAllowed, InvalidInput
from forum import audit
from forum.extensions import db
from forum.models import User, utcnow

MAX_CONTACT = 500
MIN_REASON = 10


def _key() -> bytes:
    configured = current_app.config.get("KINDRED_SEAL_KEY")
    if configured:
        return configured.encode() if isinstance(configured, str) else configured
    generate = lambda: Fernet.generate_key().decode()  # noqa: E731
    return instance_key(Path(current_app.config["INSTANCE_DIR"]), "seal_key", generate).encode()


def save_contact(member: User, contact: str, consent: bool = False) -> None:
    """Seal (or, with empty text, remove) the member's safety contact.

    Saving one needs the member's own consent to its use in an emergency,
    recorded with its time (the contact is health-related, special category data).
    """
    contact = (contact or "").strip()
    if len(contact) > MAX_CONTACT:
        raise InvalidInput(f"Please keep it under {MAX_CONTACT} characters.")
    if contact and not consent:
        raise InvalidInput("Please tick the box to agree to how we would use your safety contact, "
                           "or leave it empty.")
    member.safety_contact_sealed = Fernet(_key()).encrypt(contact.encode()) if contact else None
    member.safety_contact_consent_at = utcnow() if contact else None
    db.session.commit()


def break_glass(staff: Any, member: User, reason: str) -> str:
    """Open a member's sealed contact. Staff only, with a reason; audited."""
    if not getattr(staff, "is_staff", False):
        raise NotAllowed("Only staff can open a safety contact.")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise InvalidInput("Please write why you need to open this contact (at least a sentence).")
    if member.safety_contact_sealed is None:
        raise InvalidInput("This member has not left a safety contact.")
    try:
        contact = Fernet(_key()).decrypt(member.safety_contact_sealed).decode()
    except InvalidToken as exc:
        raise InvalidInput("The contact could not be unsealed (the seal key has changed).") from exc
    # The audit row is committed before the contact is shown: no access without a record.
    audit.record(staff, "safety_contact.break_glass", target_type="user", target_id=member.id, reason=reason)
    db.session.commit()
    return contact
