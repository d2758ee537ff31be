"""Fault injection on Graph API calls: 5xx, 613, 190, hangs past the timeout, slowness."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parley_emulator.errors import GraphError, rate_limited, revoked_token, temporary

FAULT_KINDS = ("5xx", "613", "190", "timeout", "slow")
OPERATOR_PREFIX = "/_emulator"


@dataclass
class GraphStats:
    """Counts of Graph API calls, errors by code, and injected faults."""

    calls: int = 0
    errors_by_code: dict[int, int] = field(default_factory=dict)
    faults_injected: int = 0

    def count_error(self, code: int) -> None:
        """Count one error answer."""
        self.errors_by_code[code] = self.errors_by_code.get(code, 0) + 1

    def to_json(self) -> dict[str, Any]:
        """The counters as JSON."""
        return {
            "graph_calls": self.calls,
            "errors_by_code": {str(code): n for code, n in sorted(self.errors_by_code.items())},
            "faults_injected": self.faults_injected,
        }


@dataclass
class FaultRule:
    """A share of matching Graph calls fails one way, for a count or a duration."""

    id: int
    kind: str
    share: float = 1.0
    paths: list[str] = field(default_factory=list)
    count: int | None = None
    until: float | None = None
    status: int = 500
    delay_s: float = 1.0
    hang_s: float = 30.0
    process: bool = False
    injected: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def expired(self, now: float) -> bool:
        """Whether the rule is used up or past its duration."""
        return (self.count is not None and self.count <= 0) or (
            self.until is not None and now >= self.until
        )

    def to_json(self) -> dict[str, Any]:
        """The rule as the operator API shows it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "share": self.share,
            "paths": self.paths,
            "remaining": self.count,
            "seconds_left": None if self.until is None else max(0.0, self.until - time.monotonic()),
            "status": self.status,
            "delay_s": self.delay_s,
            "hang_s": self.hang_s,
            "process": self.process,
            "injected": self.injected,
        }


def parse_rule(rule_id: int, spec: Mapping[str, Any]) -> FaultRule:
    """A rule from `POST /_emulator/faults` JSON; ValueError when malformed."""
    kind = str(spec.get("kind", ""))
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    share = float(spec.get("share", 1.0))
    if not 0.0 <= share <= 1.0:
        raise ValueError("share must be between 0 and 1")
    paths = spec.get("paths", [])
    if isinstance(paths, str):
        paths = [paths]
    duration = spec.get("duration_s")
    status = int(spec.get("status", 500 if kind == "5xx" else 504))
    if kind == "5xx" and not 500 <= status <= 599:
        raise ValueError("status must be a 5xx code")
    return FaultRule(
        id=rule_id,
        kind=kind,
        share=share,
        paths=[str(p) for p in paths],
        count=None if spec.get("count") is None else int(spec["count"]),
        until=None if duration is None else time.monotonic() + float(duration),
        status=status,
        delay_s=float(spec.get("delay_s", 1.0)),
        hang_s=float(spec.get("hang_s", 30.0)),
        process=bool(spec.get("process", False)),
        rng=random.Random(spec.get("seed")),
    )


class FaultInjector:
    """The active rules; the first matching rule whose dice say so fires."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, spec: Mapping[str, Any]) -> FaultRule:
        """Add a rule from JSON."""
        rule = parse_rule(self._next_id, spec)
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule."""
        self.rules.clear()

    def pick(self, path: str) -> FaultRule | None:
        """The rule to apply to a call on `path`, if any."""
        now = time.monotonic()
        self.rules = [rule for rule in self.rules if not rule.expired(now)]
        for rule in self.rules:
            if rule.paths and not any(part in path for part in rule.paths):
                continue
            if rule.rng.random() < rule.share:
                rule.injected += 1
                if rule.count is not None:
                    rule.count -= 1
                return rule
        return None


async def send_error(send: Send, error: GraphError) -> None:
    """Answer a raw ASGI call with Meta's error JSON."""
    body = json.dumps(error.body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class GraphMiddleware:
    """Counts Graph calls and applies fault rules; operator routes pass untouched."""

    def __init__(self, app: ASGIApp, stats: GraphStats, faults: FaultInjector) -> None:
        self.app = app
        self.stats = stats
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(OPERATOR_PREFIX):
            await self.app(scope, receive, send)
            return
        self.stats.calls += 1
        rule = self.faults.pick(scope["path"]) if self.faults.rules else None
        if rule is None:
            await self.app(scope, receive, send)
            return
        self.stats.faults_injected += 1
        await self._apply(rule, scope, receive, send)

    async def _apply(self, rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> None:
        if rule.kind == "slow":
            await asyncio.sleep(rule.delay_s)
            await self.app(scope, receive, send)
        elif rule.kind == "timeout":
            await self._hang(rule, scope, receive, send)
        else:
            error = {"5xx": temporary(rule.status), "613": rate_limited(), "190": revoked_token()}
            self.stats.count_error(error[rule.kind].code)
            await send_error(send, error[rule.kind])

    async def _hang(self, rule: FaultRule, scope: Scope, receive: Receive, send: Send) -> None:
        if rule.process:
            # The call takes effect, but its answer never reaches the client.
            async def discard(message: Message) -> None:
                return None

            await self.app(scope, receive, discard)
        try:
            await asyncio.wait_for(until_disconnect(receive), rule.hang_s)
        except TimeoutError:
            with contextlib.suppress(OSError, RuntimeError):
                await send_error(send, temporary(rule.status))


async def until_disconnect(receive: Receive) -> None:
    """Return once the client has gone (any request body is read and dropped)."""
    while (await receive())["type"] != "http.disconnect":
        pass
