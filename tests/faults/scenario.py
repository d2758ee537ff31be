"""One fault scenario: a stream with a fault in the middle, the ledger proven afterwards, and a
one-line summary of the figures."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from . import records
from .harness import FaultMesh
from .ledger import Verdict, now, settle
from .stream import Driven, Fault, Plan, drive

SUMMARIES: list[str] = []


@dataclass(frozen=True)
class Result:
    """A scenario's verdict, webhook counters over it, and how long it took."""

    verdict: Verdict
    webhooks: dict[str, int]
    seconds: float
    driven: Driven
    graph: dict[str, Any]

    def summary(self, name: str) -> str:
        """One line for the issue note."""
        v, w, d = self.verdict, self.webhooks, self.driven
        return (
            f"{name}: {v.messages} messages from {len(d.psids)} buyers in {d.seconds:.0f} s "
            f"({d.resent} operator calls resent), {v.replies} replies, "
            f"{sum(v.reasons.values())} with a reason ({v.reason_text()}), "
            f"{v.duplicates} duplicates, {len(v.problems)} problems; webhooks {w['posts']} posts, "
            f"{w['failed_attempts']} failed, {w['retries']} retries, "
            f"{w['given_up_events']} given up, {w['duplicates_sent']} sent twice; Graph faults "
            f"injected {self.graph['faults_injected']}, errors {self.graph['errors_by_code']}; "
            f"{self.seconds:.1f} s"
        )

    def failures(self) -> str:
        """The problems, for an assertion message."""
        return "\n".join(self.verdict.problems[:40])


async def run(
    fm: FaultMesh, name: str, plan: Plan, fault: Fault | None, *, settle_s: float = 90.0
) -> Result:
    """Drive the stream with the fault, wait for the mesh, prove the ledger; print the figures."""
    began = time.monotonic()
    async with records.client() as http:
        cursor = await records.sent_cursor(http, fm.emulator)
        before = await _webhooks(http, fm.emulator)
        graph_before = await records.get_json(http, f"{fm.emulator}/_emulator/stats")
    since = now()
    driven = await drive(fm.emulator, fm.page_id, plan, fault)
    verdict = await settle(fm, driven.psids, since=since, cursor=cursor, timeout=settle_s)
    async with records.client() as http:
        after = await _webhooks(http, fm.emulator)
        graph_after = await records.get_json(http, f"{fm.emulator}/_emulator/stats")
    counters = {key: after[key] - before[key] for key in before}
    graph = _graph_delta(graph_before, graph_after)
    result = Result(verdict, counters, time.monotonic() - began, driven, graph)
    line = result.summary(name)
    SUMMARIES.append(line)
    print(line)
    return result


_COUNTERS = ("posts", "failed_attempts", "retries", "given_up_events", "duplicates_sent")


async def _webhooks(http: httpx.AsyncClient, emulator: str) -> dict[str, int]:
    stats: dict[str, Any] = await records.get_json(http, f"{emulator}/_emulator/webhooks")
    return {key: int(stats.get(key, 0)) for key in _COUNTERS}


def _graph_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Faults injected and Graph errors answered during the scenario."""
    codes = after["errors_by_code"]
    errors = {c: n - before["errors_by_code"].get(c, 0) for c, n in codes.items()}
    return {
        "faults_injected": after["faults_injected"] - before["faults_injected"],
        "errors_by_code": {c: n for c, n in errors.items() if n},
    }
