"""Typed SQLAlchemy 2.0 models, one module per area. Import from here."""
from forum.models.base import ContentStatus, Role, utcnow
from forum.models.board import Board, Post, PostRevision, PostSupport, Topic
from forum.models.chat import ChatMessage, ChatMute, ChatRoom, ChatSupport
from forum.models.review import Alert, AuditEvent, Escalation, Flag, Outbox, Review, ReviewEvent, Sanction
from forum.models.review import DebriefRequest, MemberNotice, Presence, ResponseTemplate
from forum.models.review import CaseStatus, DebriefStatus, FlagStatus, ReasonSource, ReviewStatus
from forum.models.conversation import ConversationStatus, SupportConversation, SupportMessage, SupportParticipant
from forum.models.rights import AccessRequest, AccountClosure, ClosureKind, ClosureStatus, DataExport, ExportStatus
from forum.models.follow import BoardFollow, MemberIgnore, TopicFollow, TopicLevel, TopicRead
from forum.models.notification import EmailMode, Notification, NotificationKind, NotificationSettings
from forum.models.user import User, UserSession

__all__ = [
    "Alert", "AuditEvent", "Board", "ChatMessage", "ChatMute", "ChatRoom", "ChatSupport",
    "ContentStatus", "Escalation", "Flag", "Outbox", "Post", "PostRevision", "PostSupport",
    "Review", "ReviewEvent", "Role", "Sanction", "Topic", "User", "UserSession", "utcnow",
    "DebriefRequest", "MemberNotice", "Presence", "ResponseTemplate",
    "CaseStatus", "DebriefStatus", "FlagStatus", "ReasonSource", "ReviewStatus", "ConversationStatus", "ExportStatus",
    "SupportConversation", "SupportMessage", "SupportParticipant",
    "EmailMode", "NotificationSettings", "Notification", "NotificationKind", "MemberIgnore", "TopicFollow", "TopicLevel",
    "BoardFollow", "TopicRead",
    "AccessRequest", "AccountClosure", "ClosureKind", "ClosureStatus", "DataExport",
]
