"""One trace per buyer message, across the mesh's processes: the webhook request at the
gateway, JetStream, negotiation, its gRPC call to tenants, the outbox relay, delivery and the
Send API call, in parent/child order. Each process writes its spans to a file of its own."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Mesh, running_mesh

pytestmark = pytest.mark.e2e


@pytest.fixture
def traced(tmp_path: Path, database_url: str, nats_url: str) -> Iterator[tuple[Mesh, Path]]:
    traces = tmp_path / "traces"
    traces.mkdir()
    env = {"OTEL_BSP_SCHEDULE_DELAY": "100"}  # export spans within 0.1 s
    with running_mesh(
        tmp_path / "data", database_url, nats_url, "--trace-dir", str(traces), env=env
    ) as mesh:
        yield mesh, traces


def spans_in(folder: Path) -> list[dict[str, Any]]:
    """Every span every process exported, with the process's name."""
    found = []
    for path in folder.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            span = json.loads(line)
            span["process"] = path.stem
            found.append(span)
    return found


def chain(spans: list[dict[str, Any]], leaf: dict[str, Any]) -> list[dict[str, Any]]:
    """The leaf and its ancestors, root last."""
    by_id = {s["context"]["span_id"]: s for s in spans}
    path = [leaf]
    while path[-1].get("parent_id") in by_id:
        path.append(by_id[path[-1]["parent_id"]])
    return path


async def test_one_trace_covers_a_buyer_message_from_webhook_to_send_api(
    traced: tuple[Mesh, Path],
) -> None:
    mesh, folder = traced
    async with httpx.AsyncClient(timeout=10) as http:
        sent = await http.post(
            f"{mesh.emulator}/_emulator/buyers/{mesh.buyer}/messages",
            json={"page_id": mesh.page_id, "text": "is this still available?"},
        )
        assert sent.status_code == 200, sent.text
    # A span is exported when it ends: delivery's consumer span ends after the (paced) send.
    deadline = time.monotonic() + 40
    path: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not path:
        await asyncio.sleep(0.5)
        spans = spans_in(folder)
        sends = [
            s
            for s in spans
            if s["process"] == "delivery"
            and s["kind"] == "SpanKind.CLIENT"
            and "/me/messages" in json.dumps(s.get("attributes", {}))
        ]
        complete = [chain(spans, s) for s in sends if chain(spans, s)[-1]["process"] == "gateway"]
        path = complete[0] if complete else []
    assert path, "no Send API call with the whole chain back to the webhook was exported"
    trace_ids = {s["context"]["trace_id"] for s in path}
    assert len(trace_ids) == 1
    processes = [s["process"] for s in reversed(path)]  # root first
    assert processes[0] == "gateway" and processes[-1] == "delivery"
    assert "negotiation" in processes
    first = {name: processes.index(name) for name in ("gateway", "negotiation", "delivery")}
    assert first["gateway"] < first["negotiation"] < first["delivery"]
    (trace_id,) = trace_ids
    same_trace = [s for s in spans if s["context"]["trace_id"] == trace_id]
    tenants_calls = [s for s in same_trace if s["process"] == "tenants"]
    assert tenants_calls, "negotiation's gRPC calls to tenants are not in the trace"
    assert any(s["kind"] == "SpanKind.SERVER" for s in tenants_calls)
