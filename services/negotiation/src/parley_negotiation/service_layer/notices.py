"""Fixed texts the service says outside a negotiation turn, in each language."""

from __future__ import annotations

_RESUMED = {
    "en": "Hi again! You're chatting with the seller's automated assistant once more. "
    "Ask me anything about the item, or type 'person' to reach the seller.",
    "th": "สวัสดีอีกครั้งครับ ตอนนี้ผู้ช่วยอัตโนมัติของผู้ขายกลับมาดูแลแล้วครับ "
    "สอบถามเรื่องสินค้าได้เลย หรือพิมพ์ 'คุยกับคน' เพื่อคุยกับผู้ขายครับ",
}

_COMMENT_INVITE = {
    "en": "Thanks for your interest in {title}! It's still available. "
    "Message us here and we'll answer right away: {link}",
    "th": "ขอบคุณที่สนใจ {title} ครับ ยังมีอยู่ครับ ทักแชทมาได้เลย ตอบทันทีครับ: {link}",
}


def resumed_text(language: str) -> str:
    """The bot says it answers again, and that it is automated."""
    return _RESUMED.get(language, _RESUMED["en"])


def comment_invite(language: str, title: str, link: str) -> str:
    """A private reply to a comment about a listing, inviting the person to chat."""
    template = _COMMENT_INVITE.get(language, _COMMENT_INVITE["en"])
    return template.format(title=title[:200], link=link)
