"""A steady stream of buyer messages to the demo Page through the emulator, with a fault in the
middle: what each buyer sent is kept for the ledger."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import httpx

# Questions and low offers: the demo listing answers, counters or declines each of them and
# never hands the conversation to a person, so every message deserves a reply.
TEXTS = (
    "is this still available?",
    "would you take 7000 cash",
    "what is the mileage?",
    "would you take 7200?",
    "any accidents?",
    "is the price negotiable?",
    "would you take 6900?",
    "what color is it?",
)
_scenario = itertools.count(1)
IN_FLIGHT = 16


@dataclass(frozen=True)
class BuyerMessage:
    """One message a buyer sent, as the buyer's thread in the emulator shows it."""

    psid: str
    mid: str
    timestamp_ms: int
    text: str


@dataclass(frozen=True)
class Plan:
    """How many messages from how many buyers, how fast; the fault fires at `fault_at`."""

    messages: int
    buyers: int
    rate: float
    fault_at: float = 0.5

    def psids(self, scenario: int) -> list[str]:
        """Buyers of this scenario alone (PSIDs the emulator creates on the first message)."""
        return [f"79{scenario:04d}{index:09d}" for index in range(self.buyers)]


@dataclass
class Driven:
    """The buyers of a stream, and how the emulator took their messages."""

    psids: list[str]
    accepted: int = 0
    # Operator calls whose answer was lost (the emulator starved of CPU): sent again. The
    # ledger reads each buyer's messages from their thread, so a message the emulator took
    # before the answer was lost still counts.
    resent: int = 0
    seconds: float = 0.0


Fault = Callable[[], Coroutine[Any, Any, None]]


async def drive(emulator: str, page_id: str, plan: Plan, fault: Fault | None) -> Driven:
    """Send `plan.messages` at `plan.rate` per second at most, round-robin over fresh buyers, with
    at most `IN_FLIGHT` unanswered (a busy emulator slows the stream down instead of queueing
    it); run `fault` (concurrently) once `plan.fault_at` of them went out."""
    driven = Driven(plan.psids(next(_scenario)))
    gate = asyncio.Semaphore(IN_FLIGHT)
    # Idle connections close well before the server would close them (uvicorn: 5 s).
    limits = httpx.Limits(max_connections=IN_FLIGHT, keepalive_expiry=1.0)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http, asyncio.TaskGroup() as tasks:
        began = time.monotonic()
        for index in range(plan.messages):
            if fault is not None and index == int(plan.messages * plan.fault_at):
                tasks.create_task(fault())
            psid = driven.psids[index % plan.buyers]
            body = {"page_id": page_id, "text": TEXTS[(index // plan.buyers) % len(TEXTS)]}
            url = f"{emulator}/_emulator/buyers/{psid}/messages"
            await gate.acquire()
            tasks.create_task(_send(http, url, body, driven, gate))
            delay = began + (index + 1) / plan.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        driven.seconds = time.monotonic() - began
    return driven


async def _send(
    http: httpx.AsyncClient, url: str, body: dict[str, str], driven: Driven, gate: asyncio.Semaphore
) -> None:
    try:
        await _post(http, url, body, driven)
    finally:
        gate.release()


async def _post(http: httpx.AsyncClient, url: str, body: dict[str, str], driven: Driven) -> None:
    for attempt in range(3):
        try:
            answer = await http.post(url, json=body)
        except httpx.TransportError:
            if attempt == 2:
                raise
            driven.resent += 1
            await asyncio.sleep(0.5)
            continue
        answer.raise_for_status()
        driven.accepted += 1
        return


def messages_of(psid: str, items: list[dict[str, Any]]) -> list[BuyerMessage]:
    """The buyer's text messages in their thread's items."""
    return [
        BuyerMessage(psid, str(item["mid"]), int(item["time"]), str(item.get("text", "")))
        for item in items
        if item.get("direction") == "in" and item.get("kind") == "text"
    ]
