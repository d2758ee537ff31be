"""Load for the end-to-end benchmarks: signed webhooks POSTed to the gateway at a steady rate,
and the emulator's record of Send API calls matched back to them.

The generator is deliberately small: every request (body, signature, headers) is built before
the clock starts, and each of a few dozen keep-alive connections writes prepared bytes and reads
the short answer, so it spends a few percent of one core where an HTTP client library would
compete with the mesh for the two cores. Latency runs from the moment a message was due (not
when a free connection sent it), so a slow gateway cannot hide behind the generator.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from parley_devstack.bench_stats import Step
from parley_devstack.run import http_json

REPLY_PREFIX = "parley:message:"
REPLY_SUFFIX = ":reply"
QUESTIONS = (
    "is this still available?",
    "what's the mileage?",
    "where is it located?",
    "is the price negotiable?",
)


@dataclass(frozen=True)
class Target:
    """A buyer of a Page: who writes."""

    page_id: str
    psid: str


@dataclass
class Load:
    """Messages of one step: their mids, due times (wall clock, s) and prepared requests."""

    mids: list[str]
    due: list[float]
    requests: list[bytes]
    statuses: list[int] = field(default_factory=list)


def webhook_body(target: Target, mid: str, text: str, at_ms: int) -> bytes:
    """One buyer message as Meta's webhook carries it (compact JSON)."""
    item = {
        "sender": {"id": target.psid},
        "recipient": {"id": target.page_id},
        "timestamp": at_ms,
        "message": {"mid": mid, "text": text},
    }
    entry = {"id": target.page_id, "time": at_ms, "messaging": [item]}
    return json.dumps({"object": "page", "entry": [entry]}, separators=(",", ":")).encode()


def signed_request(host: str, body: bytes, secret: str) -> bytes:
    """A complete keep-alive HTTP/1.1 POST /webhook with Meta's signature header."""
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    head = (
        f"POST /webhook HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"X-Hub-Signature-256: sha256={signature}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def plan(
    targets: Sequence[Target], *, rate: float, count: int, start: float, secret: str, host: str
) -> Load:
    """`count` messages due at `rate` from wall time `start`, round-robin over the targets."""
    run = f"{int(start * 1000):x}"
    load = Load([], [], [])
    for index in range(count):
        target = targets[index % len(targets)]
        due = start + index / rate
        mid = f"m_bench_{run}_{index}"
        text = QUESTIONS[(index // len(targets)) % len(QUESTIONS)]
        body = webhook_body(target, mid, text, int(due * 1000))
        load.mids.append(mid)
        load.due.append(due)
        load.requests.append(signed_request(host, body, secret))
    return load


async def _answer_status(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _worker(port: int, queue: asyncio.Queue[int], load: Load) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            index = await queue.get()
            if index < 0:
                return
            writer.write(load.requests[index])
            try:
                load.statuses[index] = await _answer_status(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                load.statuses[index] = 0
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def drive(port: int, load: Load, connections: int) -> None:
    """Hand each message to a free connection when it is due; wait for every answer."""
    load.statuses = [-1] * len(load.requests)
    queue: asyncio.Queue[int] = asyncio.Queue()
    workers = [asyncio.create_task(_worker(port, queue, load)) for _ in range(connections)]
    index = 0
    while index < len(load.due):
        now = time.time()
        while index < len(load.due) and load.due[index] <= now:
            queue.put_nowait(index)
            index += 1
        if index < len(load.due):
            await asyncio.sleep(max(0.0, load.due[index] - time.time()))
    for _ in workers:
        queue.put_nowait(-1)
    await asyncio.gather(*workers)


def reply_mid(metadata: str) -> str | None:
    """The buyer message a reply answers, from the metadata delivery puts on its Send API call
    (`parley:message:<mid>:reply:<part>|...`); None for anything else."""
    own = metadata.split("|", 1)[0]
    key, sep, part = own.rpartition(":")
    if not sep or part != "0" or not key.startswith(REPLY_PREFIX):
        return None
    if not key.endswith(REPLY_SUFFIX):
        return None
    return key[len(REPLY_PREFIX) : -len(REPLY_SUFFIX)]


def sent_total(emulator: str) -> int:
    """How many Send API calls the emulator accepted so far."""
    return int(http_json("GET", f"{emulator}/_emulator/sent?limit=0")["total"])


def wait_for_replies(emulator: str, after: int, count: int, timeout: float) -> None:
    """Until `count` sends were accepted after index `after`, or nothing moved for `timeout` s."""
    seen, moved = -1, time.monotonic()
    while time.monotonic() - moved < timeout:
        done = sent_total(emulator) - after
        if done >= count:
            return
        if done != seen:
            seen, moved = done, time.monotonic()
        time.sleep(0.25)


def reply_times(emulator: str, after: int) -> dict[str, float]:
    """mid -> wall time (s) of the first Send API call answering it, for sends after `after`."""
    answer: dict[str, Any] = http_json("GET", f"{emulator}/_emulator/sent?after={after}&limit=0")
    rows = http_json("GET", f"{emulator}/_emulator/sent?after={after}&limit={answer['count']}")
    times: dict[str, float] = {}
    for row in rows["items"]:
        mid = reply_mid(str(row.get("metadata") or ""))
        if mid is not None and mid not in times:
            times[mid] = float(row["time"]) / 1000
    return times


def measure(load: Load, times: dict[str, float], rate: float, cpu: float) -> Step:
    """The step's figures from what was due and when each answer reached the Send API."""
    seconds = len(load.due) / rate
    end = load.due[0] + seconds if load.due else 0.0
    latencies = tuple(
        (times[mid] - due) * 1000
        for mid, due in zip(load.mids, load.due, strict=True)
        if mid in times
    )
    return Step(
        rate=rate,
        seconds=seconds,
        sent=len(load.mids),
        answered=len(latencies),
        rejected=sum(1 for status in load.statuses if status != 200),
        replies_in_window=sum(1 for mid in load.mids if times.get(mid, end + 1) <= end),
        latencies_ms=latencies,
        generator_cpu=cpu / seconds if seconds else 0.0,
    )
