"""The result of screening one piece of text."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ACTIONS = ("publish", "publish_flagged", "hold", "block")
RISKS = ("none", "concern", "high", "imminent")
RISK_RANK = {r: i for i, r in enumerate(RISKS)}
ACTION_RANK = {a: i for i, a in enumerate(ACTIONS)}
KINDS = ("post", "reply", "title", "edit", "chat")


@dataclass(frozen=True)
class Reason:
    """Why the engine decided something, with the span in the source text."""

    code: str
    start: int
    end: int
    excerpt: str
    explanation: str
    # How the detector read the signal ("negated", "in the past", ...), as data:
    # signposting decides from it, so it must never be parsed back out of prose.
    context: tuple[str, ...] = ()


@dataclass(frozen=True)
class Service:
    name: str
    phone: str | None = None
    text: str | None = None
    web: str | None = None
    hours: str | None = None
    languages: tuple[str, ...] = ()
    # ISO date the facts were last checked against ``source``; None means
    # the entry still needs checking against the service's own website.
    verified: str | None = None
    description: str | None = None
    id: str | None = None
    source: str | None = None
    audiences: tuple[str, ...] = ()


@dataclass(frozen=True)
class Signposting:
    """What to show the writer: a message and the services that fit."""

    audience: str  # "self" | "other" | "imminent"
    region: str
    headline: str
    message: str
    services: tuple[Service, ...] = ()
    emergency_number: str | None = None


@dataclass(frozen=True)
class Verdict:
    action: str
    risk: str
    categories: frozenset[str]
    html: str
    reasons: tuple[Reason, ...] = ()
    scores: dict[str, Any] = field(default_factory=dict)
    signposting: Signposting | None = None
    content_warning: str | None = None
    engine: dict[str, Any] = field(default_factory=dict)
    # The text that was screened, after NUL/control characters were removed
    # and bidi/zero-width characters neutralised. Store exactly this as the
    # source, so the stored verdict is the verdict for the stored text.
    text: str = ""
    # A member-facing explanation when action is "block" (e.g. too long).
    error: str | None = None
    # Review-queue priority when a human should look: "urgent" (imminent
    # risk), "high", "normal" or "low"; None when nobody needs to look.
    priority: str | None = None

    @property
    def needs_review(self) -> bool:
        return self.action in ("publish_flagged", "hold")

    @property
    def is_visible(self) -> bool:
        """Whether others may see the content straight away."""
        return self.action in ("publish", "publish_flagged")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Verdict":
        """Rebuild a Verdict stored with ``to_dict`` (e.g. from a JSON column)."""
        sp = data.get("signposting")
        signposting = None
        if sp:
            services = tuple(Service(**{**s, "languages": tuple(s.get("languages") or ()),
                                        "audiences": tuple(s.get("audiences") or ())})
                             for s in sp.get("services") or ())
            signposting = Signposting(**{**sp, "services": services})
        return cls(
            action=data.get("action", "hold"), risk=data.get("risk", "none"),
            categories=frozenset(data.get("categories") or ()), html=data.get("html", ""),
            reasons=tuple(Reason(**{**r, "context": tuple(r.get("context") or ())}) for r in data.get("reasons") or ()),
            scores=dict(data.get("scores") or {}), signposting=signposting,
            content_warning=data.get("content_warning"), engine=dict(data.get("engine") or {}),
            text=data.get("text", ""), error=data.get("error"), priority=data.get("priority"),
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["categories"] = sorted(self.categories)
        d["reasons"] = [asdict(r) for r in self.reasons]
        return d
