"""Periodic work on Pages: the token health check (debug_token for every active Page) and the
Messenger profile set-up of newly connected Pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from parley_tenants.service_layer import pages
from parley_tenants.service_layer.unit import Deps

log = logging.getLogger(__name__)


async def run_token_checks(deps: Deps, *, interval_s: float, stop: asyncio.Event) -> None:
    """Check every active Page's token now and then every `interval_s`, until `stop` is set."""
    while not stop.is_set():
        try:
            counts = await pages.check_tokens(deps)
        except Exception:  # noqa: BLE001 - a lost database must not end the loop; the next
            # round tries again, and the failure is logged with its traceback.
            log.exception("token health check failed")
        else:
            log.info("token health check: %s", counts)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)


async def run_profile_setup(
    deps: Deps, *, interval_s: float, stop: asyncio.Event, wake: asyncio.Event
) -> None:
    """Set up pending Page profiles now, whenever `wake` is set, and every `interval_s`."""
    while not stop.is_set():
        wake.clear()
        try:
            counts = await pages.set_up_profiles(deps)
        except Exception:  # noqa: BLE001 - as above: the next round tries again
            log.exception("page profile set-up failed")
        else:
            if counts["set_up"] or counts["failed"]:
                log.info("page profile set-up: %s", counts)
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(wake.wait())]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED), interval_s
            )
        for task in waits:
            task.cancel()
