"""Buyers acting: messages, taps, postbacks, referrals, reactions, attachments, comments."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from parley_emulator.context import Emulator
from parley_emulator.events import buyer_event
from parley_emulator.model import Buyer, Comment, Item, Thread
from parley_emulator.world import new_id, new_mid

REACTIONS = {"😆": "smile", "😮": "wow", "😢": "sad", "😠": "angry", "👍": "like", "❤": "love"}
ACTION_KINDS = (
    "text",
    "quick_reply",
    "postback",
    "referral",
    "reaction",
    "attachment",
    "attachments",
    "edit",
    "comment",
    "read",
)
REF_PATTERN = re.compile(r"[A-Za-z0-9_=-]{1,2083}")
ATTACHMENT_TYPES = frozenset({"image", "audio", "video", "file", "sticker", "fallback", "location"})
Built = tuple[Item, dict[str, Any], str]


class OperatorError(ValueError):
    """A bad operator request (answered 400), or a missing object (404)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _button_options(item: Item) -> list[dict[str, Any]]:
    payload = (item.payload or {}).get("payload") or {}
    buttons = list(payload.get("buttons") or [])
    for element in payload.get("elements") or []:
        buttons.extend(element.get("buttons") or [])
    return [button for button in buttons if button.get("type") == "postback"]


def _pick(options: list[Any], index: object, what: str) -> Any:
    if not isinstance(index, int) or not 1 <= index <= len(options):
        raise OperatorError(f"no {what} number {index!r} in the Page's last message")
    return options[index - 1]


class BuyerActions:
    """Turns operator requests into timeline items and signed webhooks."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.world = emu.world
        self._builders: dict[str, Callable[[Thread, Any, int], Built]] = {
            "text": self._text,
            "quick_reply": self._quick_reply,
            "postback": self._postback,
            "referral": self._referral,
            "reaction": self._reaction,
            "attachment": self._attachment,
            "attachments": self._attachment,
            "edit": self._edit,
        }

    def buyer(self, psid: str, body: dict[str, Any]) -> Buyer:
        """The buyer, created on first message when the body names a Page."""
        buyer = self.world.buyers.get(psid)
        page_id = body.get("page_id")
        if buyer is not None:
            if page_id and str(page_id) != buyer.page_id:
                raise OperatorError(f"buyer {psid} belongs to page {buyer.page_id}")
            return buyer
        if not page_id or str(page_id) not in self.world.pages:
            raise OperatorError(f"unknown buyer {psid}: give a known page_id to create one", 404)
        profile = {k: v for k, v in body.get("profile", {}).items()}
        return self.world.put_buyer({**profile, "psid": psid, "page_id": str(page_id)})

    def act(self, psid: str, body: dict[str, Any]) -> dict[str, Any]:
        """Perform one buyer action; return its mid, sequence number and time."""
        kinds = [kind for kind in ACTION_KINDS if kind in body]
        if len(kinds) != 1:
            raise OperatorError(f"give exactly one of: {', '.join(ACTION_KINDS)}")
        buyer = self.buyer(psid, body)
        thread = self.world.thread(buyer.page_id, buyer.psid)
        when = self._time(body)
        kind = kinds[0]
        if kind == "read":
            self.emu.receipts.read_now(thread)
            return {"psid": psid, "page_id": buyer.page_id, "timestamp": when}
        if kind == "comment":
            return self._comment(buyer, thread, body["comment"], when)
        item, event, field = self._builders[kind](thread, body[kind], when)
        if kind == "text" and body.get("reply_to"):
            event["message"]["reply_to"] = {"mid": str(body["reply_to"])}
        return self._deliver(thread, item, event, field)

    def _time(self, body: dict[str, Any]) -> int:
        if body.get("time") is not None:
            return int(body["time"])
        return self.world.now_ms() - int(float(body.get("seconds_ago", 0)) * 1000)

    def _deliver(
        self, thread: Thread, item: Item, event: dict[str, Any], field: str
    ) -> dict[str, Any]:
        thread.append(item)
        thread.last_action_ms = item.time
        self.world.dirty = True
        self.emu.router.thread_event(thread, field, event)
        return {
            "mid": item.mid,
            "seq": item.seq,
            "timestamp": item.time,
            "psid": thread.psid,
            "page_id": thread.page_id,
        }

    def _text(self, thread: Thread, text: Any, when: int) -> Built:
        if not isinstance(text, str) or not text:
            raise OperatorError("text must be a non-empty string")
        mid = new_mid()
        event = buyer_event(thread, when, message={"mid": mid, "text": text})
        return Item(0, "in", "text", when, mid=mid, text=text), event, "messages"

    def _quick_reply(self, thread: Thread, tap: Any, when: int) -> Built:
        if not isinstance(tap, dict):
            raise OperatorError("quick_reply must be {payload, title} or {index}")
        if "index" in tap:
            last = thread.last_out("quick_replies")
            tap = _pick(list(last.quick_replies) if last else [], tap["index"], "quick reply")
        title, payload = str(tap.get("title", "")), str(tap.get("payload", ""))
        mid = new_mid()
        message = {"mid": mid, "text": title, "quick_reply": {"payload": payload}}
        item = Item(0, "in", "quick_reply", when, mid=mid, text=title, payload=payload)
        return item, buyer_event(thread, when, message=message), "messages"

    def _postback(self, thread: Thread, postback: Any, when: int) -> Built:
        if not isinstance(postback, dict):
            raise OperatorError("postback must be an object")
        if "index" in postback:
            last = thread.last_out("payload")
            postback = _pick(_button_options(last) if last else [], postback["index"], "button")
        get_started = self.world.pages[thread.page_id].profile.get("get_started") or {}
        payload = str(postback.get("payload") or get_started.get("payload") or "GET_STARTED")
        title = str(postback.get("title") or "Get Started")
        mid = new_mid()
        body: dict[str, Any] = {"title": title, "payload": payload, "mid": mid}
        ref = None if postback.get("ref") is None else _ref(postback["ref"])
        if ref is not None:
            source = str(postback.get("source", "SHORTLINK"))
            body["referral"] = {"ref": str(ref), "source": source, "type": "OPEN_THREAD"}
        item = Item(
            0,
            "in",
            "postback",
            when,
            mid=mid,
            title=title,
            payload=payload,
            ref=None if ref is None else str(ref),
        )
        return item, buyer_event(thread, when, postback=body), "messaging_postbacks"

    def _referral(self, thread: Thread, referral: Any, when: int) -> Built:
        if not isinstance(referral, dict) or not referral.get("ref"):
            raise OperatorError("referral must be {ref, source?}")
        ref = _ref(referral["ref"])
        body = {
            "ref": ref,
            "source": str(referral.get("source", "SHORTLINK")),
            "type": "OPEN_THREAD",
        }
        item = Item(0, "in", "referral", when, ref=ref)
        return item, buyer_event(thread, when, referral=body), "messaging_referrals"

    def _reaction(self, thread: Thread, reaction: Any, when: int) -> Built:
        if not isinstance(reaction, dict):
            reaction = {"emoji": str(reaction)}
        last = thread.last_out()
        target = reaction.get("mid") or (last.mid if last is not None else None)
        if not target:
            raise OperatorError("nothing to react to: give reaction.mid")
        emoji = str(reaction.get("emoji", "❤"))
        name = str(reaction.get("reaction") or REACTIONS.get(emoji.rstrip("\ufe0f"), "other"))
        action = str(reaction.get("action", "react"))
        body = {"reaction": name, "emoji": emoji, "action": action, "mid": target}
        item = Item(0, "in", "reaction", when, mid=target, text=emoji, payload=body)
        return item, buyer_event(thread, when, reaction=body), "message_reactions"

    def _edit(self, thread: Thread, edit: Any, when: int) -> Built:
        if not isinstance(edit, dict) or not edit.get("text"):
            raise OperatorError("edit must be {text, mid?} (default: the buyer's last message)")
        mine = [i for i in thread.items if i.direction == "in" and i.kind == "text"]
        target = edit.get("mid") or (mine[-1].mid if mine else None)
        if not target:
            raise OperatorError("nothing to edit: the buyer has sent no text")
        edits = sum(1 for i in thread.items if i.kind == "edit" and i.mid == target) + 1
        text = str(edit["text"])
        body = {"mid": target, "text": text, "num_edit": edits}
        item = Item(0, "in", "edit", when, mid=str(target), text=text)
        return item, buyer_event(thread, when, message_edit=body), "message_edits"

    def _attachment(self, thread: Thread, attachments: Any, when: int) -> Built:
        items = attachments if isinstance(attachments, list) else [attachments]
        out = []
        for attachment in items:
            if not isinstance(attachment, dict) or attachment.get("type") not in ATTACHMENT_TYPES:
                raise OperatorError(f"attachment type must be one of {sorted(ATTACHMENT_TYPES)}")
            payload = attachment.get("payload") or {"url": attachment.get("url", "")}
            out.append({"type": attachment["type"], "payload": payload})
        mid = new_mid()
        event = buyer_event(thread, when, message={"mid": mid, "attachments": out})
        item = Item(0, "in", "attachment", when, mid=mid, payload=out)
        return item, event, "messages"

    def _comment(self, buyer: Buyer, thread: Thread, comment: Any, when: int) -> dict[str, Any]:
        if isinstance(comment, str):
            comment = {"message": comment}
        if not isinstance(comment, dict) or not comment.get("message"):
            raise OperatorError("comment must be {message, post_id?, parent_id?}")
        post_id = str(comment.get("post_id") or f"{buyer.page_id}_{new_id(16)}")
        record = Comment(
            id=f"{post_id.rsplit('_', 1)[-1]}_{new_id(16)}",
            page_id=buyer.page_id,
            post_id=post_id,
            parent_id=str(comment.get("parent_id") or post_id),
            psid=buyer.psid,
            message=str(comment["message"]),
            created_ms=when,
        )
        self.world.comments[record.id] = record
        thread.append(Item(0, "in", "comment", when, text=record.message, comment_id=record.id))
        thread.last_action_ms = when
        self.world.dirty = True
        self.emu.router.feed_change(buyer.page_id, _feed_value(record, buyer))
        return {
            "comment_id": record.id,
            "post_id": post_id,
            "psid": buyer.psid,
            "page_id": buyer.page_id,
            "timestamp": when,
            "seq": len(thread.items),
        }


def _ref(value: object) -> str:
    # m.me refs: at most 2083 characters of A-Z a-z 0-9 - _ = (MESSENGER.md).
    ref = str(value)
    if not REF_PATTERN.fullmatch(ref):
        raise OperatorError("ref must be 1-2083 characters of A-Z a-z 0-9 - _ =")
    return ref


def _feed_value(comment: Comment, buyer: Buyer) -> dict[str, Any]:
    return {
        "item": "comment",
        "verb": "add",
        "comment_id": comment.id,
        "post_id": comment.post_id,
        "parent_id": comment.parent_id,
        "from": {"id": buyer.psid, "name": buyer.name},
        "message": comment.message,
        "created_time": comment.created_ms // 1000,
    }
