"""Webhook delivery like Meta's: queued off the request path, signed, batched, retried."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass, field, fields
from typing import Any

import httpx

from parley_emulator.http import async_client
from parley_emulator.signing import encode_body, signature_256, signature_sha1
from parley_emulator.world import World

log = logging.getLogger("parley.emulator.webhooks")
REORDER_HOLD_S = 1.0


@dataclass(slots=True)
class Envelope:
    """One event bound for one app: its Page, its channel (messaging, standby, changes)."""

    page_id: str
    channel: str
    event: dict[str, Any]


@dataclass(slots=True)
class Batch:
    """One POST: a signed body holding one or more events."""

    app_id: str
    body: bytes
    events: int
    pages: list[str]
    attempts: int = 0
    first_failure: float = 0.0


@dataclass(slots=True)
class AppCounters:
    """Delivery counters for one app (visible at `GET /_emulator/webhooks`)."""

    posts: int = 0
    delivered_events: int = 0
    failed_attempts: int = 0
    retries: int = 0
    given_up_events: int = 0
    duplicates_sent: int = 0
    undeliverable: int = 0

    def to_json(self) -> dict[str, int]:
        """The counters by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class DispatcherState:
    """What the dispatcher tracks besides its queues."""

    counters: dict[str, AppCounters] = field(default_factory=dict)
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))
    unsubscribed: list[dict[str, Any]] = field(default_factory=list)
    duplicate_next: int = 0
    reorder_next: int = 0


def build_payload(envelopes: list[Envelope]) -> tuple[dict[str, Any], list[str]]:
    """Group events into `entry[]` items per Page and channel, keeping their order."""
    now = int(time.time() * 1000)
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    for env in envelopes:
        entry = entries.get((env.page_id, env.channel))
        if entry is None:
            entry = {"id": env.page_id, "time": now, env.channel: []}
            entries[(env.page_id, env.channel)] = entry
        entry[env.channel].append(env.event)
    pages = list(dict.fromkeys(env.page_id for env in envelopes))
    return {"object": "page", "entry": list(entries.values())}, pages


class WebhookDispatcher:
    """Per-app queues drained by one worker each; failed POSTs retry on their own."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.state = DispatcherState()
        self._queues: dict[str, deque[Envelope]] = {}
        self._wakeups: dict[str, asyncio.Event] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._held: dict[str, Batch] = {}
        self._pending = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._client: httpx.AsyncClient | None = None
        self._rng = random.Random(world.config.webhook_seed)

    async def start(self) -> None:
        """Open the HTTP client (call inside the running loop)."""
        self._client = async_client(headers={"User-Agent": "facebookexternalua"})

    async def stop(self) -> None:
        """Cancel workers and retries, then close the HTTP client."""
        tasks = [*self._workers.values(), *self._tasks]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._workers.clear()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def pending(self) -> int:
        """Events queued, in flight, held or being retried, plus receipts still scheduled."""
        return self._pending

    def hold(self) -> None:
        """Count a future delivery (a scheduled receipt) as pending."""
        self._pending += 1
        self._idle.clear()

    def release(self, count: int = 1) -> None:
        """Count `count` pending deliveries as finished."""
        self._pending -= count
        if self._pending <= 0:
            self._pending = 0
            self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is pending; False on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def enqueue(self, app_id: str, page_id: str, channel: str, event: dict[str, Any]) -> None:
        """Queue an event for an app; never blocks."""
        queue = self._queues.get(app_id)
        if queue is None:
            queue = self._queues[app_id] = deque()
            self._wakeups[app_id] = asyncio.Event()
            self._workers[app_id] = asyncio.create_task(self._worker(app_id))
        queue.append(Envelope(page_id, channel, event))
        self.hold()
        self._wakeups[app_id].set()

    def counters(self, app_id: str) -> AppCounters:
        """The counters of one app."""
        return self.state.counters.setdefault(app_id, AppCounters())

    async def _worker(self, app_id: str) -> None:
        queue, wake = self._queues[app_id], self._wakeups[app_id]
        while True:
            if not queue:
                wake.clear()
                await wake.wait()
                continue
            if self.world.config.batch_wait_ms > 0:
                await asyncio.sleep(self.world.config.batch_wait_ms / 1000)
            size = min(len(queue), max(1, self.world.config.batch_max))
            envelopes = [queue.popleft() for _ in range(size)]
            payload, pages = build_payload(envelopes)
            await self._dispatch(Batch(app_id, encode_body(payload), size, pages))

    async def _dispatch(self, batch: Batch) -> None:
        if self.state.reorder_next > 0 and batch.app_id not in self._held:
            self.state.reorder_next -= 1
            self._held[batch.app_id] = batch
            self._spawn(self._flush_held(batch.app_id, batch))
            return
        await self._deliver(batch)
        held = self._held.pop(batch.app_id, None)
        if held is not None:
            await self._deliver(held)

    async def _flush_held(self, app_id: str, batch: Batch) -> None:
        await asyncio.sleep(REORDER_HOLD_S)
        if self._held.get(app_id) is batch:
            del self._held[app_id]
            await self._deliver(batch)

    def _drop_if_undeliverable(self, batch: Batch) -> bool:
        # The app was removed or its callback URL unset: nothing to retry against.
        app = self.world.apps.get(batch.app_id)
        if app is not None and app.callback_url and self._client is not None:
            return False
        self.counters(batch.app_id).undeliverable += batch.events
        self.release(batch.events)
        return True

    async def _deliver(self, batch: Batch) -> None:
        if self._drop_if_undeliverable(batch):
            return
        if await self._post(batch):
            if self._should_duplicate():
                self.counters(batch.app_id).duplicates_sent += 1
                await self._post(batch)
            self._finish(batch)
            return
        batch.first_failure = time.monotonic()
        self._spawn(self._retry(batch))

    def _should_duplicate(self) -> bool:
        if self.state.duplicate_next > 0:
            self.state.duplicate_next -= 1
            return True
        share = self.world.config.duplicate_share
        return share > 0 and self._rng.random() < share

    async def _retry(self, batch: Batch) -> None:
        # Meta retries at once, then backs off; after the give-up time it drops the
        # events and (after an hour of failures on the real platform) unsubscribes.
        delay = 0.0
        config = self.world.config
        while True:
            await asyncio.sleep(delay)
            if self._drop_if_undeliverable(batch):
                return
            self.counters(batch.app_id).retries += 1
            if await self._post(batch):
                self._finish(batch)
                return
            if time.monotonic() - batch.first_failure >= config.give_up_after_s:
                self._give_up(batch)
                return
            delay = config.retry_initial_s if delay == 0 else min(delay * 2, config.retry_max_s)

    def _give_up(self, batch: Batch) -> None:
        self.counters(batch.app_id).given_up_events += batch.events
        if self.world.config.unsubscribe_on_give_up:
            for page_id in batch.pages:
                page = self.world.pages.get(page_id)
                if page is not None and batch.app_id in page.subscriptions:
                    self.world.unsubscribe(page, batch.app_id)
                    record = {"app_id": batch.app_id, "page_id": page_id, "time": time.time()}
                    self.state.unsubscribed.append(record)
                    log.warning("app %s unsubscribed from page %s", batch.app_id, page_id)
        self.release(batch.events)

    def _finish(self, batch: Batch) -> None:
        self.counters(batch.app_id).delivered_events += batch.events
        self.release(batch.events)

    async def _post(self, batch: Batch) -> bool:
        app = self.world.apps.get(batch.app_id)
        counters = self.counters(batch.app_id)
        if app is None or not app.callback_url:
            return False
        batch.attempts += 1
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": signature_256(batch.body, app.secret),
            "X-Hub-Signature": signature_sha1(batch.body, app.secret),
        }
        status, error = await self._send(app.callback_url, batch.body, headers)
        ok = status is not None and 200 <= status < 300
        counters.posts += 1
        if not ok:
            counters.failed_attempts += 1
        self.state.recent.append(
            {
                "time": time.time(),
                "app_id": batch.app_id,
                "url": app.callback_url,
                "status": status,
                "ok": ok,
                "attempt": batch.attempts,
                "events": batch.events,
                "error": error,
            }
        )
        return ok

    async def _send(
        self, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int | None, str | None]:
        if self._client is None:
            return None, "dispatcher stopped"
        try:
            response = await self._client.post(
                url, content=body, headers=headers, timeout=self.world.config.webhook_timeout_s
            )
        except httpx.TimeoutException:
            return None, "timeout"
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def snapshot(self) -> dict[str, Any]:
        """Counters in total and per app, pending count, recent POSTs, unsubscriptions."""
        totals = AppCounters()
        for counters in self.state.counters.values():
            for name, value in counters.to_json().items():
                setattr(totals, name, getattr(totals, name) + value)
        return {
            "pending": self._pending,
            **totals.to_json(),
            "duplicate_next": self.state.duplicate_next,
            "reorder_next": self.state.reorder_next,
            "by_app": {app: c.to_json() for app, c in self.state.counters.items()},
            "unsubscribed": list(self.state.unsubscribed),
            "recent": list(self.state.recent)[-50:],
        }
