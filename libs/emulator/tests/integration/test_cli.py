"""`parley emulator serve` as a real process: flags, demo seed, state on SIGINT."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from parley_emulator.bench import free_port, wait_ready

pytestmark = pytest.mark.integration
PARLEY = Path(sys.executable).parent / "parley"
DEMO_PAGE, DEMO_BUYER = "100200300400500", "7000000000000001"


def serve(*args: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [str(PARLEY), "emulator", "serve", "--port", str(port), *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, process)
    return process, url


def stop(process: subprocess.Popen[bytes]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=15)
    return process.returncode, out.decode(), err.decode()


def test_serve_starts_with_the_demo_seed_and_saves_state_on_sigint(tmp_path: Path) -> None:
    state = tmp_path / "emulator-state.json"
    process, url = serve("--state", str(state), "--webhook-url", "http://127.0.0.1:9/hook")
    try:
        pages = httpx.get(f"{url}/_emulator/pages").json()["data"]
        assert pages[0]["id"] == DEMO_PAGE and pages[0]["name"] == "Dana's Bikes"
        apps = httpx.get(f"{url}/_emulator/apps").json()["data"]
        assert apps[0]["callback_url"] == "http://127.0.0.1:9/hook"
        sent = httpx.post(
            f"{url}/_emulator/buyers/{DEMO_BUYER}/messages", json={"text": "Is it still for sale?"}
        )
        assert sent.status_code == 200
    finally:
        code, _, err = stop(process)
    assert code == 0 and "Traceback" not in err
    saved = json.loads(state.read_text())
    [thread] = saved["threads"]
    assert thread["items"][0]["text"] == "Is it still for sale?"

    process, url = serve("--state", str(state))
    try:
        thread = httpx.get(f"{url}/_emulator/threads/{DEMO_PAGE}/{DEMO_BUYER}").json()
        assert thread["items"][0]["text"] == "Is it still for sale?"
    finally:
        stop(process)


def test_serve_prints_how_to_chat_and_accepts_a_seed_file(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "apps": [{"id": "1", "secret": "s"}],
                "pages": [{"id": "22", "name": "Seeded Page", "app_id": "1"}],
                "buyers": [{"psid": "333", "page_id": "22"}],
            }
        )
    )
    process, url = serve("--seed", str(seed), "--send-rate", "5")
    try:
        config = httpx.get(f"{url}/_emulator/config").json()
        assert config["send_rate_per_page"] == 5
    finally:
        _, out, _ = stop(process)
    assert "Seeded Page" in out and "parley emulator chat --page 22 --psid 333" in out


def test_serve_refuses_a_broken_seed(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text("[1, 2]")
    result = subprocess.run(
        [str(PARLEY), "emulator", "serve", "--seed", str(seed)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "cannot load" in result.stderr
