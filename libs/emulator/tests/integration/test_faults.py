"""Fault injection on Graph calls: 5xx, 613, 190, hangs, slowness; seeded, scoped, cleared."""

from __future__ import annotations

import time

import httpx
import pytest

from parley_emulator.testing import PSID, Harness, error_of

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
async def open_window(harness: Harness) -> None:
    await harness.buyer(text="hi")


async def test_a_counted_5xx_fault_fails_that_many_sends_then_clears(harness: Harness) -> None:
    rule = await harness.op(
        "POST", "/faults", json={"kind": "5xx", "count": 2, "status": 503, "paths": ["/messages"]}
    )
    assert rule["remaining"] == 2
    answers = [await harness.text(f"try {n}") for n in range(3)]
    assert [r.status_code for r in answers] == [503, 503, 200]
    assert error_of(answers[0])[0] == 2 and answers[0].json()["error"]["is_transient"]
    sent = await harness.op("GET", "/sent")
    assert sent["count"] == 1
    stats = await harness.op("GET", "/stats")
    assert stats["faults_injected"] == 2 and stats["errors_by_code"]["2"] == 2


@pytest.mark.parametrize(("kind", "expected"), [("613", (613, 2534040)), ("190", (190, 460))])
async def test_rate_limit_and_token_faults_answer_metas_errors(
    harness: Harness, kind: str, expected: tuple[int, int]
) -> None:
    await harness.op("POST", "/faults", json={"kind": kind, "count": 1})
    assert error_of(await harness.text("x")) == expected
    assert (await harness.text("y")).status_code == 200


async def test_faults_only_hit_the_paths_they_name(harness: Harness) -> None:
    await harness.op("POST", "/faults", json={"kind": "5xx", "paths": ["messages"]})
    profile = await harness.graph("GET", f"/v21.0/{PSID}")
    assert profile.status_code == 200
    assert (await harness.text("x")).status_code == 500
    assert (await harness.op("GET", "/health"))["ok"] is True


async def test_a_hang_outlasts_the_clients_timeout_and_records_nothing(harness: Harness) -> None:
    await harness.op("POST", "/faults", json={"kind": "timeout", "count": 1, "hang_s": 5})
    with pytest.raises(httpx.ReadTimeout):
        await harness.send(
            {"recipient": {"id": PSID}, "messaging_type": "RESPONSE", "message": {"text": "lost"}},
            timeout=0.3,
        )
    assert (await harness.op("GET", "/sent"))["count"] == 0


async def test_a_hang_after_processing_delivers_the_message_but_not_the_answer(
    harness: Harness,
) -> None:
    await harness.op(
        "POST", "/faults", json={"kind": "timeout", "count": 1, "hang_s": 5, "process": True}
    )
    with pytest.raises(httpx.ReadTimeout):
        await harness.send(
            {
                "recipient": {"id": PSID},
                "messaging_type": "RESPONSE",
                "message": {"text": "sent but unanswered"},
            },
            timeout=0.3,
        )
    sent = await harness.op("GET", "/sent")
    assert sent["count"] == 1 and sent["items"][0]["text"] == "sent but unanswered"


async def test_a_hang_answers_504_if_the_client_waits_longer(harness: Harness) -> None:
    await harness.op("POST", "/faults", json={"kind": "timeout", "count": 1, "hang_s": 0.1})
    response = await harness.text("x")
    assert response.status_code == 504 and error_of(response)[0] == 2


async def test_slow_answers_arrive_late_but_succeed(harness: Harness) -> None:
    await harness.op("POST", "/faults", json={"kind": "slow", "delay_s": 0.3, "count": 1})
    started = time.monotonic()
    response = await harness.text("x")
    assert response.status_code == 200 and time.monotonic() - started >= 0.3


async def test_a_seeded_share_is_reproducible(harness: Harness) -> None:
    async def outcomes() -> list[int]:
        await harness.op("DELETE", "/faults")
        await harness.op("POST", "/faults", json={"kind": "5xx", "share": 0.5, "seed": 11})
        return [(await harness.text(f"n{n}")).status_code for n in range(16)]

    first, second = await outcomes(), await outcomes()
    assert first == second and 500 in first and 200 in first


async def test_a_timed_fault_expires_and_delete_clears_all(harness: Harness) -> None:
    await harness.op("POST", "/faults", json={"kind": "5xx", "duration_s": 0.2})
    await harness.op("POST", "/faults", json={"kind": "613"})
    listed = await harness.op("GET", "/faults")
    assert [r["kind"] for r in listed["data"]] == ["5xx", "613"]
    assert (await harness.op("DELETE", "/faults"))["data"] == []
    assert (await harness.text("x")).status_code == 200


async def test_malformed_fault_is_a_400(harness: Harness) -> None:
    response = await harness.client.post("/_emulator/faults", json={"kind": "explode"})
    assert response.status_code == 400 and "kind" in response.json()["error"]
