"""Tracing set-up (in a subprocess: the global provider is set once a process) and W3C context."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from parley_kit import tracing

TRACED_PROGRAM = textwrap.dedent(
    """
    import json, sys
    from opentelemetry import trace
    from parley_kit import tracing

    tracing.configure_tracing("fallback-name")
    tracer = trace.get_tracer("probe")
    with tracer.start_as_current_span("outer"):
        with tracer.start_as_current_span("inner") as inner:
            inner.set_attribute("offer.amount", 8500)
            carrier = {}
            tracing.inject(carrier)
    tracing.shutdown_tracing()
    print(json.dumps(carrier))
    """
)


def run_traced_program(tmp_path: Path, **env: str) -> tuple[dict[str, str], str]:
    """Run the program with a clean tracing environment plus `env`; its carrier and stderr."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    environ.pop(tracing.TRACE_FILE_ENV, None)
    environ.update(env)
    done = subprocess.run(
        [sys.executable, "-c", TRACED_PROGRAM],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    carrier: dict[str, str] = json.loads(done.stdout)
    return carrier, done.stderr


def read_spans(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_trace_file_receives_every_span_as_one_json_line(tmp_path: Path) -> None:
    trace_file = tmp_path / "spans.jsonl"
    carrier, stderr = run_traced_program(
        tmp_path, PARLEY_TRACE_FILE=str(trace_file), OTEL_SERVICE_NAME="pricing"
    )
    assert stderr == ""
    inner, outer = read_spans(trace_file)
    assert (inner["name"], outer["name"]) == ("inner", "outer")
    assert inner["context"]["trace_id"] == outer["context"]["trace_id"]
    assert inner["parent_id"] == outer["context"]["span_id"]
    assert outer["parent_id"] is None
    assert inner["attributes"] == {"offer.amount": 8500}
    assert inner["resource"]["attributes"]["service.name"] == "pricing"
    trace_id = inner["context"]["trace_id"].removeprefix("0x")
    span_id = inner["context"]["span_id"].removeprefix("0x")
    version, sent_trace_id, sent_span_id, flags = carrier["traceparent"].split("-")
    assert (version, sent_trace_id, sent_span_id) == ("00", trace_id, span_id)
    assert int(flags, 16) & 0x01, "sampled"


def test_the_trace_file_is_appended_to_under_the_given_service_name(tmp_path: Path) -> None:
    trace_file = tmp_path / "spans.jsonl"
    trace_file.write_text('{"name": "earlier"}\n', encoding="utf-8")
    run_traced_program(tmp_path, PARLEY_TRACE_FILE=str(trace_file))
    earlier, *spans = read_spans(trace_file)
    assert earlier == {"name": "earlier"}
    assert [span["name"] for span in spans] == ["inner", "outer"]
    assert {span["resource"]["attributes"]["service.name"] for span in spans} == {"fallback-name"}


def test_without_exporters_trace_ids_are_still_real(tmp_path: Path) -> None:
    carrier, stderr = run_traced_program(tmp_path)
    assert stderr == ""
    version, trace_id, span_id, _flags = carrier["traceparent"].split("-")
    assert version == "00"
    assert int(trace_id, 16) != 0
    assert int(span_id, 16) != 0
    assert list(tmp_path.iterdir()) == []


def test_the_json_lines_exporter_writes_spans_of_any_provider(tmp_path: Path) -> None:
    path = tmp_path / "local.jsonl"
    exporter = tracing.JsonLinesSpanExporter(str(path))
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("local")
    with tracer.start_as_current_span("one"):
        pass
    with tracer.start_as_current_span("two"):
        pass
    provider.shutdown()
    assert [span["name"] for span in read_spans(path)] == ["one", "two"]
    assert "\n" not in path.read_text(encoding="utf-8").rstrip("\n").split("\n")[0]


def test_inject_then_extract_continues_the_trace(spans: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer(__name__)
    headers: dict[str, str] = {}
    with tracer.start_as_current_span("publish") as publisher:
        tracing.inject(headers)
    assert set(headers) >= {"traceparent"}
    with tracer.start_as_current_span("consume", context=tracing.extract(headers)) as consumer:
        pass
    sent, received = publisher.get_span_context(), consumer.get_span_context()
    assert received.trace_id == sent.trace_id
    assert received.span_id != sent.span_id
    [finished_consumer] = [s for s in spans.get_finished_spans() if s.name == "consume"]
    assert finished_consumer.parent is not None
    assert finished_consumer.parent.span_id == sent.span_id
    assert finished_consumer.parent.is_remote


def test_inject_takes_an_explicit_context(spans: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer(__name__)
    with tracer.start_as_current_span("elsewhere") as span:
        context = trace.set_span_in_context(span)
    headers: dict[str, str] = {}
    tracing.inject(headers, context)
    trace_id = format(span.get_span_context().trace_id, "032x")
    assert headers["traceparent"].split("-")[1] == trace_id


def test_inject_outside_a_span_writes_nothing(spans: InMemorySpanExporter) -> None:
    headers: dict[str, str] = {}
    tracing.inject(headers)
    assert "traceparent" not in headers


def test_tracestate_survives_the_round_trip(spans: InMemorySpanExporter) -> None:
    incoming = {
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "tracestate": "vendor=opaque",
    }
    with trace.get_tracer(__name__).start_as_current_span(
        "hop", context=tracing.extract(incoming)
    ) as span:
        outgoing: dict[str, str] = {}
        tracing.inject(outgoing)
    assert format(span.get_span_context().trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert outgoing["tracestate"] == "vendor=opaque"
    assert outgoing["traceparent"].startswith("00-0af7651916cd43dd8448eb211c80319c-")


def test_extract_without_a_usable_carrier_gives_no_parent() -> None:
    for carrier in (None, {}, {"traceparent": "not-a-traceparent"}, {"other": "header"}):
        context = tracing.extract(carrier)
        assert not trace.get_current_span(context).get_span_context().is_valid


def test_current_trace_headers_match_the_w3c_propagator(spans: InMemorySpanExporter) -> None:
    tracer = trace.get_tracer("test")
    with tracer.start_as_current_span("outer"):
        expected: dict[str, str] = {}
        tracing.inject(expected)
        assert tracing.current_trace_headers() == expected
    assert tracing.current_trace_headers() == {}


def test_current_trace_headers_carry_tracestate(spans: InMemorySpanExporter) -> None:
    carrier = {
        "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "tracestate": "vendor=abc",
    }
    with trace.get_tracer("test").start_as_current_span("child", context=tracing.extract(carrier)):
        headers = tracing.current_trace_headers()
    assert headers["traceparent"].startswith("00-0af7651916cd43dd8448eb211c80319c-")
    assert headers["tracestate"] == "vendor=abc"
