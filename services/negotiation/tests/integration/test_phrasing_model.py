"""ModelPhraser against a real HTTP server playing an OpenAI-compatible API on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from parley_kit.secrets import Secret
from parley_kit.settings import Env
from parley_negotiation.phrasing import Draft, ModelPhraser, Phrased, Reason, phraser_from_env
from parley_testkit.asgi import serve_app

pytestmark = pytest.mark.integration
KEY = "-".join(["sk", "fake", "9f8e7d6c5b4a3210"])  # built at run time: not a token in the source
MODEL = "parley-test-model"
TIMEOUT_S = 0.5
DRAFT = Draft(
    text="Thanks for the offer! The best I can do is $8,200.",
    language="en",
    action="counter",
    allowed_amounts=(Decimal("8200"), Decimal("9000")),
    history=(("buyer", "Is the Civic still available?"), ("buyer", "Would you take 7k?")),
    max_chars=200,
)


@dataclass
class FakeOpenAI:
    """Answers POST /v1/chat/completions as the test sets it; records requests and the key."""

    content: str = ""
    status: int = 200
    finish_reason: str = "stop"
    delay_s: float = 0.0
    garbage: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    bearer_ok: list[bool] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self.complete, methods=["POST"])])

    async def complete(self, request: Request) -> Response:
        # The key is compared here and only the verdict kept, so no assertion can print it.
        self.bearer_ok.append(request.headers.get("authorization") == f"Bearer {KEY}")
        self.requests.append(await request.json())
        if self.delay_s:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), self.delay_s)
        if self.garbage:
            return PlainTextResponse("<html>not json</html>")
        if self.status != 200:
            error = {"error": {"message": "server broke", "type": "server_error"}}
            return JSONResponse(error, status_code=self.status)
        return JSONResponse(self._completion())

    def _completion(self) -> dict[str, Any]:
        message = {"role": "assistant", "content": self.content}
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": MODEL,
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 20, "total_tokens": 140},
        }


@dataclass
class Served:
    fake: FakeOpenAI
    base_url: str


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    fake = FakeOpenAI()
    async with serve_app(fake.app()) as url:
        try:
            yield Served(fake, f"{url}/v1")
        finally:
            fake.release.set()  # a slow answer still pending ends now, so shutdown is quick


@pytest.fixture
async def phraser(served: Served) -> AsyncIterator[ModelPhraser]:
    model = ModelPhraser(
        api_key=Secret(KEY), model=MODEL, base_url=served.base_url, timeout_s=TIMEOUT_S
    )
    try:
        yield model
    finally:
        await model.close()


def assert_one_authorized_request(fake: FakeOpenAI) -> None:
    assert len(fake.requests) == 1  # no retries
    assert fake.bearer_ok == [True]
    request = fake.requests[0]
    assert request["model"] == MODEL
    assert request["messages"][0]["role"] == "system"
    context = json.loads(request["messages"][1]["content"])
    assert context["reply"] == DRAFT.text
    assert context["conversation"][-1] == {"from": "buyer", "text": "Would you take 7k?"}


async def test_a_good_rephrasing_goes_out(
    served: Served, phraser: ModelPhraser, spans: InMemorySpanExporter
) -> None:
    served.fake.content = '"Appreciate the offer! I could let it go for $8,200."'
    phrased = await phraser.phrase(DRAFT)
    assert phrased == Phrased("Appreciate the offer! I could let it go for $8,200.", "model")
    assert_one_authorized_request(served.fake)
    (span,) = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["parley.phrasing.source"] == "model"
    assert span.attributes["parley.phrasing.rejected"] == ""
    assert span.attributes["gen_ai.request.model"] == MODEL
    assert span.attributes["gen_ai.usage.output_tokens"] == 20


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        ({"content": "The best I can do is $7,500."}, Reason.AMOUNT),
        ({"content": "Deal! $8,200 and it's yours."}, Reason.ACCEPTANCE),
        ({"content": "ขอบคุณครับ ราคาต่ำสุด 8,200 บาทครับ"}, Reason.LANGUAGE),
        ({"content": "The best I can do is $8,200. " + "Honestly. " * 30}, Reason.TOO_LONG),
        ({"content": "The best I can do is $8,2", "finish_reason": "length"}, Reason.TOO_LONG),
        ({"content": "   "}, Reason.EMPTY),
        ({"status": 500}, Reason.ERROR),
        ({"status": 401}, Reason.ERROR),
        ({"garbage": True}, Reason.ERROR),
    ],
)
async def test_a_refused_or_failed_answer_sends_the_template(
    served: Served,
    phraser: ModelPhraser,
    spans: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
    settings: dict[str, Any],
    reason: Reason,
) -> None:
    for name, value in settings.items():
        setattr(served.fake, name, value)
    with caplog.at_level(logging.INFO, logger="parley_negotiation.phrasing"):
        phrased = await phraser.phrase(DRAFT)
    assert phrased == Phrased(DRAFT.text, "template", rejected=reason)
    assert_one_authorized_request(served.fake)
    assert reason in caplog.text and KEY not in caplog.text
    (span,) = spans.get_finished_spans()
    assert span.attributes is not None
    assert span.attributes["parley.phrasing.source"] == "template"
    assert span.attributes["parley.phrasing.rejected"] == reason
    texts = (DRAFT.text, served.fake.content)
    assert not any(str(value) in texts for value in span.attributes.values())


async def test_a_slow_answer_times_out_and_sends_the_template(
    served: Served, phraser: ModelPhraser, caplog: pytest.LogCaptureFixture
) -> None:
    served.fake.content = "Appreciate the offer! I could let it go for $8,200."
    served.fake.delay_s = 10
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="parley_negotiation.phrasing"):
        phrased = await phraser.phrase(DRAFT)
    elapsed = time.monotonic() - started
    assert phrased == Phrased(DRAFT.text, "template", rejected=Reason.TIMEOUT)
    assert TIMEOUT_S * 0.9 <= elapsed < TIMEOUT_S + 0.3
    assert_one_authorized_request(served.fake)
    assert KEY not in caplog.text


async def test_an_unreachable_server_sends_the_template() -> None:
    phraser = ModelPhraser(api_key=Secret(KEY), model=MODEL, base_url="http://127.0.0.1:9/v1")
    try:
        phrased = await phraser.phrase(DRAFT)
    finally:
        await phraser.close()
    assert phrased == Phrased(DRAFT.text, "template", rejected=Reason.ERROR)


async def test_the_environment_configures_the_model_phraser(served: Served) -> None:
    env = Env(
        {
            "OPENAI_API_KEY": KEY,
            "OPENAI_BASE_URL": served.base_url,
            "PARLEY_LLM_MODEL": MODEL,
            "PARLEY_LLM_TIMEOUT_S": "2",
        }
    )
    phraser = phraser_from_env(env)
    env.check()
    served.fake.content = "ขอบคุณครับ 8,200 บาทครับ"
    thai = Draft(
        text="ขอบคุณครับ ราคาต่ำสุด 8,200 บาทครับ",
        language="th",
        action="counter",
        allowed_amounts=(Decimal("8200"),),
        history=(("buyer", "7,000 ได้ไหมครับ"),),
    )
    try:
        phrased = await phraser.phrase(thai)
    finally:
        await phraser.close()
    assert phrased == Phrased("ขอบคุณครับ 8,200 บาทครับ", "model")
    assert served.fake.requests[0]["model"] == MODEL and served.fake.bearer_ok == [True]
