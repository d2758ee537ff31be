"""The periodic token health check: debug_token for every active Page."""

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
