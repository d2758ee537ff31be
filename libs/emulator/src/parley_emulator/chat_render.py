"""How the terminal chat shows timeline items and reads /commands (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parley_emulator.model import PAGE_INBOX_APP_ID

HELP = """commands:
  /qr N              tap quick reply N of the Page's last message
  /b N               tap button N of the Page's last template
  /start [REF]       tap Get Started (REF: as if opened from an m.me link)
  /postback PAYLOAD  send a postback with this payload
  /ref REF           open the chat again from an m.me link with REF
  /react [EMOJI]     react to the Page's last message (default ❤)
  /image URL         send an image
  /comment TEXT      comment on the Page's post (the Page may answer privately)
  /read              mark the Page's messages as read
  /help              this list
  /quit              leave"""


@dataclass(frozen=True, slots=True)
class Command:
    """What an input line asks for: a buyer action, a message to show, or leaving."""

    action: dict[str, Any] | None = None
    message: str | None = None
    quit: bool = False


class Renderer:
    """Turns timeline items into lines, naming the Page."""

    def __init__(self, page_name: str) -> None:
        self.page_name = page_name

    def render(self, item: dict[str, Any], history: bool = False) -> list[str]:
        """Lines for one item; the buyer's own items only in history."""
        direction = item.get("direction")
        if direction == "in":
            return [f"you: {_describe_in(item)}"] if history else []
        if direction == "control":
            return self._control(item)
        if item.get("kind") == "sender_action":
            return self._action(item.get("sender_action"))
        who = self.page_name
        if item.get("app_id") == PAGE_INBOX_APP_ID:
            who = f"{self.page_name} (a person, from the Page Inbox)"
        first, *rest = _describe_out(item)
        lines = [f"{who}: {first.strip()}", *rest]
        replies = item.get("quick_replies") or []
        if replies:
            choices = "  ".join(
                f"[{n}] {r.get('title') or r.get('content_type')}" for n, r in enumerate(replies, 1)
            )
            lines.append(f"    {choices}    (tap with /qr N)")
        return lines

    def _action(self, action: object) -> list[str]:
        if action == "typing_on":
            return [f"… {self.page_name} is typing"]
        if action == "mark_seen":
            return [f"✓ {self.page_name} has seen your message"]
        return []

    def _control(self, item: dict[str, Any]) -> list[str]:
        if item.get("kind") == "request_thread_control":
            return []
        if item.get("target_app_id") == PAGE_INBOX_APP_ID:
            return [f"— a person at {self.page_name} takes over the conversation —"]
        if item.get("app_id") == PAGE_INBOX_APP_ID:
            return [f"— {self.page_name}'s assistant is back —"]
        return []


def _describe_in(item: dict[str, Any]) -> str:
    kind = item.get("kind")
    if kind == "postback":
        return f"[tapped {item.get('title')!r}]"
    if kind == "reaction":
        return f"[reacted {item.get('text')}]"
    if kind == "referral":
        return f"[opened from m.me link ref={item.get('ref')}]"
    if kind == "attachment":
        return "[sent an attachment]"
    if kind == "comment":
        return f"[commented] {item.get('text')}"
    return str(item.get("text"))


def _describe_out(item: dict[str, Any]) -> list[str]:
    if item.get("text") is not None:
        return [str(item["text"])]
    attachment = item.get("payload") or {}
    payload = attachment.get("payload") or {}
    if attachment.get("type") != "template":
        return [f"[{attachment.get('type')}] {payload.get('url', '')}".rstrip()]
    lines = [str(payload["text"])] if payload.get("text") else []
    number = 0
    elements = payload.get("elements") or [{"buttons": payload.get("buttons") or []}]
    for element in elements:
        if element.get("title"):
            subtitle = f" — {element['subtitle']}" if element.get("subtitle") else ""
            lines.append(f"  • {element['title']}{subtitle}")
        for button in element.get("buttons") or []:
            if button.get("type") == "postback":
                number += 1
                lines.append(f"    [{number}] {button.get('title')}    (tap with /b {number})")
            else:
                lines.append(f"    ({button.get('title')}: {button.get('url', '')})")
    return lines or ["[template]"]


def _index(argument: str, usage: str) -> dict[str, Any] | Command:
    if not argument.isdigit():
        return Command(message=f"usage: {usage}")
    return {"index": int(argument)}


def parse_command(line: str) -> Command:
    """A buyer action (or help, or quit) from one input line."""
    if not line:
        return Command()
    if not line.startswith("/"):
        return Command(action={"text": line})
    name, _, argument = line[1:].partition(" ")
    argument = argument.strip()
    if name in {"quit", "exit", "q"}:
        return Command(quit=True)
    if name in {"qr", "b"}:
        picked = _index(argument, f"/{name} N")
        if isinstance(picked, Command):
            return picked
        key = "quick_reply" if name == "qr" else "postback"
        return Command(action={key: picked})
    return _simple(name, argument)


def _simple(name: str, argument: str) -> Command:
    builders: dict[str, Any] = {
        "start": lambda a: {"postback": {"title": "Get Started", **({"ref": a} if a else {})}},
        "postback": lambda a: {"postback": {"payload": a.split(" ", 1)[0], "title": a}},
        "ref": lambda a: {"referral": {"ref": a}},
        "react": lambda a: {"reaction": {"emoji": a or "❤"}},
        "image": lambda a: {"attachment": {"type": "image", "url": a}},
        "comment": lambda a: {"comment": {"message": a}},
        "read": lambda a: {"read": {}},
    }
    needs_argument = {"postback", "ref", "image", "comment"}
    if name == "help":
        return Command(message=HELP)
    if name not in builders:
        return Command(message=f"unknown command /{name}; /help lists them")
    if name in needs_argument and not argument:
        return Command(message=f"/{name} needs an argument; /help shows how")
    return Command(action=builders[name](argument))
