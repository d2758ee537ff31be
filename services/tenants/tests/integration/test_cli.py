"""`parley tenants ...`: migrate as a process, operator commands over gRPC."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from parley.tenants.v1 import tenants_pb2 as pb
from parley_tenants import cli

from .conftest import TOKENS, Service

pytestmark = pytest.mark.integration
PARLEY = str(Path(sys.executable).parent / "parley")


def parley(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PARLEY, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


async def test_migrate_creates_the_schema_once(database_url: str, unique_id: str) -> None:
    schema = f"m_{unique_id}"
    env = {"PARLEY_DATABASE_URL": database_url, "PARLEY_TENANTS_SCHEMA": schema}
    first = await asyncio.to_thread(parley, "tenants", "migrate", env=env)
    second = await asyncio.to_thread(parley, "tenants", "migrate", env=env)
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
        )
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert "applied 2 migration(s)" in first.stderr and "up to date" in second.stderr
    names = {row["table_name"] for row in tables}
    assert {"sellers", "pages", "oauth_states", "listings", "outbox", "platform_flags"} <= names


async def run_cli(
    service: Service,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, dict[str, object]]:
    monkeypatch.setenv("PARLEY_TENANTS_ADDR", service.address)
    monkeypatch.setenv("PARLEY_TENANTS_TOKEN", TOKENS["operator"])
    status = await asyncio.to_thread(cli.main, list(args))
    captured = capsys.readouterr()
    return status, json.loads(captured.out) if status == 0 else {"error": captured.err}


async def test_seed_demo_is_idempotent_and_prints_the_connect_link(
    service: Service, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        status, answer = await run_cli(service, monkeypatch, capsys, "seed-demo")
        assert status == 0 and "/dialog/oauth?" in str(answer["url"])
    listings = await service.stub().ListListings(pb.ListListingsRequest(seller_id="demo-seller"))
    [corolla] = listings.listings
    assert (corolla.ref, corolla.asking_price.amount_minor, corolla.floor_price.amount_minor) == (
        "corolla-2015",
        850_000,
        760_000,
    )
    assert corolla.auto_accept_price.amount_minor == 820_000 and corolla.max_concessions == 3


async def test_operator_commands_change_settings_and_the_kill_switch(
    service: Service, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    status, seller = await run_cli(service, monkeypatch, capsys, "create-seller", "--name", "Kim")
    seller_id = str(seller["seller"]["sellerId"])  # type: ignore[index]
    status, answer = await run_cli(
        service,
        monkeypatch,
        capsys,
        "settings",
        "set",
        "--seller",
        seller_id,
        "--languages",
        "th,en",
        "--pace",
        "instant",
        "--escrow",
        "on",
    )
    assert status == 0 and answer["settings"]["languages"] == ["th", "en"]  # type: ignore[index]
    status, failed = await run_cli(
        service, monkeypatch, capsys, "settings", "set", "--seller", seller_id, "--languages", "xx"
    )
    assert status == 1 and "INVALID_ARGUMENT: languages:" in str(failed["error"])
    status, answer = await run_cli(
        service, monkeypatch, capsys, "kill-switch", "on", "--reason", "drill"
    )
    assert status == 0 and answer["engaged"] is True
    monkeypatch.setenv("PARLEY_TENANTS_TOKEN", TOKENS["gateway"])
    assert await asyncio.to_thread(cli.main, ["kill-switch", "off"]) == 1
    assert "PERMISSION_DENIED" in capsys.readouterr().err
