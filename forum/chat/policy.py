"""Who may read and write in a room, and when a room is open.

Pure functions over model objects and a clock: no database access, so the
Socket.IO handlers, the HTTP views and the tests all share one definition.
"""
from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from moderation.patterns import compile_linear, register_globals

ACCESS_LEVELS = ("open", "members", "restricted")
ACCESS_LABELS = {
    "open": "Open: anyone can read; members can write",
    "members": "Members only",
    "restricted": "Restricted: members with enough approved posts",
}
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_moderator(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_moderator)


def can_read(room: Any, user: Any) -> bool:
    """Open rooms are readable by signed-out visitors, like public boards.

    Members-only and restricted rooms exist so people can talk more freely
    about painful things: only signed-in members (with enough approved posts
    for restricted rooms) can see those conversations.
    """
    if room.access == "open":
        return True
    return read_denial(room, user) is None


def read_denial(room: Any, user: Any) -> str | None:
    """A member-facing reason the user cannot read ``room``, or None."""
    if room.access == "open":
        return None
    if not getattr(user, "is_authenticated", False):
        return "Please log in to join this room."
    if is_moderator(user):
        return None
    if room.access == "restricted" and user.approved_post_count < room.min_approved_posts:
        needed = room.min_approved_posts - user.approved_post_count
        return (f"This room opens to members after {room.min_approved_posts} approved posts on the boards. "
                f"You need {needed} more. The boards are a good place to start.")
    return None


def write_denial(room: Any, user: Any, now: datetime, anonymous: bool = False) -> tuple[str, str] | None:
    """(code, member-facing message) if ``user`` may not write now, else None.

    Moderators can still write in a closed or locked room: they need to
    explain why it is closed, or post helplines, while members cannot.
    Not anonymously, though: an anonymous message in a locked room would
    show that a moderator wrote it.
    """
    if not getattr(user, "is_authenticated", False):
        return "not_authenticated", "Please log in to take part in chat."
    reason = read_denial(room, user)
    if reason:
        return "forbidden", reason
    if user.is_silenced(now):
        return "silenced", "Your account can't post at the moment. You can still read."
    if user.needs_health_consent:
        from forum.rights.consent import NEEDED
        return "consent", NEEDED
    if is_moderator(user) and not anonymous:
        return None
    if room.is_locked:
        return "locked", "A moderator has paused this room. You can still read; please try again later."
    if not is_open(room, now):
        return "closed", "This room is closed right now. " + opening_hours_text(room)
    return None


# -- scheduled hours ------------------------------------------------------------------

def _zone(schedule: dict[str, Any]) -> ZoneInfo:
    try:
        return ZoneInfo(schedule.get("tz") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def is_open(room: Any, now: datetime) -> bool:
    """Whether ``now`` falls within one of the room's windows (no windows: always open).

    A window whose end is before its start runs past midnight into the
    next day (e.g. a late-night room 22:00-02:00).
    """
    schedule = room.schedule or {}
    windows = schedule.get("windows") or []
    if not windows:
        return True
    local = now.astimezone(_zone(schedule))
    today, clock = local.weekday(), local.time().replace(tzinfo=None)
    yesterday = (today - 1) % 7
    for window in windows:
        start, end = _parse_hhmm(window["start"]), _parse_hhmm(window["end"])
        days = window.get("days") or list(range(7))
        if start < end:
            if today in days and start <= clock < end:
                return True
        else:  # crosses midnight
            if today in days and clock >= start:
                return True
            if yesterday in days and clock < end:
                return True
    return False


def opening_hours_text(room: Any) -> str:
    schedule = room.schedule or {}
    windows = schedule.get("windows") or []
    if not windows:
        return "Open at all times."
    parts = [f"{_days_text(w.get('days') or list(range(7)))} {w['start']}–{w['end']}" for w in windows]
    return "Opening hours: " + "; ".join(parts) + f" ({schedule.get('tz') or 'UTC'})."


def _days_text(days: list[int]) -> str:
    if sorted(days) == list(range(7)):
        return "Every day"
    return ", ".join(DAY_NAMES[d].capitalize() for d in sorted(days))


_PARTS = compile_linear(r"[,\s]+")
_LINE = compile_linear(r"^\s*(?P<days>[A-Za-z,\-\s]+?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$")


def parse_schedule(text: str, tz: str) -> dict[str, Any]:
    """Parse staff-entered hours, one window a line: ``Mon-Fri 19:00-21:00``.

    Raises ValueError with a message naming the line that is wrong.
    """
    try:
        ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {tz!r}; use a name like Europe/London.") from None
    windows = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if not match:
            raise ValueError(f"Line {number}: write days then hours, for example “Mon-Fri 19:00-21:00”.")
        days = _parse_days(match["days"], number)
        for key in ("start", "end"):
            try:
                _parse_hhmm(match[key])
            except ValueError:
                raise ValueError(f"Line {number}: {match[key]} is not a time of day.") from None
        if match["start"] == match["end"]:
            raise ValueError(f"Line {number}: the start and end times are the same.")
        windows.append({"days": days, "start": _pad(match["start"]), "end": _pad(match["end"])})
    return {"tz": tz or "UTC", "windows": windows} if windows else {}


def _pad(hhmm: str) -> str:
    hours, minutes = hhmm.split(":")
    return f"{int(hours):02d}:{minutes}"


def _parse_days(text: str, number: int) -> list[int]:
    days: set[int] = set()
    for part in _PARTS.split(text.strip().lower()):
        if not part:
            continue
        if part in ("daily", "every", "everyday"):
            days.update(range(7))
            continue
        ends = part.split("-")
        try:
            idx = [DAY_NAMES.index(e[:3]) for e in ends]
        except ValueError:
            raise ValueError(f"Line {number}: {part!r} is not a day (use Mon, Tue, … or Daily).") from None
        if len(idx) == 1:
            days.add(idx[0])
        else:
            start, end = idx[0], idx[-1]
            span = range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)]
            days.update(span)
    return sorted(days)


def schedule_to_text(schedule: dict[str, Any]) -> str:
    return "\n".join(f"{_days_text(w['days']) if sorted(w['days']) != list(range(7)) else 'Daily'} "
                     f"{w['start']}-{w['end']}".replace(", ", ",")
                     for w in (schedule or {}).get("windows") or [])


register_globals(__name__, globals())
