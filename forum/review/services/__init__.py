"""Review use cases, one module per concern.

- ``screening``: the hand-off from screening (``on_screened``, the second opinion);
- ``flags``: members' reports;
- ``claims``: claims and version checks;
- ``actions``: moderator and staff actions (``act``/``perform``) and the one hide path;
- ``cases``: crisis cases worked by staff;
- ``queue``: the queue, overdue items, an author's history, live-page sync;
- ``presence``: who is moderating now, out-of-hours mode;
- ``wellbeing``, ``templates``: shift counter, debriefs, response templates;
- underneath them: ``common`` (vocabulary), ``targets``, ``priority`` (tiers
  and deadlines) and ``items`` (an item's reasons, history and live events).

The forum core and chat call ``effective_action`` and ``on_screened``
inside their own transaction, right after persisting screened content;
``flag`` and ``hide_content`` are also called inside the caller's
transaction. None of those commit. The moderator/staff use cases
(``claim``, ``perform``, ``update_case`` ...) run one transaction each and
commit it, so the change, its history row and its audit row land together.

Every live event is queued with ``emit_after_commit``: a moderator is never
told about an item the database does not (yet) hold.

Other areas import this package (``from forum.review import services``);
the names below are what they use.
"""
from __future__ import annotations

from forum.review.services.common import (
    ACTION_LABELS, AUTO_HIDDEN_NOTE, CASE_FIELDS, DEFAULT_HIDDEN_NOTE, FLAG_BONUS, FLAG_REASONS, OPEN_STATUSES,
    TARGET_TYPES, TIER_BASE,
)
from forum.review.services.targets import get_target, target_url, targets_of
from forum.review.services.priority import recompute_priority, review_tier, schedule_check, sla_for
from forum.review.services.items import add_history, announce, counters, event_actor
from forum.review.services.cases import open_case, update_case
from forum.review.services.screening import on_screened, run_second_opinion
from forum.review.services.flags import flag, report
from forum.review.services.claims import claim, claimed_by_other, release
from forum.review.services.actions import ActionInput, act, available_actions, hide_content, perform
from forum.review.services.presence import drop_presence, effective_action, moderators_online, record_presence
from forum.review.services.queue import (
    author_history, is_sensitive, latest_case_id, latest_review_id, missing_open_cases, missing_open_items,
    next_item, overdue_since, queue,
)
from forum.review.services.wellbeing import (
    crisis_handled_since, mark_resources_read, request_debrief, shift_start, start_shift,
)
from forum.review.services.templates import response_templates, save_template

__all__ = [
    "ACTION_LABELS", "AUTO_HIDDEN_NOTE", "CASE_FIELDS", "DEFAULT_HIDDEN_NOTE", "FLAG_BONUS", "FLAG_REASONS",
    "OPEN_STATUSES", "TARGET_TYPES", "TIER_BASE",
    "get_target", "target_url", "targets_of", "recompute_priority", "review_tier", "schedule_check", "sla_for",
    "add_history", "announce", "counters", "event_actor", "open_case", "update_case", "on_screened",
    "run_second_opinion", "flag", "report", "claim", "claimed_by_other", "release", "ActionInput", "act",
    "available_actions", "hide_content", "perform", "drop_presence", "effective_action", "moderators_online",
    "record_presence", "author_history", "is_sensitive", "latest_case_id", "latest_review_id",
    "missing_open_cases", "missing_open_items", "next_item", "overdue_since", "queue", "crisis_handled_since",
    "mark_resources_read", "request_debrief", "shift_start", "start_shift", "response_templates", "save_template",
]
