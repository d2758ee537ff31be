"""/webhook over a real socket against a real NATS JetStream, fed hostile input: never a 5xx;
a bad signature is 403 and stores nothing; a signed body of the wrong shape is 400 and stores
nothing; a signed Page webhook is 200, stores each valid event exactly once, accounts for every
item (stored, duplicate or skipped) and puts nothing malformed on the stream; the subscription
check echoes the challenge only to the right mode and token."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from nats.js import JetStreamContext
from prometheus_client.parser import text_string_to_metric_families

from parley.events.v1.inbound_pb2 import InboundEvent
from parley_gateway.bootstrap import build_app
from parley_gateway.settings import GatewaySettings
from parley_kit import bus
from parley_testkit import messenger as fb
from parley_testkit.asgi import serve_app
from parley_testkit.http_fuzz import HEADER_ALPHABET, Tally, encode, not_json
from parley_testkit.messenger_fuzz import (
    BLANK_MID,
    bad_entries,
    not_a_webhook,
    page_entries,
    valid_text,
)

pytestmark = pytest.mark.integration
SECRET = "fuzz-app-secret"
VERIFY = "fuzz-verify-token"
MAX_BODY = 64 * 1024
TALLY = Tally("gateway /webhook fuzz")
FUZZ = settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_COUNTED = ("parley_gateway_events_duplicate", "parley_gateway_events_skipped")
_LISTS = ("messaging", "standby", "changes")
_mids = itertools.count()


@dataclass(frozen=True)
class Stored:
    """One message of the inbound stream."""

    subject: str
    headers: dict[str, str]
    event: InboundEvent


@dataclass
class Gateway:
    url: str
    http: httpx.AsyncClient
    js: JetStreamContext
    stream: str
    prefix: str

    async def post(
        self, body: bytes, signature: str | None, content_type: str | None, chunked: bool = False
    ) -> httpx.Response:
        headers = {"X-Hub-Signature-256": signature, "Content-Type": content_type}
        sent = {name: value for name, value in headers.items() if value is not None}
        content = _chunks(body) if chunked else body
        return await self.http.post(f"{self.url}/webhook", content=content, headers=sent)

    async def post_json(self, payload: dict[str, Any]) -> httpx.Response:
        body = encode(payload)
        return await self.post(body, fb.signature(SECRET, body), "application/json")

    async def last_seq(self) -> int:
        return int((await self.js.stream_info(self.stream)).state.last_seq)

    async def stored_after(self, seq: int) -> list[Stored]:
        found = []
        for n in range(seq + 1, await self.last_seq() + 1):
            msg = await self.js.get_msg(self.stream, n)
            event = InboundEvent.FromString(msg.data or b"")
            found.append(Stored(msg.subject or "", dict(msg.headers or {}), event))
        return found

    async def not_stored(self) -> int:
        """Items counted as duplicates or skipped since the gateway started."""
        metrics = (await self.http.get(f"{self.url}/metrics")).text
        return int(
            sum(
                sample.value
                for family in text_string_to_metric_families(metrics)
                if family.name in _COUNTED
                for sample in family.samples
                if sample.name.endswith("_total")
            )
        )


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, max(len(body), 1), 16_384):
        yield body[start : start + 16_384]


@pytest.fixture(scope="module", autouse=True)
def _report_inputs() -> Iterator[None]:
    yield
    TALLY.write()


@pytest.fixture
async def gateway(nats_url: str, unique_id: str) -> AsyncIterator[Gateway]:
    settings = GatewaySettings.from_env(
        {
            "FACEBOOK_APP_SECRET": SECRET,
            "FACEBOOK_VERIFY_TOKEN": VERIFY,
            "PARLEY_NATS_URL": nats_url,
            "PARLEY_INBOUND_STREAM": f"FUZZ_{unique_id}",
            "PARLEY_INBOUND_SUBJECT_PREFIX": f"t{unique_id}.inbound",
            "PARLEY_GATEWAY_MAX_BODY_BYTES": str(MAX_BODY),
        }
    )
    nc = await bus.connect(nats_url, name="fuzz-checker")
    async with serve_app(build_app(settings)) as url, httpx.AsyncClient(timeout=20) as http:
        gw = Gateway(url, http, nc.jetstream(), settings.stream, settings.subject_prefix)
        while (await http.get(f"{url}/readyz")).status_code != 200:
            pass
        yield gw
    with contextlib.suppress(Exception):
        await gw.js.delete_stream(settings.stream)
    await nc.drain()


@st.composite
def forged_signature(draw: st.DrawFn, body: bytes) -> str | None:
    """A signature header that is anything but the body's true signature."""
    good = fb.signature(SECRET, body)
    forgeries: list[str | None] = [
        None,
        "",
        draw(st.text(HEADER_ALPHABET, min_size=1, max_size=90)),
        "sha256=" + draw(st.binary(min_size=32, max_size=32)).hex(),
        fb.signature(SECRET + "-other", body),
        fb.signature(SECRET, body + b" "),
        "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest(),
        good[:-1],
        "SHA256=" + good.removeprefix("sha256="),
        good[:-1] + ("1" if good.endswith("0") else "0"),
        good + "0",
    ]
    return draw(st.sampled_from(forgeries))


CONTENT_TYPES = st.one_of(
    st.none(),
    st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded", "a/b; charset=x"]
    ),
    st.text(HEADER_ALPHABET, min_size=1, max_size=40),
)
ANY_BODY = st.one_of(
    st.text(max_size=50).map(lambda text: encode(fb.envelope(fb.text("m_forged", text)))),
    not_json(),
    st.integers(MAX_BODY + 1, 2 * MAX_BODY).map(lambda n: b"x" * n),
)


@FUZZ
@given(body=ANY_BODY, data=st.data(), content_type=CONTENT_TYPES, chunked=st.booleans())
async def test_without_the_true_signature_a_post_is_refused_and_stores_nothing(
    gateway: Gateway, body: bytes, data: st.DataObject, content_type: str | None, chunked: bool
) -> None:
    header = data.draw(forged_signature(body))
    before = await gateway.last_seq()
    answer = await gateway.post(body, header, content_type, chunked)
    TALLY.add("POST forged", answer.status_code)
    assert answer.status_code == (413 if len(body) > MAX_BODY else 403), answer.text
    assert await gateway.last_seq() == before


@FUZZ
@given(body=not_a_webhook(), content_type=CONTENT_TYPES)
async def test_a_signed_body_that_is_not_a_webhook_is_400_and_stores_nothing(
    gateway: Gateway, body: bytes, content_type: str | None
) -> None:
    before = await gateway.last_seq()
    answer = await gateway.post(body, fb.signature(SECRET, body), content_type)
    TALLY.add("POST signed, not a webhook", answer.status_code)
    assert answer.status_code == 400, answer.text
    assert answer.text.startswith("malformed webhook"), answer.text
    assert await gateway.last_seq() == before


@FUZZ
@given(good=page_entries(), bad=bad_entries(), at=st.integers(0, 3))
async def test_one_malformed_entry_refuses_the_whole_webhook(
    gateway: Gateway, good: list[dict[str, Any]], bad: object, at: int
) -> None:
    entries = _with_mids(good)
    before = await gateway.last_seq()
    answer = await gateway.post_json(
        {"object": "page", "entry": [*entries[:at], bad, *entries[at:]]}
    )
    TALLY.add("POST signed, one bad entry", answer.status_code)
    assert answer.status_code == 400, answer.text
    assert answer.text.startswith("malformed webhook"), answer.text
    assert await gateway.last_seq() == before


@settings(FUZZ, max_examples=50)
@given(entries=page_entries(), kind=st.text(max_size=12))
async def test_a_webhook_of_another_object_is_ignored(
    gateway: Gateway, entries: list[dict[str, Any]], kind: str
) -> None:
    assume(kind != "page")
    before = await gateway.last_seq()
    answer = await gateway.post_json({"object": kind, "entry": _with_mids(entries)})
    TALLY.add("POST signed, other object", answer.status_code)
    assert (answer.status_code, answer.text) == (200, "ignored")
    assert await gateway.last_seq() == before


@FUZZ
@given(entries=page_entries())
async def test_a_signed_page_webhook_stores_each_valid_event_once_and_nothing_malformed(
    gateway: Gateway, entries: list[dict[str, Any]]
) -> None:
    payload = {"object": "page", "entry": _with_mids(entries)}
    before, not_stored = await gateway.last_seq(), await gateway.not_stored()
    answer = await gateway.post_json(payload)
    TALLY.add("POST signed page webhook", answer.status_code)
    assert (answer.status_code, answer.text) == (200, "EVENT_RECEIVED")
    stored = await gateway.stored_after(before)
    TALLY.measure("events stored by signed page webhooks", len(stored))
    for found in stored:
        _assert_well_formed(gateway, found, {str(entry["id"]) for entry in entries})
    _assert_each_valid_message_stored_once(entries, stored)
    accounted = len(stored) + await gateway.not_stored() - not_stored
    TALLY.measure("items skipped or duplicate", accounted - len(stored))
    assert accounted == sum(len(entry.get(key, [])) for entry in entries for key in _LISTS)
    again = await gateway.post_json(payload)
    assert (again.status_code, await gateway.last_seq()) == (200, before + len(stored))


def _with_mids(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries, with a fresh mid in every valid message."""
    for entry in entries:
        for item in itertools.chain(entry["messaging"], entry.get("standby", [])):
            if valid_text(item):
                item["message"]["mid"] = f"{BLANK_MID}{next(_mids)}"
    return entries


def _assert_well_formed(gateway: Gateway, found: Stored, page_ids: set[str]) -> None:
    event = found.event
    kind = event.WhichOneof("kind")
    assert kind is not None and event.page_id in page_ids, event
    assert found.subject == f"{gateway.prefix}.{event.page_id}.{kind}"
    assert 0 < len(event.event_id) <= 200
    assert found.headers[bus.MSG_ID_HEADER] == event.event_id
    event.occurred_at.ToDatetime()
    event.received_at.ToDatetime()


def _assert_each_valid_message_stored_once(
    entries: list[dict[str, Any]], stored: list[Stored]
) -> None:
    by_mid: dict[str, list[InboundEvent]] = {}
    for found in stored:
        by_mid.setdefault(found.event.message.mid, []).append(found.event)
    for entry in entries:
        for key in ("messaging", "standby"):
            for item in filter(valid_text, entry.get(key, [])):
                events = by_mid.get(item["message"]["mid"], [])
                assert len(events) == 1, item
                assert events[0].message.text == item["message"]["text"]
                assert (events[0].page_id, events[0].standby) == (
                    str(entry["id"]),
                    key != "messaging",
                )
                assert events[0].sender_id == item["sender"]["id"]


PARAMS = st.one_of(st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge"]), st.text())
VALUES = st.one_of(
    st.sampled_from(["subscribe", VERIFY, ""]),
    st.text(max_size=20),
    st.text(min_size=250, max_size=262),
)
RIGHT = [("hub.mode", "subscribe"), ("hub.verify_token", VERIFY)]


@FUZZ
@given(
    pairs=st.one_of(
        st.lists(st.tuples(PARAMS, VALUES), max_size=5),
        st.lists(st.tuples(PARAMS, VALUES), max_size=3).map(lambda extra: RIGHT + extra),
        st.tuples(VALUES, st.lists(st.tuples(PARAMS, VALUES), max_size=2)).map(
            lambda drawn: [*drawn[1], *RIGHT, ("hub.challenge", drawn[0])]
        ),
    )
)
async def test_verification_echoes_the_challenge_only_to_the_right_mode_and_token(
    gateway: Gateway, pairs: list[tuple[str, str]]
) -> None:
    answer = await gateway.http.get(f"{gateway.url}/webhook?{urlencode(pairs)}")
    TALLY.add("GET verification", answer.status_code)
    params = dict(pairs)  # the last value of a repeated name counts
    challenge = params.get("hub.challenge", "")
    if params.get("hub.mode") != "subscribe" or params.get("hub.verify_token") != VERIFY:
        assert answer.status_code == 403
    elif 0 < len(challenge) <= 256:
        assert (answer.status_code, answer.text) == (200, challenge)
    else:
        assert answer.status_code == 400
