"""The review area's vocabulary: what can be reviewed, queue tiers, the
actions and their labels, and the notes authors see when content is hidden."""
from __future__ import annotations

from forum.models import ReviewStatus

TARGET_TYPES = ("post", "chat_message")

# What the pipeline can put in the queue: member content, plus private
# messages to the moderation team (not reportable by members, so not above).
REVIEWABLE_TYPES = (*TARGET_TYPES, "support_message")

OPEN_STATUSES = (ReviewStatus.PENDING, ReviewStatus.ESCALATED)

FLAG_REASONS = {
    "worried": "I'm worried about this person",
    "unkind": "Unkind or abusive",
    "methods": "Shares methods or graphic detail",
    "spam": "Spam",
    "personal_details": "Shares personal details",
    "other": "Something else",
}

# Queue order (issue 4): imminent, harm encouragement, high, abuse, concern,
# other flags. Each tier owns a band of 200 so flags can raise an item within
# its tier (at most +190) without ever overtaking a more serious tier.
TIER_BASE = {"imminent": 1000, "harm_encouragement": 800, "high": 600, "abuse": 400, "concern": 200, "other": 0}

TIER_ORDER = ("other", "concern", "abuse", "high", "harm_encouragement", "imminent")

FLAG_BONUS, FLAG_BONUS_MAX = 20, 190

UNSCREENED = "screening_error"

# Flag reasons map onto the tier of the harm they describe.
FLAG_TIER = {"worried": "concern", "unkind": "abuse", "methods": "high", "personal_details": "abuse"}

ABUSE_CATEGORIES = {"toxicity", "severe_toxicity", "abuse", "insult", "threat", "harassment", "hate",
                    "identity_attack", "obscene", "sexual_explicit"}

THREAT_CATEGORIES = {"abuse.threat", "threat"}

# Content a moderator should not be shown unasked (blurred until clicked).
GRAPHIC_CATEGORIES = {"methods", "graphic", "harm_encouragement", "harm.encouragement", "crisis.method_detail",
                      "crisis.means"}

ACTION_LABELS = {
    "approve": "Approve and publish",
    "reject": "Keep hidden",
    "edit": "Edit with a reason",
    "content_warning": "Add a content warning",
    "message": "Message the member",
    "escalate": "Escalate to staff",
    "dismiss_flags": "Dismiss the flags",
    "warn": "Warn",
    "silence": "Silence for a time",
    "suspend": "Suspend (staff)",
    "restore": "Restore",
    "close": "Close the item",
}

STAFF_ONLY_ACTIONS = {"suspend"}

ACTION_PAST = {"approve": "approved", "reject": "hidden", "restore": "restored", "edit": "edited",
               "content_warning": "given a content warning", "dismiss_flags": "cleared of its flags"}

# Actions that would publish, hide or change content the author has deleted.
# A deleted item offers "close" instead.
CONTENT_ACTIONS = ("approve", "reject", "restore", "edit", "content_warning", "dismiss_flags")

SANCTION_ACTIONS = ("warn", "silence", "suspend")

CASE_ACTIONS = ("acknowledge", "start", "save", "resolve")

CASE_FIELDS = ("risk_plan", "risk_means", "risk_timeframe", "protective_factors", "notes")

DEFAULT_HIDDEN_NOTE = (
    "A moderator has hidden this post for now. Your words are saved: you can edit it, "
    "and it will be looked at again. If you're struggling, the 'Get help now' link lists people you can talk to."
)

AUTO_HIDDEN_NOTE = (
    "Some members asked us to look at this post, so it's hidden until a moderator has read it. "
    "Your words are saved, and nothing is decided yet."
)
