"""The emulator's parts, built once per server and handed to every route."""

from __future__ import annotations

from dataclasses import dataclass

from parley_emulator.events import EventRouter, Receipts
from parley_emulator.faults import FaultInjector, GraphStats
from parley_emulator.graph_common import Authenticator
from parley_emulator.ratelimit import RateLimiter
from parley_emulator.webhooks import WebhookDispatcher
from parley_emulator.world import World


@dataclass
class Emulator:
    """State, webhook delivery, limits and faults of one emulator server."""

    world: World
    dispatcher: WebhookDispatcher
    router: EventRouter
    receipts: Receipts
    auth: Authenticator
    limiter: RateLimiter
    faults: FaultInjector
    stats: GraphStats


def build_emulator(world: World) -> Emulator:
    """Wire the parts around a world (no I/O: the dispatcher starts in the lifespan)."""
    dispatcher = WebhookDispatcher(world)
    router = EventRouter(world, dispatcher)
    return Emulator(
        world=world,
        dispatcher=dispatcher,
        router=router,
        receipts=Receipts(world, router),
        auth=Authenticator(world),
        limiter=RateLimiter(),
        faults=FaultInjector(),
        stats=GraphStats(),
    )
