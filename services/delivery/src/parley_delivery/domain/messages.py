"""Send API bodies (MESSENGER.md): text, quick replies, button and generic templates,
attachments by URL, sender actions and private replies, within Meta's limits."""

from __future__ import annotations

from typing import Any

from parley_delivery.domain.model import Button, Content, QuickReply
from parley_delivery.domain.splitting import TEXT_LIMIT, split_text
from parley_delivery.domain.window import Permit

QUICK_REPLIES_MAX = 13
QUICK_REPLY_TITLE_MAX = 20
PAYLOAD_MAX = 1000
BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_TEXT_MAX = 640
ELEMENT_TEXT_MAX = 80
METADATA_MAX = 1000
# Our own sends carry `parley:<idempotency key>:<part>` in metadata: their echoes tell delivery
# that a send whose answer was lost did go out.
METADATA_PREFIX = "parley:"
TYPING_ON = "typing_on"
MARK_SEEN = "mark_seen"

Message = dict[str, Any]


class InvalidContent(ValueError):
    """The reply cannot be sent as given (Meta would refuse it with code 100)."""


def build_parts(content: Content, limit: int = TEXT_LIMIT) -> list[Message]:
    """The Send API `message` objects of a reply, in order (a long text becomes several)."""
    _check_quick_replies(content.quick_replies)
    texts = split_text(content.text, limit)
    if content.buttons:
        _check_buttons(content.buttons)
        parts = _with_buttons(content, texts)
    else:
        parts = [{"text": text} for text in texts]
        if content.attachment_url:
            parts.append(_attachment(content))
    if not parts:
        raise InvalidContent("the reply has neither text nor attachment")
    if content.quick_replies:
        parts[-1]["quick_replies"] = [_quick_reply(reply) for reply in content.quick_replies]
    return parts


def metadata_for(key: str, part: int, extra: str = "") -> str:
    """The metadata a part carries (it comes back on the echo)."""
    own = f"{METADATA_PREFIX}{key}:{part}"
    return own if not extra else f"{own}|{extra}"[:METADATA_MAX]


def parse_metadata(metadata: str) -> tuple[str, int] | None:
    """(idempotency key, part) of one of our own sends' metadata, else None."""
    if not metadata.startswith(METADATA_PREFIX):
        return None
    own = metadata[len(METADATA_PREFIX) :].split("|", 1)[0]
    key, sep, part = own.rpartition(":")
    if not sep or not key or not part.isdigit():
        return None
    return key, int(part)


def send_body(
    message: Message, permit: Permit, *, recipient_id: str = "", comment_id: str = ""
) -> Message:
    """The full body: recipient (a PSID, or a comment for a private reply), type, tag."""
    recipient = {"comment_id": comment_id} if comment_id else {"id": recipient_id}
    body: Message = {"recipient": recipient, "message": message}
    if permit.messaging_type:
        body["messaging_type"] = permit.messaging_type
    if permit.tag:
        body["tag"] = permit.tag
    return body


def sender_action_body(recipient_id: str, action: str) -> Message:
    """A sender action goes alone, without a message."""
    return {"recipient": {"id": recipient_id}, "sender_action": action}


def kind_of(message: Message) -> str:
    """text, attachment or template (as the outbound log records it)."""
    attachment = message.get("attachment")
    if attachment is None:
        return "text"
    return "template" if attachment.get("type") == "template" else "attachment"


def _with_buttons(content: Content, texts: list[str]) -> list[Message]:
    buttons = [_button(button) for button in content.buttons]
    if content.attachment_url:
        return _card(content, texts, buttons)
    if not texts:
        raise InvalidContent("a button template needs text")
    last = texts.pop()
    if len(last) > BUTTON_TEXT_MAX:
        *head, last = split_text(last, BUTTON_TEXT_MAX)
        texts.extend(head)
    template = {"template_type": "button", "text": last, "buttons": buttons}
    return [{"text": text} for text in texts] + [_template(template)]


def _card(content: Content, texts: list[str], buttons: list[Message]) -> list[Message]:
    """A generic template element: image, title (and subtitle), buttons."""
    whole = " ".join(texts)
    if not whole:
        raise InvalidContent("a card (image with buttons) needs text for its title")
    title, subtitle, before = whole, "", []
    if len(whole) > ELEMENT_TEXT_MAX:
        title, subtitle = _title_and_rest(whole)
        if len(subtitle) > ELEMENT_TEXT_MAX:
            # Too long for a card: the text goes first, the card repeats its opening.
            subtitle, before = "", texts
    element: Message = {"title": title, "image_url": content.attachment_url}
    if subtitle:
        element["subtitle"] = subtitle
    element["buttons"] = buttons
    card = _template({"template_type": "generic", "elements": [element]})
    return [{"text": text} for text in before] + [card]


def _title_and_rest(text: str) -> tuple[str, str]:
    """The longest word-boundary prefix within the element limit, and the rest."""
    head = split_text(text, ELEMENT_TEXT_MAX)[0]
    return head, text[len(head) :].strip()


def _template(payload: Message) -> Message:
    return {"attachment": {"type": "template", "payload": payload}}


def _attachment(content: Content) -> Message:
    payload = {"url": content.attachment_url, "is_reusable": True}
    return {"attachment": {"type": content.attachment_kind.value, "payload": payload}}


def _button(button: Button) -> Message:
    if button.url:
        return {"type": "web_url", "url": button.url, "title": button.title}
    return {"type": "postback", "title": button.title, "payload": button.payload}


def _quick_reply(reply: QuickReply) -> Message:
    return {"content_type": "text", "title": reply.title, "payload": reply.payload}


def _check_quick_replies(replies: tuple[QuickReply, ...]) -> None:
    if len(replies) > QUICK_REPLIES_MAX:
        raise InvalidContent(f"at most {QUICK_REPLIES_MAX} quick replies")
    for reply in replies:
        _check_title(reply.title, QUICK_REPLY_TITLE_MAX, "quick reply")
        _check_payload(reply.payload, "quick reply")


def _check_buttons(buttons: tuple[Button, ...]) -> None:
    if len(buttons) > BUTTONS_MAX:
        raise InvalidContent(f"at most {BUTTONS_MAX} buttons")
    for button in buttons:
        _check_title(button.title, BUTTON_TITLE_MAX, "button")
        if not button.url:
            _check_payload(button.payload, "button")


def _check_title(title: str, limit: int, what: str) -> None:
    if not title.strip() or len(title) > limit:
        raise InvalidContent(f"a {what} title needs 1 to {limit} characters: {title!r}")


def _check_payload(payload: str, what: str) -> None:
    if not payload or len(payload) > PAYLOAD_MAX:
        raise InvalidContent(f"a {what} payload needs 1 to {PAYLOAD_MAX} characters")
