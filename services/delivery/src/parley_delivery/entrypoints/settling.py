"""Settling JetStream messages: progress signals while working, naks with a delay, acks that
tolerate a lost connection. Fetching and dead-lettering are the kit's (`parley_kit.bus`)."""

from __future__ import annotations

import contextlib
import logging

from nats.aio.msg import Msg

log = logging.getLogger(__name__)


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
