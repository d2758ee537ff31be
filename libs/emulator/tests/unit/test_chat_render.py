"""The chat's commands and how it shows the Page's side."""

from __future__ import annotations

import pytest

from parley_emulator.chat_render import Renderer, parse_command
from parley_emulator.model import PAGE_INBOX_APP_ID


@pytest.mark.parametrize(
    ("line", "action"),
    [
        ("hello", {"text": "hello"}),
        ("/qr 2", {"quick_reply": {"index": 2}}),
        ("/b 1", {"postback": {"index": 1}}),
        ("/start", {"postback": {"title": "Get Started"}}),
        ("/start summer", {"postback": {"title": "Get Started", "ref": "summer"}}),
        ("/postback BUY now", {"postback": {"payload": "BUY", "title": "BUY now"}}),
        ("/ref ad-7", {"referral": {"ref": "ad-7"}}),
        ("/react", {"reaction": {"emoji": "❤"}}),
        ("/image https://x/y.png", {"attachment": {"type": "image", "url": "https://x/y.png"}}),
        ("/comment price?", {"comment": {"message": "price?"}}),
        ("/read", {"read": {}}),
    ],
)
def test_lines_become_buyer_actions(line: str, action: dict[str, object]) -> None:
    assert parse_command(line).action == action


@pytest.mark.parametrize("line", ["/qr", "/qr two", "/image", "/what"])
def test_bad_commands_explain_themselves(line: str) -> None:
    command = parse_command(line)
    assert command.action is None and command.message


def test_quit_and_help() -> None:
    assert parse_command("/quit").quit and parse_command("/exit").quit
    assert "commands:" in (parse_command("/help").message or "")


def test_page_messages_show_numbered_quick_replies_and_typing() -> None:
    renderer = Renderer("Dana's Bikes")
    lines = renderer.render(
        {
            "direction": "out",
            "kind": "text",
            "text": "Size?",
            "quick_replies": [{"title": "M"}, {"title": "L"}],
        }
    )
    assert lines[0] == "Dana's Bikes: Size?" and "[1] M  [2] L" in lines[1]
    typing = {"direction": "out", "kind": "sender_action", "sender_action": "typing_on"}
    assert renderer.render(typing) == ["… Dana's Bikes is typing"]
    human = {"direction": "out", "kind": "text", "text": "Hi", "app_id": PAGE_INBOX_APP_ID}
    assert "from the Page Inbox" in renderer.render(human)[0]


def test_the_buyers_own_items_show_only_in_history() -> None:
    mine = {"direction": "in", "kind": "text", "text": "hello"}
    assert Renderer("P").render(mine) == []
    assert Renderer("P").render(mine, history=True) == ["you: hello"]
