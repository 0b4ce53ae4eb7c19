"""Stage 6: policy — from findings to one action.

A ``Policy`` is configuration, not code: a board can name a profile
("strict" for young people's boards) or the forum can build its own.

Actions are ordered publish < publish_flagged < hold < block, and the
verdict takes the most severe action any finding asks for. So adding a
finding can only make a verdict stricter, never looser.

Why the defaults are what they are:

* ``imminent`` is held *and* escalated: the writer may be in danger now, and
  other members (who may be struggling themselves) should not be the first
  responders. The writer still sees signposting straight away.
* ``high`` is published, flagged at top priority. Holding someone's disclosure
  of suicidal feelings silences them at the moment they reached out; peers'
  replies are part of the help, and moderators are alerted at once.
* ``concern`` is published and flagged at low priority.
* Method detail and encouragement to self-harm are held: they put *readers*
  at risk (contagion), whoever wrote them.
* Abuse and contact details are held until a moderator has looked.
* A screening error is held: if we could not screen it, nobody sees it yet.
* Text in a language the screening can't read is published, flagged at low
  priority: a person reads it, and silencing every non-English writer until
  then would be worse than the small risk.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Iterable, Mapping

from moderation.verdict import ACTION_RANK

log = logging.getLogger(__name__)

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def _frozen(d: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class Policy:
    name: str
    # risk tier -> action
    risk_actions: Mapping[str, str]
    # category code, or a prefix ending in "." -> action
    category_actions: Mapping[str, str]
    # a watched-word rule's own action -> verdict action
    rule_actions: Mapping[str, str]
    # what a moderator's queue priority should be for each risk tier / category
    risk_priorities: Mapping[str, str] = field(default_factory=lambda: _frozen(
        {"imminent": "urgent", "high": "high", "concern": "low"}))
    category_priorities: Mapping[str, str] = field(default_factory=lambda: _frozen({
        "crisis.method_detail": "high", "harm.encouragement": "high", "abuse.threat": "high",
        "screening_error": "high", "abuse.": "normal", "privacy.contact_details": "normal",
        "language.unsupported": "low",
    }))
    # Scores at or above these count as abusive when aimed at someone else.
    toxicity_threshold: float = 0.8

    def _lookup(self, table: Mapping[str, str], code: str) -> str | None:
        if code in table:
            return table[code]
        best = None
        for key, value in table.items():
            if key.endswith(".") and code.startswith(key) and (best is None or len(key) > len(best[0])):
                best = (key, value)
        return best[1] if best else None

    def decide(self, risk: str, categories: Iterable[str], rule_actions: Iterable[str] = ()) -> tuple[str, str | None]:
        """The action and the review priority for these findings."""
        action = self.risk_actions.get(risk, "hold")
        priority = self.risk_priorities.get(risk)
        for code in categories:
            a = self._lookup(self.category_actions, code)
            if a and ACTION_RANK[a] > ACTION_RANK[action]:
                action = a
            p = self._lookup(self.category_priorities, code)
            if p and (priority is None or PRIORITY_RANK[p] > PRIORITY_RANK[priority]):
                priority = p
        for ra in rule_actions:
            a = self.rule_actions.get(ra, "hold")
            if ACTION_RANK[a] > ACTION_RANK[action]:
                action = a
        if action in ("publish_flagged", "hold") and priority is None:
            priority = "low" if action == "publish_flagged" else "normal"
        if action in ("publish", "block"):
            priority = None
        return action, priority


DEFAULT = Policy(
    name="default",
    risk_actions=_frozen({"none": "publish", "concern": "publish_flagged", "high": "publish_flagged",
                          "imminent": "hold"}),
    category_actions=_frozen({
        "crisis.method_detail": "hold", "harm.encouragement": "hold", "abuse.": "hold",
        "privacy.contact_details": "hold", "screening_error": "hold",
        "language.unsupported": "publish_flagged",
    }),
    rule_actions=_frozen({"block": "block", "hold": "hold", "flag": "publish_flagged",
                          "content_warning": "publish", "replace": "publish"}),
)

# Young people's boards. Readers are young, so exposure matters more
# (#chatsafe: young people are more affected by others' suicidal content):
# active ideation is held for a moderator to publish with care, anything a
# watched word flags is held, content-warning topics are flagged, and the
# abuse threshold is lower.
STRICT = replace(
    DEFAULT,
    name="strict",
    risk_actions=_frozen({"none": "publish", "concern": "publish_flagged", "high": "hold", "imminent": "hold"}),
    rule_actions=_frozen({"block": "block", "hold": "hold", "flag": "hold",
                          "content_warning": "publish_flagged", "replace": "publish"}),
    # A slur the abuse judge does not read as an attack (reclaimed,
    # in-group) is published but shown to a moderator: on a young people's
    # board a grown-up checks it was meant the way it reads.
    category_actions=_frozen(dict(DEFAULT.category_actions, **{"slur.reclaimed": "publish_flagged"})),
    toxicity_threshold=0.6,
)

PROFILES: dict[str, Policy] = {"default": DEFAULT, "strict": STRICT}


def get(profile: "str | Policy | None") -> Policy:
    """A policy by profile name (or the policy itself). Unknown names fall
    back to the default and are logged: a typo in a board's settings must not
    stop every post on that board."""
    if profile is None:
        return DEFAULT
    if isinstance(profile, Policy):
        return profile
    found = PROFILES.get(profile)
    if found is None:
        log.warning("unknown moderation profile %r; using the default policy", profile)
        return DEFAULT
    return found
