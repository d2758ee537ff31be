"""The ledger of a fault scenario: every buyer message the emulator accepted has exactly one reply
in its thread, or a reason the product recorded; none has two; conversations agree."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from parley.events.v1.replies_pb2 import ReplyCommand
from parley.negotiation.v1 import negotiation_pb2 as npb
from parley_delivery.domain.messages import parse_metadata
from parley_tenants.entrypoints.operator_cli import demo_listing

from . import records
from .harness import FaultMesh
from .stream import BuyerMessage, messages_of

FLOOR_MINOR = demo_listing().floor_price.amount_minor
NEWER_ANSWERED = "stored: a newer message of the buyer was answered already"


def reply_key(mid: str) -> str:
    """The idempotency key of the reply to a buyer message: the gateway's event id
    (`message:<mid>`) and negotiation's suffix."""
    return f"message:{mid}:reply"


@dataclass
class Verdict:
    """What the ledger found."""

    messages: int = 0
    replies: int = 0
    duplicates: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    pending: list[BuyerMessage] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def reason_text(self) -> str:
        """The reasons, counted, on one line."""
        return "; ".join(f"{n} x {why}" for why, n in self.reasons.most_common()) or "none"


@dataclass(frozen=True)
class Seen:
    """What the product recorded about a scenario's replies at one moment."""

    sends: records.Sends
    commands: dict[str, ReplyCommand]  # by the event they answer
    outcomes: records.Outcomes


def judge(messages: list[BuyerMessage], seen: Seen) -> Verdict:
    """Each message's fate: one reply, a recorded reason, or still pending."""
    verdict = Verdict(messages=len(messages))
    commanded = _commanded_times(messages, seen.commands)
    for message in messages:
        key = reply_key(message.mid)
        sent = seen.sends.replies(key)
        if sent == 1:
            verdict.replies += 1
        elif sent > 1:
            verdict.replies += 1
            verdict.duplicates += sent - 1
            verdict.problems.append(f"{key} was sent {sent} times")
        elif key in seen.outcomes.reasons:
            verdict.reasons[seen.outcomes.reasons[key].split(":")[0]] += 1
        elif f"message:{message.mid}" not in seen.commands and any(
            at > message.timestamp_ms for at in commanded[message.psid]
        ):
            verdict.reasons[NEWER_ANSWERED] += 1
        else:
            verdict.pending.append(message)
    _check_parts_and_events(messages, seen, verdict)
    return verdict


def _commanded_times(
    messages: list[BuyerMessage], commands: dict[str, ReplyCommand]
) -> dict[str, list[int]]:
    """Per buyer, the times of their messages negotiation answered with a reply command."""
    times: dict[str, list[int]] = defaultdict(list)
    for message in messages:
        if f"message:{message.mid}" in commands:
            times[message.psid].append(message.timestamp_ms)
    return times


def _check_parts_and_events(messages: list[BuyerMessage], seen: Seen, verdict: Verdict) -> None:
    """No part of a reply went out twice; delivery settled each sent reply once."""
    keys = {reply_key(m.mid) for m in messages}
    for (key, part), count in seen.sends.parts.items():
        if key in keys and part > 0 and count > 1:
            verdict.duplicates += count - 1
            verdict.problems.append(f"{key} part {part} was sent {count} times")
    for key, count in seen.outcomes.sent.items():
        if key in keys and count > 1:
            verdict.problems.append(f"delivery recorded {count} reply_sent events for {key}")
        if key in keys and seen.sends.replies(key) == 0:
            verdict.problems.append(f"delivery recorded {key} as sent, no buyer received it")


async def look(
    fm: FaultMesh, http: httpx.AsyncClient, sends: records.Sends, since: datetime
) -> Seen:
    """Read the sends, reply commands and delivery outcomes recorded since `since`."""
    nats_url = fm.stack.nats_url
    await sends.update(http, fm.emulator, fm.page_id)
    commands = await records.reply_commands(nats_url, fm.page_id, since)
    outcomes = await records.delivery_outcomes(nats_url, fm.page_id, since)
    by_event = {c.in_reply_to_event_id: c for c in commands if c.in_reply_to_event_id}
    return Seen(sends, by_event, outcomes)


async def settle(
    fm: FaultMesh, psids: list[str], *, since: datetime, cursor: int, timeout: float
) -> Verdict:
    """Wait (at most `timeout` s) until every message of the buyers has its fate, negotiation
    stored each, and the mesh is quiet; then prove the ledger, the buyers' threads and the
    conversations against it."""
    deadline = time.monotonic() + timeout
    sends = records.Sends(cursor)
    async with records.client() as http:
        timelines = await records.threads(http, fm.emulator, fm.page_id, psids)
        messages = [m for psid in psids for m in messages_of(psid, timelines[psid])]
        while not await _settled(fm, http, messages, await look(fm, http, sends, since)):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(1.0)
        await asyncio.sleep(1.0)  # a second copy of any reply would have arrived by now
        seen = await look(fm, http, sends, since)
        verdict = judge(messages, seen)
        verdict.problems += [
            f"no reply and no reason for {m.mid} ({m.psid})" for m in verdict.pending
        ]
        await _agree(fm, http, messages, seen, verdict)
    return verdict


async def _settled(
    fm: FaultMesh, http: httpx.AsyncClient, messages: list[BuyerMessage], seen: Seen
) -> bool:
    """No webhook pending, every message with its fate, everything in agreement."""
    if (await records.get_json(http, f"{fm.emulator}/_emulator/webhooks"))["pending"]:
        return False
    verdict = judge(messages, seen)
    if verdict.pending:
        return False
    await _agree(fm, http, messages, seen, verdict)
    return not verdict.problems


async def _agree(
    fm: FaultMesh,
    http: httpx.AsyncClient,
    messages: list[BuyerMessage],
    seen: Seen,
    verdict: Verdict,
) -> None:
    """The buyers' threads and negotiation's conversations agree with the ledger."""
    by_buyer: dict[str, list[BuyerMessage]] = defaultdict(list)
    for message in messages:
        by_buyer[message.psid].append(message)
    psids = sorted(by_buyer)
    timelines = await records.threads(http, fm.emulator, fm.page_id, psids)
    found = await records.conversations(
        fm.address("negotiation"), fm.token("operator"), fm.page_id, psids
    )
    for psid in psids:
        verdict.problems += thread_problems(psid, by_buyer[psid], timelines[psid], seen)
        verdict.problems += conversation_problems(psid, by_buyer[psid], found.get(psid), seen)


def thread_problems(
    psid: str, sent: list[BuyerMessage], items: list[dict[str, Any]], seen: Seen
) -> list[str]:
    """The buyer's thread shows exactly the replies the sent log counts for them."""
    problems = []
    keys = {reply_key(m.mid) for m in sent}
    own = [
        parse_metadata(str(i.get("metadata") or "")) for i in items if i.get("direction") == "out"
    ]
    shown = sum(1 for part in own if part is not None and part[1] == 0 and part[0] in keys)
    logged = sum(seen.sends.replies(key) for key in keys)
    if shown != logged:
        problems.append(f"{psid}: the thread shows {shown} replies, the sent log {logged}")
    return problems


def conversation_problems(
    psid: str, sent: list[BuyerMessage], conversation: npb.Conversation | None, seen: Seen
) -> list[str]:
    """Negotiation stored each buyer message once, decided one reply per command, stays the
    bot's, and never countered below the floor or above an earlier counter."""
    if conversation is None:
        return [f"{psid}: negotiation has no conversation"]
    lines = conversation.transcript
    inbound = sum(1 for line in lines if line.direction == npb.DIRECTION_INBOUND)
    bot = sum(1 for line in lines if line.direction == npb.DIRECTION_OUTBOUND)
    commands = sum(1 for m in sent if f"message:{m.mid}" in seen.commands)
    problems = []
    if inbound != len(sent):
        problems.append(f"{psid}: negotiation stored {inbound} buyer lines for {len(sent)} sent")
    if bot != commands:
        problems.append(f"{psid}: {bot} bot lines in the transcript for {commands} commands")
    if conversation.state != npb.CONVERSATION_STATE_BOT:
        problems.append(f"{psid}: the conversation left the bot ({conversation.state_reason})")
    counters = list(conversation.counters_minor)
    if any(c < FLOOR_MINOR for c in counters) or counters != sorted(counters, reverse=True):
        problems.append(f"{psid}: counters {counters} rise or go below the floor {FLOOR_MINOR}")
    last = conversation.last_counter_minor
    if last and last < FLOOR_MINOR:
        problems.append(f"{psid}: the last counter {last} is below the floor")
    return problems


def now() -> datetime:
    """Wall-clock now (JetStream stores messages with wall-clock times)."""
    return datetime.now(UTC)


async def analytics_agrees(fm: FaultMesh, timeout: float) -> tuple[int, int]:
    """Wait until analytics counts as many replies sent on the Page as delivery recorded
    (each reply once); (analytics' count, delivery's) when they agree or time is up."""
    deadline = time.monotonic() + timeout
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    while True:
        outcomes = await records.delivery_outcomes(fm.stack.nats_url, fm.page_id, epoch)
        counted = await records.analytics_replies_sent(
            fm.address("analytics"), fm.token("operator"), fm.page_id
        )
        if counted == len(outcomes.sent) or time.monotonic() > deadline:
            return counted, len(outcomes.sent)
        await asyncio.sleep(1.0)
