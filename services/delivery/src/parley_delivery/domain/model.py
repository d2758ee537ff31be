"""What delivery works with: a reply to send, its content, and what became of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

PAGE_INBOX_APP_ID = "263902037430900"


class Author(StrEnum):
    """Who decided a reply: the rules for tags and windows differ."""

    BOT = "bot"
    HUMAN = "human"


class Pace(StrEnum):
    """How fast a reply goes out."""

    HUMAN = "human"
    INSTANT = "instant"


class ThreadMove(StrEnum):
    """What to do with the thread once the message (if any) went out."""

    NONE = ""
    PASS_TO_INBOX = "pass_to_inbox"
    TAKE_BACK = "take_back"


class AttachmentKind(StrEnum):
    """Send API attachment types sent by URL."""

    IMAGE = "image"
    AUDIO = "audio"
    VIDEO = "video"
    FILE = "file"


class Outcome(StrEnum):
    """What finally happened to a reply's message (stored as the reply's state)."""

    SENDING = "sending"  # not final: an attempt is under way, or was when the process stopped
    SENT = "sent"
    REFUSED = "refused"
    SUPERSEDED = "superseded"
    HANDED_OVER = "handed_over"
    UNAVAILABLE = "unavailable"
    REJECTED = "rejected"
    EXPIRED = "expired"
    NO_MESSAGE = "no_message"

    @property
    def final(self) -> bool:
        """Whether nothing more will be sent for it."""
        return self is not Outcome.SENDING


class PolicyRule(StrEnum):
    """The rule of Meta's policy that refused a reply."""

    BOT_WINDOW_CLOSED = "bot_window_closed"
    HUMAN_WINDOW_CLOSED = "human_window_closed"
    PAGE_BLOCKED = "page_blocked"
    COMMENT_TOO_OLD = "comment_too_old"
    COMMENT_ALREADY_ANSWERED = "comment_already_answered"
    OUTSIDE_WINDOW_PER_META = "outside_window_per_meta"


@dataclass(frozen=True)
class Button:
    """A postback button (payload) or a web_url button (url)."""

    title: str
    payload: str = ""
    url: str = ""


@dataclass(frozen=True)
class QuickReply:
    """A quick-reply button."""

    title: str
    payload: str


@dataclass(frozen=True)
class Content:
    """A reply's content; empty when the command only moves the thread."""

    text: str = ""
    quick_replies: tuple[QuickReply, ...] = ()
    buttons: tuple[Button, ...] = ()
    attachment_url: str = ""
    attachment_kind: AttachmentKind = AttachmentKind.IMAGE
    metadata: str = ""

    @property
    def empty(self) -> bool:
        """Nothing to send."""
        return not self.text.strip() and not self.attachment_url


@dataclass(frozen=True)
class Reply:
    """One reply to deliver, from a reply command or a human send."""

    idempotency_key: str
    page_id: str
    author: Author
    content: Content
    decided_at: datetime
    recipient_id: str = ""
    comment_id: str = ""
    conversation_id: str = ""
    seller_id: str = ""
    in_reply_to_at: datetime | None = None
    pace: Pace = Pace.INSTANT
    thread_move: ThreadMove = ThreadMove.NONE
    thread_reason: str = ""
    agent_id: str = ""
    traceparent: str = ""

    @property
    def conversation_key(self) -> str:
        """The conversation's ordering key: its replies go out one after another."""
        return f"{self.page_id}:{self.recipient_id or 'comment:' + self.comment_id}"

    @property
    def private(self) -> bool:
        """A private reply to a Page comment."""
        return bool(self.comment_id) and not self.recipient_id


@dataclass(frozen=True)
class Window:
    """What delivery knows of a buyer's thread with a Page when it is about to send."""

    last_action_at: datetime | None = None
    last_message_at: datetime | None = None
    page_blocked: bool = False
    comment_at: datetime | None = None
    comment_answered: bool = False


@dataclass
class Progress:
    """How far a reply got: its stored state when handling starts, updated as it goes."""

    outcome: Outcome | None = None
    thread_done: bool = False
    parts_sent: int = 0
    message_ids: list[str] = field(default_factory=list)
    attempts: int = 0

    @property
    def message_final(self) -> bool:
        """Whether the message part needs no more work."""
        return self.outcome is not None and self.outcome.final
