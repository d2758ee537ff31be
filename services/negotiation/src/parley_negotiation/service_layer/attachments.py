"""What a message's attachments mean to the engine, and how the transcript shows them."""

from __future__ import annotations

from collections.abc import Sequence

from parley.events.v1 import inbound_pb2 as inbound
from parley_negotiation.domain.reading import Attachment

# The thumbs-up sticker in its three sizes: a "yes".
LIKE_STICKERS = frozenset({"369239263222822", "369239343222814", "369239383222810"})

_KINDS = {
    inbound.ATTACHMENT_TYPE_IMAGE: Attachment.IMAGE,
    inbound.ATTACHMENT_TYPE_AUDIO: Attachment.AUDIO,
    inbound.ATTACHMENT_TYPE_VIDEO: Attachment.VIDEO,
    inbound.ATTACHMENT_TYPE_FILE: Attachment.FILE,
    inbound.ATTACHMENT_TYPE_LOCATION: Attachment.LOCATION,
    inbound.ATTACHMENT_TYPE_STICKER: Attachment.STICKER,
}


def kind_of(attachments: Sequence[inbound.Attachment]) -> Attachment:
    """The first attachment's meaning; a like sticker is LIKE."""
    if not attachments:
        return Attachment.NONE
    first = attachments[0]
    if first.sticker_id in LIKE_STICKERS:
        return Attachment.LIKE
    if first.sticker_id:
        return Attachment.STICKER
    return _KINDS.get(first.type, Attachment.NONE)


def describe(attachments: Sequence[inbound.Attachment]) -> str:
    """A transcript line for a message without text: "[image] https://..." per attachment."""
    parts = []
    for item in attachments:
        kind = kind_of([item])
        label = "like" if kind is Attachment.LIKE else (item.type_name or kind.value)
        parts.append(f"[{label}] {item.url}".strip())
    return " ".join(parts)
