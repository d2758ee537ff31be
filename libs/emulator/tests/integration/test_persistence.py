"""State kept in a file: a restarted emulator remembers apps, tokens, threads and routing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from parley_emulator.http import async_client
from parley_emulator.model import PAGE_INBOX_APP_ID
from parley_emulator.persist import load, read_json
from parley_emulator.server import EmulatorServer
from parley_emulator.signing import appsecret_proof
from parley_emulator.testing import APP_SECRET, PAGE_ID, PAGE_TOKEN, PSID, seed
from parley_emulator.world import World

pytestmark = pytest.mark.integration


def seeded() -> World:
    world = World()
    data = seed("")
    data["apps"][0]["callback_url"] = None
    load(world, data)
    return world


def proof(token: str) -> dict[str, str]:
    return {"access_token": token, "appsecret_proof": appsecret_proof(token, APP_SECRET)}


async def test_a_restart_keeps_threads_tokens_profile_and_routing(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    async with (
        EmulatorServer(seeded(), state_path=state) as server,
        async_client(base_url=server.url) as client,
    ):
        await client.post(f"/_emulator/buyers/{PSID}/messages", json={"text": "bonjour"})
        body = {
            "recipient": {"id": PSID},
            "messaging_type": "RESPONSE",
            "message": {"text": "Salut !"},
        }
        sent = await client.post("/v21.0/me/messages", params=proof(PAGE_TOKEN), json=body)
        assert sent.status_code == 200
        await client.post(
            "/v21.0/me/messenger_profile",
            params=proof(PAGE_TOKEN),
            json={"get_started": {"payload": "GO"}},
        )
        rotated = (
            await client.post(f"/_emulator/pages/{PAGE_ID}/token", json={"action": "rotate"})
        ).json()["access_token"]
        await client.post(
            "/v21.0/me/pass_thread_control",
            params=proof(rotated),
            json={"recipient": {"id": PSID}, "target_app_id": PAGE_INBOX_APP_ID},
        )
    assert state.exists()

    world = World()
    load(world, read_json(state))
    async with (
        EmulatorServer(world, state_path=state) as server,
        async_client(base_url=server.url) as client,
    ):
        thread = (await client.get(f"/_emulator/threads/{PAGE_ID}/{PSID}")).json()
        assert [i["text"] for i in thread["items"] if "text" in i] == ["bonjour", "Salut !"]
        assert thread["owner_app_id"] == PAGE_INBOX_APP_ID
        old = await client.get(f"/v21.0/{PSID}", params=proof(PAGE_TOKEN))
        assert old.json()["error"]["code"] == 190
        profile = await client.get(
            "/v21.0/me/messenger_profile", params={**proof(rotated), "fields": "get_started"}
        )
        assert profile.json() == {"data": [{"get_started": {"payload": "GO"}}]}


async def test_state_is_saved_periodically_while_running(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    async with (
        EmulatorServer(seeded(), state_path=state, save_interval_s=0.05) as server,
        async_client(base_url=server.url) as client,
    ):
        await client.post(f"/_emulator/buyers/{PSID}/messages", json={"text": "saved?"})
        for _ in range(100):
            if state.exists() and "saved?" in state.read_text():
                break
            await asyncio.sleep(0.02)
        assert "saved?" in state.read_text()
