"""Send API bodies: text, quick replies, templates, attachments, sender actions, private replies."""

from __future__ import annotations

import pytest

from parley_delivery.domain.messages import (
    InvalidContent,
    build_parts,
    kind_of,
    metadata_for,
    parse_metadata,
    send_body,
    sender_action_body,
)
from parley_delivery.domain.model import AttachmentKind, Button, Content, QuickReply
from parley_delivery.domain.window import Permit


def test_quick_replies_ride_on_the_last_part_of_a_long_text() -> None:
    content = Content(text="One. " * 30, quick_replies=(QuickReply("Yes", "ACCEPT:8500"),))
    parts = build_parts(content, limit=50)
    assert len(parts) > 1
    assert all("quick_replies" not in part for part in parts[:-1])
    assert parts[-1]["quick_replies"] == [
        {"content_type": "text", "title": "Yes", "payload": "ACCEPT:8500"}
    ]


def test_buttons_make_a_button_template_after_any_leading_text() -> None:
    content = Content(text="Hello. " * 200, buttons=(Button("Book", payload="BOOK_VIEWING"),))
    parts = build_parts(content)
    template = parts[-1]["attachment"]["payload"]
    assert template["template_type"] == "button" and len(template["text"]) <= 640
    assert template["buttons"] == [{"type": "postback", "title": "Book", "payload": "BOOK_VIEWING"}]
    assert all(kind_of(p) == "text" for p in parts[:-1]) and kind_of(parts[-1]) == "template"


def test_an_image_with_buttons_is_a_generic_template_card() -> None:
    content = Content(
        text="2015 Corolla, 120,000 km",
        attachment_url="https://cdn.example/corolla.jpg",
        buttons=(Button("Details", url="https://example.com/c"), Button("Offer", "MAKE_OFFER")),
    )
    (card,) = build_parts(content)
    element = card["attachment"]["payload"]["elements"][0]
    assert card["attachment"]["payload"]["template_type"] == "generic"
    assert element["title"] == "2015 Corolla, 120,000 km"
    assert element["image_url"] == "https://cdn.example/corolla.jpg"
    assert element["buttons"][0] == {
        "type": "web_url",
        "url": "https://example.com/c",
        "title": "Details",
    }


def test_a_card_text_too_long_for_title_and_subtitle_goes_first() -> None:
    content = Content(
        text="word " * 60, attachment_url="https://x/i.jpg", buttons=(Button("Ok", "OK"),)
    )
    parts = build_parts(content)
    assert kind_of(parts[0]) == "text" and kind_of(parts[-1]) == "template"
    assert len(parts[-1]["attachment"]["payload"]["elements"][0]["title"]) <= 80


def test_an_attachment_by_url_follows_the_text() -> None:
    content = Content(
        text="Here it is", attachment_url="https://x/a.pdf", attachment_kind=AttachmentKind.FILE
    )
    parts = build_parts(content)
    assert parts == [
        {"text": "Here it is"},
        {
            "attachment": {
                "type": "file",
                "payload": {"url": "https://x/a.pdf", "is_reusable": True},
            }
        },
    ]


@pytest.mark.parametrize(
    "content",
    [
        Content(),
        Content(text="x", quick_replies=tuple(QuickReply(f"q{i}", "P") for i in range(14))),
        Content(text="x", quick_replies=(QuickReply("a title far too long!", "P"),)),
        Content(text="x", buttons=tuple(Button(f"b{i}", "P") for i in range(4))),
        Content(buttons=(Button("b", "P"),)),
        Content(text="x", buttons=(Button("b", ""),)),
    ],
)
def test_content_meta_would_refuse_is_refused_before_any_call(content: Content) -> None:
    with pytest.raises(InvalidContent):
        build_parts(content)


def test_metadata_names_the_reply_and_part_and_survives_the_echo() -> None:
    metadata = metadata_for("key:with:colons", 2, "negotiation's own")
    assert parse_metadata(metadata) == ("key:with:colons", 2)
    assert parse_metadata("something else") is None
    assert parse_metadata("parley:nopart") is None
    assert len(metadata_for("k", 0, "x" * 5000)) == 1000


def test_bodies_carry_type_and_tag_and_private_replies_address_the_comment() -> None:
    tagged = send_body({"text": "hi"}, Permit("MESSAGE_TAG", "HUMAN_AGENT"), recipient_id="p")
    assert tagged == {
        "recipient": {"id": "p"},
        "message": {"text": "hi"},
        "messaging_type": "MESSAGE_TAG",
        "tag": "HUMAN_AGENT",
    }
    private = send_body({"text": "hi"}, Permit(""), comment_id="c1")
    assert private == {"recipient": {"comment_id": "c1"}, "message": {"text": "hi"}}
    assert sender_action_body("p", "typing_on") == {
        "recipient": {"id": "p"},
        "sender_action": "typing_on",
    }
