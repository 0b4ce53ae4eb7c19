"""What goes over the wire: plain dicts built from stored rows.

The only member text ever sent is ``body_html``, the sanitised HTML stored
at write time. Broadcast payloads go to many viewers at once, so they never
carry the author's id, and anonymous messages carry the anonymous label
for everyone: staff look accounts up through the staff tools instead.
"""
from __future__ import annotations

from typing import Any

from forum.models import ChatMessage, ChatRoom, ContentStatus
from forum.web import ANONYMOUS_LABEL


def _public_label(msg: ChatMessage) -> str:
    return ANONYMOUS_LABEL if msg.is_anonymous else msg.author.handle


def message(msg: ChatMessage, *, viewer: Any = None) -> dict[str, Any]:
    """A message as one viewer (or, with ``viewer=None``, everyone) sees it."""
    data: dict[str, Any] = {
        "id": msg.id,
        "room": msg.room_id,
        "html": msg.body_html,
        "author": _public_label(msg),
        "anonymous": msg.is_anonymous,
        "reply_to": msg.reply_to_id,
        "support": msg.support_count,
        "at": msg.created_at.isoformat(timespec="seconds"),
        "status": msg.status,
        "staff_role": msg.author.role if not msg.is_anonymous and msg.author.is_moderator else None,
    }
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        data["mine"] = msg.author_id == viewer.id
        if data["mine"]:
            data["client_id"] = msg.client_id
            if msg.status == ContentStatus.HIDDEN and msg.moderator_note:
                data["note"] = msg.moderator_note
    return data


def signposting_card(verdict: dict[str, Any]) -> dict[str, Any] | None:
    """The private supportive card for the sender, from the stored verdict."""
    sp = (verdict or {}).get("signposting")
    if not sp:
        return None
    services = []
    for s in sp.get("services") or ():
        web = s.get("web")
        # Helpline data comes from our own files, but links are still
        # restricted to http(s) so nothing else can reach an href.
        if web and not str(web).startswith(("https://", "http://")):
            web = None
        services.append({k: s.get(k) for k in ("name", "phone", "text", "hours", "description")} | {"web": web})
    return {
        "audience": sp.get("audience"),
        "region": sp.get("region"),
        "headline": sp.get("headline"),
        "message": sp.get("message"),
        "services": services,
        "emergency_number": sp.get("emergency_number"),
    }


def room_state(room: ChatRoom, *, open_now: bool, pinned: ChatMessage | None) -> dict[str, Any]:
    return {
        "room": room.id,
        "locked": room.is_locked,
        "slow_mode": room.slow_mode_seconds,
        "open": open_now,
        "pinned": message(pinned) if pinned is not None and pinned.status == ContentStatus.VISIBLE else None,
    }


def moderator_alert(room: ChatRoom, msg: ChatMessage) -> dict[str, Any]:
    """Live alert for moderators: the room, who wrote it (as everyone sees
    them: "Anonymous member" for anonymous messages), the message and why."""
    return {
        "room": {"id": room.id, "slug": room.slug, "name": room.name},
        "message_id": msg.id,
        "risk": msg.verdict_risk,
        "categories": list(msg.verdict_categories),
        "status": msg.status,
        "html": msg.body_html,
        "author": _public_label(msg),
        "url": f"/chat/{room.slug}#msg-{msg.id}",
        # Opens (or returns to) a private conversation with the writer.
        "conversation_url": "/conversations/open",
    }
