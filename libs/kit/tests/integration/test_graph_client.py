"""The Graph client against the Messenger emulator as a real server: proofs, errors, secrecy."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.routing import Route

from parley_emulator.persist import load
from parley_emulator.server import AppServer, EmulatorServer
from parley_emulator.testing import APP_ID, APP_SECRET, PAGE_ID, PAGE_TOKEN, PSID, Receiver, seed
from parley_emulator.world import World
from parley_kit.graph import ErrorKind, GraphClient, GraphConfig, GraphError
from parley_kit.logs import JsonFormatter
from parley_kit.secrets import Secret

pytestmark = pytest.mark.integration


@pytest.fixture
async def emulator() -> AsyncIterator[EmulatorServer]:
    hook = Receiver()
    receiver = AppServer(
        Starlette(routes=[Route("/webhook", hook.handle, methods=["GET", "POST"])])
    )
    await receiver.start()
    world = World()
    load(world, seed(f"{receiver.url}/webhook"))
    server = EmulatorServer(world)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        await receiver.stop()


def config(url: str, secret: str = APP_SECRET, timeout_s: float = 5.0) -> GraphConfig:
    return GraphConfig(base_url=url, app_id=APP_ID, app_secret=Secret(secret), timeout_s=timeout_s)


@pytest.fixture
async def graph(emulator: EmulatorServer) -> AsyncIterator[GraphClient]:
    client = GraphClient(config(emulator.url))
    try:
        yield client
    finally:
        await client.aclose()


async def operator(emulator: EmulatorServer, path: str, body: dict[str, object]) -> None:
    async with httpx.AsyncClient(base_url=emulator.url) as client:
        response = await client.post(f"/_emulator{path}", json=body)
        assert response.status_code < 300, response.text


def text_to(psid: str) -> dict[str, object]:
    return {"recipient": {"id": psid}, "messaging_type": "RESPONSE", "message": {"text": "hi"}}


async def test_a_send_carries_a_valid_appsecret_proof(
    emulator: EmulatorServer, graph: GraphClient
) -> None:
    # The seeded app requires appsecret_proof: a send without a valid one is refused (100).
    await operator(emulator, f"/buyers/{PSID}/messages", {"page_id": PAGE_ID, "text": "hello"})
    answer = await graph.post("/me/messages", token=Secret(PAGE_TOKEN), json=text_to(PSID))
    assert answer["recipient_id"] == PSID and answer["message_id"].startswith("m_")


async def test_a_wrong_app_secret_makes_a_proof_meta_refuses_with_100(
    emulator: EmulatorServer,
) -> None:
    client = GraphClient(config(emulator.url, secret="not-the-app-secret"))
    try:
        with pytest.raises(GraphError) as raised:
            await client.get("/me", token=PAGE_TOKEN)
    finally:
        await client.aclose()
    assert raised.value.code == 100 and raised.value.kind is ErrorKind.PERMANENT
    assert "appsecret_proof" in raised.value.message


async def test_an_unknown_token_is_190_token_invalid(graph: GraphClient) -> None:
    with pytest.raises(GraphError) as raised:
        await graph.get("/me", token="EAA" + "UnknownTokenUnknownToken0000")
    error = raised.value
    assert (error.code, error.kind, error.http_status) == (190, ErrorKind.TOKEN_INVALID, 400)
    assert error.fbtrace_id and not error.retryable


async def test_a_rate_limit_is_613_and_retryable(
    emulator: EmulatorServer, graph: GraphClient
) -> None:
    await operator(emulator, f"/buyers/{PSID}/messages", {"page_id": PAGE_ID, "text": "hello"})
    await operator(emulator, "/faults", {"kind": "613", "paths": ["messages"], "count": 1})
    with pytest.raises(GraphError) as raised:
        await graph.post("/me/messages", token=PAGE_TOKEN, json=text_to(PSID))
    assert (raised.value.code, raised.value.subcode) == (613, 2534040)
    assert raised.value.kind is ErrorKind.RATE_LIMITED and raised.value.retryable


async def test_an_unknown_recipient_is_100_and_permanent(graph: GraphClient) -> None:
    with pytest.raises(GraphError) as raised:
        await graph.post("/me/messages", token=PAGE_TOKEN, json=text_to("5999999999999999"))
    assert raised.value.code == 100 and raised.value.kind is ErrorKind.PERMANENT


async def test_a_message_outside_the_window_is_a_policy_block(graph: GraphClient) -> None:
    with pytest.raises(GraphError) as raised:
        await graph.post("/me/messages", token=PAGE_TOKEN, json=text_to(PSID))
    assert (raised.value.code, raised.value.subcode) == (10, 2018278)
    assert raised.value.kind is ErrorKind.POLICY_WINDOW


async def test_a_server_error_is_retryable(emulator: EmulatorServer, graph: GraphClient) -> None:
    await operator(emulator, "/faults", {"kind": "5xx", "paths": ["/me"], "count": 1})
    with pytest.raises(GraphError) as raised:
        await graph.get("/me", token=PAGE_TOKEN)
    assert raised.value.http_status >= 500 and raised.value.kind is ErrorKind.RETRY


async def test_a_hanging_call_times_out_as_retryable(emulator: EmulatorServer) -> None:
    await operator(emulator, "/faults", {"kind": "timeout", "hang_s": 3, "count": 1})
    client = GraphClient(config(emulator.url, timeout_s=0.3))
    try:
        with pytest.raises(GraphError) as raised:
            await client.get("/me", token=PAGE_TOKEN)
    finally:
        await client.aclose()
    assert raised.value.kind is ErrorKind.RETRY and "timed out" in raised.value.message


async def test_a_refused_connection_is_retryable() -> None:
    client = GraphClient(config("http://127.0.0.1:9", timeout_s=1.0))
    try:
        with pytest.raises(GraphError) as raised:
            await client.get("/me", token=PAGE_TOKEN)
    finally:
        await client.aclose()
    assert raised.value.kind is ErrorKind.RETRY


async def test_debug_token_with_the_app_token_reports_a_page_token(graph: GraphClient) -> None:
    answer = await graph.get(
        "/debug_token", token=graph.config.app_token, params={"input_token": PAGE_TOKEN}
    )
    assert answer["data"]["is_valid"] is True and answer["data"]["profile_id"] == PAGE_ID


async def test_tokens_never_reach_spans_logs_or_errors(
    emulator: EmulatorServer,
    graph: GraphClient,
    spans: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bad = "EAA" + "BadTokenThatMustNotLeak0000000"
    caplog.set_level(logging.DEBUG)
    await graph.get("/me", token=PAGE_TOKEN)
    with pytest.raises(GraphError) as raised:
        await graph.get("/me", token=bad, params={"fields": "id,name"})
    formatter = JsonFormatter("test")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    raw = "\n".join(record.getMessage() for record in caplog.records)
    recorded = [str(span.attributes) + span.name for span in spans.get_finished_spans()]
    for text in (logged, raw, str(raised.value), repr(raised.value), *recorded):
        assert PAGE_TOKEN not in text and bad not in text
    assert any("/v21.0/me" in text for text in recorded)
