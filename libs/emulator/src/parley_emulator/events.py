"""Webhook events: how each is built and which app receives it on which channel."""

from __future__ import annotations

import asyncio
from typing import Any

from parley_emulator.model import Item, Thread
from parley_emulator.webhooks import WebhookDispatcher
from parley_emulator.world import World


def buyer_event(thread: Thread, timestamp: int, **body: Any) -> dict[str, Any]:
    """An event from the buyer to the Page."""
    return {
        "sender": {"id": thread.psid},
        "recipient": {"id": thread.page_id},
        "timestamp": timestamp,
        **body,
    }


def echo_event(thread: Thread, item: Item) -> dict[str, Any]:
    """The echo of a message the Page sent (by an app or from the Page Inbox)."""
    message: dict[str, Any] = {"mid": item.mid, "is_echo": True, "app_id": int(item.app_id or 0)}
    if item.metadata is not None:
        message["metadata"] = item.metadata
    if item.text is not None:
        message["text"] = item.text
    if item.payload is not None:
        attachment = item.payload
        message["attachments"] = [
            {"type": attachment.get("type"), "payload": attachment.get("payload")}
        ]
    if item.quick_replies is not None:
        message["quick_replies"] = item.quick_replies
    return {
        "sender": {"id": thread.page_id},
        "recipient": {"id": thread.psid},
        "timestamp": item.time,
        "message": message,
    }


def _standby_copy(event: dict[str, Any]) -> dict[str, Any]:
    # On the standby channel postbacks carry no payload (Meta's Handover Protocol).
    postback = event.get("postback")
    if postback is None:
        return event
    return {**event, "postback": {k: v for k, v in postback.items() if k != "payload"}}


class EventRouter:
    """Sends events to the apps subscribed to a Page, following thread control."""

    def __init__(self, world: World, dispatcher: WebhookDispatcher) -> None:
        self.world = world
        self.dispatcher = dispatcher

    def _receivers(self, page_id: str) -> list[tuple[str, list[str]]]:
        page = self.world.pages[page_id]
        out = []
        for app_id, subscribed in page.subscriptions.items():
            app = self.world.apps.get(app_id)
            if app is not None and app.callback_url:
                out.append((app_id, subscribed))
        return out

    def thread_event(self, thread: Thread, field: str, event: dict[str, Any]) -> None:
        """The owner gets `messaging` (if subscribed to `field`), the others `standby`."""
        owner = self.world.owner(thread)
        for app_id, subscribed in self._receivers(thread.page_id):
            if app_id == owner:
                if field in subscribed:
                    self.dispatcher.enqueue(app_id, thread.page_id, "messaging", event)
            elif "standby" in subscribed:
                self.dispatcher.enqueue(app_id, thread.page_id, "standby", _standby_copy(event))

    def app_event(self, app_id: str, page_id: str, field: str, event: dict[str, Any]) -> None:
        """A routing event for one app, on `messaging`, if it subscribed to `field`."""
        for receiver, subscribed in self._receivers(page_id):
            if receiver == app_id and field in subscribed:
                self.dispatcher.enqueue(app_id, page_id, "messaging", event)

    def feed_change(self, page_id: str, value: dict[str, Any]) -> None:
        """A Page feed change (a comment) for every app subscribed to `feed`."""
        change = {"field": "feed", "value": value}
        for app_id, subscribed in self._receivers(page_id):
            if "feed" in subscribed:
                self.dispatcher.enqueue(app_id, page_id, "changes", change)


class Receipts:
    """Delivery and read receipts, a configurable while after the Page's messages."""

    def __init__(self, world: World, router: EventRouter) -> None:
        self.world = world
        self.router = router

    def after_send(self, thread: Thread, mid: str) -> None:
        """Schedule the delivery receipt (coalesced: one timer per thread at a time)."""
        delay = self.world.config.delivery_delay_s
        if delay is None:
            return
        thread.undelivered.append(mid)
        if not thread.delivery_scheduled:
            thread.delivery_scheduled = True
            self.router.dispatcher.hold()
            asyncio.get_running_loop().call_later(delay, self._deliver, thread)

    def _deliver(self, thread: Thread) -> None:
        # Release the hold only after the next events are queued, so waiters never see
        # a momentary idle between a receipt and the one it schedules.
        thread.delivery_scheduled = False
        try:
            if self.world.threads.get((thread.page_id, thread.psid)) is thread:
                self._send_delivery(thread)
        finally:
            self.router.dispatcher.release()

    def _send_delivery(self, thread: Thread) -> None:
        now = self.world.now_ms()
        mids, thread.undelivered = thread.undelivered, []
        thread.delivered_watermark = now
        event = buyer_event(thread, now, delivery={"mids": mids, "watermark": now})
        self.router.thread_event(thread, "message_deliveries", event)
        self._schedule_read(thread)

    def _schedule_read(self, thread: Thread) -> None:
        delay = self.world.config.read_delay_s
        if delay is None or thread.read_scheduled:
            return
        thread.read_scheduled = True
        self.router.dispatcher.hold()
        asyncio.get_running_loop().call_later(delay, self._read, thread)

    def _read(self, thread: Thread) -> None:
        thread.read_scheduled = False
        try:
            if self.world.threads.get((thread.page_id, thread.psid)) is thread:
                self.read_now(thread)
        finally:
            self.router.dispatcher.release()

    def read_now(self, thread: Thread) -> None:
        """The buyer reads everything the Page sent so far."""
        now = self.world.now_ms()
        thread.read_watermark = now
        event = buyer_event(thread, now, read={"watermark": now})
        self.router.thread_event(thread, "message_reads", event)
