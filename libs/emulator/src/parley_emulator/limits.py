"""Send API limits from MESSENGER.md: a pure check of a request body, raising code 100."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from parley_emulator.errors import param_error, too_long, too_many

TEXT_MAX = 2000
QUICK_REPLIES_MAX = 13
QUICK_REPLY_TITLE_MAX = 20
PAYLOAD_MAX = 1000
BUTTON_TITLE_MAX = 20
BUTTON_TEXT_MAX = 640
BUTTONS_MAX = 3
ELEMENTS_MAX = 10
ELEMENT_TEXT_MAX = 80
METADATA_MAX = 1000

MESSAGING_TYPES = frozenset({"RESPONSE", "UPDATE", "MESSAGE_TAG", "UTILITY"})
SENDER_ACTIONS = frozenset({"typing_on", "typing_off", "mark_seen"})
MEDIA_TYPES = frozenset({"image", "audio", "video", "file"})
QUICK_REPLY_TYPES = frozenset({"text", "user_phone_number", "user_email"})


@dataclass(frozen=True, slots=True)
class SendRequest:
    """A Send API body that passed the limits, reduced to what the emulator records."""

    psid: str | None
    comment_id: str | None
    messaging_type: str | None
    tag: str | None
    sender_action: str | None
    kind: str
    text: str | None
    attachment: Mapping[str, Any] | None
    quick_replies: Sequence[Mapping[str, Any]] | None
    metadata: str | None


def validate_send(body: Mapping[str, Any]) -> SendRequest:
    """Check a Send API body against Meta's limits; raise GraphError code 100 when violated."""
    psid, comment_id = _recipient(body.get("recipient"))
    action = body.get("sender_action")
    message = body.get("message")
    if action is not None:
        return _sender_action(psid, comment_id, action, message)
    if not isinstance(message, Mapping):
        raise param_error("Must send either message or sender_action")
    messaging_type = _messaging_type(body.get("messaging_type"), comment_id is not None)
    tag = body.get("tag")
    if tag is not None and not isinstance(tag, str):
        raise param_error("param tag must be a string")
    kind, text, attachment = _content(message)
    return SendRequest(
        psid=psid,
        comment_id=comment_id,
        messaging_type=messaging_type,
        tag=tag,
        sender_action=None,
        kind=kind,
        text=text,
        attachment=attachment,
        quick_replies=_quick_replies(message.get("quick_replies")),
        metadata=_metadata(message.get("metadata")),
    )


def _recipient(recipient: object) -> tuple[str | None, str | None]:
    if not isinstance(recipient, Mapping):
        raise param_error("The parameter recipient is required")
    psid = recipient.get("id")
    comment_id = recipient.get("comment_id")
    if (psid is None) == (comment_id is None):
        raise param_error("param recipient must have exactly one of id or comment_id")
    value = psid if psid is not None else comment_id
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value):
        raise param_error('param recipient[id] must be a valid ID string (e.g. "123")')
    return (str(psid) if psid is not None else None, str(comment_id) if comment_id else None)


def _sender_action(
    psid: str | None, comment_id: str | None, action: object, message: object
) -> SendRequest:
    if message is not None:
        raise param_error("Cannot send both message and sender_action")
    if action not in SENDER_ACTIONS or not isinstance(action, str):
        raise param_error(f"param sender_action must be one of {sorted(SENDER_ACTIONS)}")
    if psid is None:
        raise param_error("sender_action requires recipient[id]")
    return SendRequest(
        psid=psid,
        comment_id=comment_id,
        messaging_type=None,
        tag=None,
        sender_action=action,
        kind="sender_action",
        text=None,
        attachment=None,
        quick_replies=None,
        metadata=None,
    )


def _messaging_type(value: object, private_reply: bool) -> str | None:
    if value is None and private_reply:
        return None
    if value is None:
        raise param_error("The parameter messaging_type is required")
    if value not in MESSAGING_TYPES or not isinstance(value, str):
        raise param_error(f"param messaging_type must be one of {sorted(MESSAGING_TYPES)}")
    return value


def _content(message: Mapping[str, Any]) -> tuple[str, str | None, Mapping[str, Any] | None]:
    text = message.get("text")
    attachment = message.get("attachment")
    if text is not None and attachment is not None:
        raise param_error("Only one of message[text] or message[attachment] can be specified")
    if text is not None:
        if not isinstance(text, str) or not text:
            raise param_error("param message[text] must be a non-empty UTF-8 string")
        if len(text) > TEXT_MAX:
            raise too_long("message[text]", TEXT_MAX)
        return "text", text, None
    if not isinstance(attachment, Mapping):
        raise param_error("Must send either message[text] or message[attachment]")
    return _attachment(attachment), None, attachment


def _attachment(attachment: Mapping[str, Any]) -> str:
    kind = attachment.get("type")
    payload = attachment.get("payload")
    if not isinstance(payload, Mapping):
        raise param_error("param message[attachment][payload] is required")
    if kind in MEDIA_TYPES:
        if not payload.get("url") and not payload.get("attachment_id"):
            raise param_error("param message[attachment][payload] needs url or attachment_id")
        return "attachment"
    if kind == "template":
        _template(payload)
        return "template"
    raise param_error(
        "param message[attachment][type] must be one of image, audio, video, file, template"
    )


def _template(payload: Mapping[str, Any]) -> None:
    template_type = payload.get("template_type")
    if template_type == "button":
        _button_template(payload)
    elif template_type == "generic":
        _generic_template(payload)
    elif not isinstance(template_type, str):
        raise param_error("param message[attachment][payload][template_type] is required")


def _button_template(payload: Mapping[str, Any]) -> None:
    text = payload.get("text")
    if not isinstance(text, str) or not text:
        raise param_error("param message[attachment][payload][text] is required")
    if len(text) > BUTTON_TEXT_MAX:
        raise too_long("message[attachment][payload][text]", BUTTON_TEXT_MAX)
    buttons = payload.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        raise param_error("param message[attachment][payload][buttons] must have 1 to 3 items")
    _buttons(buttons, "message[attachment][payload][buttons]")


def _generic_template(payload: Mapping[str, Any]) -> None:
    elements = payload.get("elements")
    if not isinstance(elements, list) or not elements:
        raise param_error("param message[attachment][payload][elements] is required")
    if len(elements) > ELEMENTS_MAX:
        raise too_many("message[attachment][payload][elements]", ELEMENTS_MAX)
    for index, element in enumerate(elements):
        _element(element, f"message[attachment][payload][elements][{index}]")


def _element(element: object, where: str) -> None:
    if not isinstance(element, Mapping):
        raise param_error(f"param {where} must be an object")
    title = element.get("title")
    if not isinstance(title, str) or not title:
        raise param_error(f"param {where}[title] is required")
    if len(title) > ELEMENT_TEXT_MAX:
        raise too_long(f"{where}[title]", ELEMENT_TEXT_MAX)
    subtitle = element.get("subtitle")
    if isinstance(subtitle, str) and len(subtitle) > ELEMENT_TEXT_MAX:
        raise too_long(f"{where}[subtitle]", ELEMENT_TEXT_MAX)
    buttons = element.get("buttons")
    if buttons is not None:
        if not isinstance(buttons, list):
            raise param_error(f"param {where}[buttons] must be a list")
        _buttons(buttons, f"{where}[buttons]")


def _buttons(buttons: list[Any], where: str) -> None:
    if len(buttons) > BUTTONS_MAX:
        raise too_many(where, BUTTONS_MAX)
    for index, button in enumerate(buttons):
        _button(button, f"{where}[{index}]")


def _button(button: object, where: str) -> None:
    if not isinstance(button, Mapping):
        raise param_error(f"param {where} must be an object")
    title = button.get("title")
    kind = button.get("type")
    if not isinstance(title, str) or not title:
        raise param_error(f"param {where}[title] is required")
    if len(title) > BUTTON_TITLE_MAX:
        raise too_long(f"{where}[title]", BUTTON_TITLE_MAX)
    if kind == "web_url" and not button.get("url"):
        raise param_error(f"param {where}[url] is required")
    if kind in {"postback", "phone_number"}:
        _payload(button.get("payload"), f"{where}[payload]")
    elif kind not in {"web_url", "account_link", "account_unlink", "game_play"}:
        raise param_error(f"param {where}[type] is not a supported button type")


def _payload(payload: object, where: str) -> None:
    if not isinstance(payload, str) or not payload:
        raise param_error(f"param {where} is required")
    if len(payload) > PAYLOAD_MAX:
        raise too_long(where, PAYLOAD_MAX)


def _quick_replies(replies: object) -> Sequence[Mapping[str, Any]] | None:
    if replies is None:
        return None
    if not isinstance(replies, list) or not replies:
        raise param_error("param message[quick_replies] must be a non-empty list")
    if len(replies) > QUICK_REPLIES_MAX:
        raise too_many("message[quick_replies]", QUICK_REPLIES_MAX)
    for index, reply in enumerate(replies):
        _quick_reply(reply, f"message[quick_replies][{index}]")
    return replies


def _quick_reply(reply: object, where: str) -> None:
    if not isinstance(reply, Mapping):
        raise param_error(f"param {where} must be an object")
    content_type = reply.get("content_type", "text")
    if content_type not in QUICK_REPLY_TYPES:
        raise param_error(f"param {where}[content_type] must be one of {sorted(QUICK_REPLY_TYPES)}")
    if content_type != "text":
        return
    title = reply.get("title")
    if not isinstance(title, str) or not title:
        raise param_error(f"param {where}[title] is required")
    if len(title) > QUICK_REPLY_TITLE_MAX:
        raise too_long(f"{where}[title]", QUICK_REPLY_TITLE_MAX)
    _payload(reply.get("payload"), f"{where}[payload]")


def _metadata(metadata: object) -> str | None:
    if metadata is None:
        return None
    if not isinstance(metadata, str):
        raise param_error("param message[metadata] must be a string")
    if len(metadata) > METADATA_MAX:
        raise too_long("message[metadata]", METADATA_MAX)
    return metadata
