"""Settling JetStream messages the way parley_kit.bus does: progress signals while working, naks
with a delay, and dead letters (with the kit's headers) for what can never be handled."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from parley_kit import bus
from parley_kit.redaction import redact

log = logging.getLogger(__name__)


async def fetch(sub: JetStreamContext.PullSubscription, batch: int, timeout_s: float) -> list[Msg]:
    """Up to `batch` messages, or none after `timeout_s` (a lost connection is waited out)."""
    try:
        return await sub.fetch(batch, timeout=timeout_s)
    except TimeoutError:
        return []
    except nats.errors.Error as exc:
        log.warning("fetch failed: %s", exc)
        await asyncio.sleep(timeout_s)
        return []


async def in_progress(msg: Msg) -> None:
    """Still working on it: JetStream restarts the message's ack wait."""
    with contextlib.suppress(Exception):
        await msg.in_progress()


async def nak(msg: Msg, delay_s: float) -> None:
    """Deliver the message again after `delay_s` (a lost connection: after ack_wait)."""
    with contextlib.suppress(Exception):
        await msg.nak(delay=max(0.0, delay_s))


async def ack(msg: Msg) -> None:
    """Done with the message (a lost connection: it comes again, and is found settled)."""
    with contextlib.suppress(Exception):
        await msg.ack()


async def dead_letter(js: JetStreamContext, spec: bus.ConsumerSpec, msg: Msg, reason: str) -> None:
    """Keep the message in the dead-letter stream and terminate it (nak it if that fails)."""
    reason = redact(" ".join(reason.split()))[:500]
    log.error("dead-lettering %s from %s: %s", msg.subject, spec.durable, reason)
    meta = msg.metadata
    sequence = str(meta.sequence.stream if meta.sequence else "")
    headers = {
        "Parley-Original-Subject": msg.subject,
        "Parley-Original-Stream": meta.stream or "",
        "Parley-Original-Sequence": sequence,
        "Parley-Reason": reason,
    }
    msg_id = f"dlq:{spec.stream}:{spec.durable}:{sequence}"
    try:
        await bus.publish(js, spec.dead_letter_subject, msg.data, msg_id=msg_id, headers=headers)
    except nats.errors.Error as exc:
        log.error("cannot dead-letter to %s: %s", spec.dead_letter_subject, exc)
        await nak(msg, spec.retry_delays_s[-1])
        return
    with contextlib.suppress(Exception):
        await msg.term()
