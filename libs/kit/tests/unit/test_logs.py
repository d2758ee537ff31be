"""The one JSON log format: fields, trace ids inside spans, exceptions, and redaction."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from parley_kit.logs import JsonFormatter, configure_logging
from parley_kit.redaction import MASK
from parley_kit.secrets import Secret

Lines = Callable[[], list[dict[str, Any]]]
FAKE_TOKEN = "EAA" + "B1234567890123456xyz"  # Page-token shaped; built, not a literal


def parse(stream: io.StringIO) -> list[dict[str, Any]]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def logger() -> Iterator[tuple[logging.Logger, Lines]]:
    """A logger of its own writing JSON lines to a buffer, and a reader of those lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("pricing"))
    log = logging.getLogger(f"parley.test.{uuid.uuid4().hex[:8]}")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    yield log, lambda: parse(stream)
    log.removeHandler(handler)


def test_a_line_carries_time_level_service_logger_and_message(
    logger: tuple[logging.Logger, Lines],
) -> None:
    log, lines = logger
    log.warning("offer %s from %s", 8500, "buyer-1")
    [line] = lines()
    assert line["level"] == "warning"
    assert line["service"] == "pricing"
    assert line["logger"] == log.name
    assert line["message"] == "offer 8500 from buyer-1"
    logged_at = datetime.fromisoformat(line["time"])
    assert logged_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - logged_at) < timedelta(seconds=5)
    assert line["time"].endswith("+00:00")
    assert len(line["time"].split("T")[1].split("+")[0]) == len("12:34:56.789")


def test_each_record_is_exactly_one_line(logger: tuple[logging.Logger, Lines]) -> None:
    log, lines = logger
    log.info("first\nsecond line")
    log.debug("third")
    first, second = lines()
    assert first["message"] == "first\nsecond line"
    assert second["level"] == "debug"


def test_extra_fields_become_json_fields(logger: tuple[logging.Logger, Lines]) -> None:
    log, lines = logger
    when = datetime(2025, 1, 2, tzinfo=UTC)
    log.info(
        "offer recorded",
        extra={"conversation_id": "c-1", "amount": 8500, "tags": ["firm"], "at": when},
    )
    [line] = lines()
    assert line["conversation_id"] == "c-1"
    assert line["amount"] == 8500
    assert line["tags"] == ["firm"]
    assert line["at"] == str(when)
    for internal in ("args", "msg", "levelno", "pathname", "created", "taskName", "exc_info"):
        assert internal not in line


def test_extra_fields_cannot_overwrite_the_standard_fields(
    logger: tuple[logging.Logger, Lines],
) -> None:
    log, lines = logger
    log.info("hello", extra={"service": "impostor", "level": "fatal", "time": "then"})
    [line] = lines()
    assert line["service"] == "pricing"
    assert line["level"] == "info"
    assert line["time"] != "then"


def test_non_ascii_text_is_kept_readable(logger: tuple[logging.Logger, Lines]) -> None:
    log, lines = logger
    log.info("ราคา %s บาท", 8500)
    [line] = lines()
    assert line["message"] == "ราคา 8500 บาท"


def test_trace_and_span_ids_are_absent_outside_a_span(
    logger: tuple[logging.Logger, Lines], spans: InMemorySpanExporter
) -> None:
    log, lines = logger
    log.info("no span here")
    [line] = lines()
    assert "trace_id" not in line
    assert "span_id" not in line


def test_trace_and_span_ids_are_those_of_the_current_span(
    logger: tuple[logging.Logger, Lines], spans: InMemorySpanExporter
) -> None:
    log, lines = logger
    with trace.get_tracer(__name__).start_as_current_span("work") as span:
        log.info("inside")
    context = span.get_span_context()
    [line] = lines()
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert len(line["trace_id"]) == 32
    assert len(line["span_id"]) == 16


def test_exceptions_are_logged_with_their_traceback(logger: tuple[logging.Logger, Lines]) -> None:
    log, lines = logger
    try:
        raise ValueError("bad offer")
    except ValueError:
        log.exception("handling failed")
    [line] = lines()
    assert line["level"] == "error"
    assert line["message"] == "handling failed"
    assert "Traceback (most recent call last)" in line["exception"]
    assert "ValueError: bad offer" in line["exception"]


def test_no_exception_field_without_an_exception(logger: tuple[logging.Logger, Lines]) -> None:
    log, lines = logger
    log.error("plain error")
    [line] = lines()
    assert "exception" not in line


def test_registered_secrets_are_redacted_in_message_args_and_extras(
    logger: tuple[logging.Logger, Lines],
) -> None:
    log, lines = logger
    value = f"page-token-{uuid.uuid4().hex[:10]}"
    secret = Secret(value)
    log.info(f"message has {value}", extra={"token": value, "nested": {"deep": [value]}})
    log.info("arg has %s", value)
    log.info("secret object %s", secret, extra={"wrapped": secret})
    raw = "".join(json.dumps(line) for line in lines())
    assert value not in raw
    first, second, third = lines()
    assert first["message"] == f"message has {MASK}"
    assert first["token"] == MASK
    assert first["nested"] == {"deep": [MASK]}
    assert second["message"] == f"arg has {MASK}"
    assert value not in third["message"]
    assert value not in third["wrapped"]


def test_secret_patterns_are_redacted_in_exceptions(logger: tuple[logging.Logger, Lines]) -> None:
    log, lines = logger
    try:
        raise RuntimeError("graph said no to access_token=" + FAKE_TOKEN)
    except RuntimeError:
        log.exception("call failed for %s", "https://graph/me?access_token=abc123")
    [line] = lines()
    assert FAKE_TOKEN not in line["exception"]
    assert "abc123" not in line["message"]
    assert line["message"] == f"call failed for https://graph/me?access_token={MASK}"


def test_secrets_that_json_must_escape_are_still_redacted(
    logger: tuple[logging.Logger, Lines],
) -> None:
    log, lines = logger
    value = f'quo"te\\back-{uuid.uuid4().hex[:8]}'
    Secret(value)
    log.info("connecting with %s", value, extra={"password_hint": value})
    [line] = lines()
    assert line["message"] == f"connecting with {MASK}"
    assert line["password_hint"] == MASK


def test_redaction_never_breaks_the_json(logger: tuple[logging.Logger, Lines]) -> None:
    log, lines = logger
    log.info('access_token=abc\\"def and password="x\\y"')
    [line] = lines()
    assert line["message"].startswith(f"access_token={MASK}")
    assert "abc" not in line["message"]


@pytest.fixture
def root_logging() -> Iterator[logging.Logger]:
    """The root logger, restored after the test."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_configure_logging_sends_every_logger_to_the_stream(root_logging: logging.Logger) -> None:
    stream = io.StringIO()
    configure_logging("gateway", "warning", stream=stream)
    assert root_logging.level == logging.WARNING
    assert len(root_logging.handlers) == 1
    logging.getLogger("some.library").warning("careful")
    logging.getLogger("some.library").info("dropped below the level")
    [line] = parse(stream)
    assert line["service"] == "gateway"
    assert line["logger"] == "some.library"
    assert line["message"] == "careful"


def test_configure_logging_replaces_earlier_handlers(root_logging: logging.Logger) -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("gateway", stream=first)
    configure_logging("gateway", stream=second)
    logging.getLogger("x").warning("once")
    assert first.getvalue() == ""
    assert len(parse(second)) == 1
