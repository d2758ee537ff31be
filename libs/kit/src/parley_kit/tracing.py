"""OpenTelemetry set-up and W3C trace-context propagation through NATS headers and gRPC metadata."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, MutableMapping, Sequence
from typing import IO

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    _get_from_env_or_default,
)

from parley.events.v1 import trace_pb2

TRACE_FILE_ENV = "PARLEY_TRACE_FILE"
_provider: TracerProvider | None = None


class JsonLinesSpanExporter(SpanExporter):
    """Appends finished spans to a file, one JSON object a line (for tests and local runs)."""

    def __init__(self, path: str) -> None:
        self._lock = threading.Lock()
        self._file: IO[str] = open(path, "a", encoding="utf-8")

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._lock:
            for span in spans:
                self._file.write(span.to_json(indent=None) + "\n")
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            self._file.close()


def _default_processors(environ: Mapping[str, str]) -> list[SpanProcessor]:
    processors: list[SpanProcessor] = []
    if environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    ):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        processors.append(BatchSpanProcessor(OTLPSpanExporter()))
    if environ.get(TRACE_FILE_ENV):
        processors.append(BatchSpanProcessor(JsonLinesSpanExporter(environ[TRACE_FILE_ENV])))
    return processors


def _sampler(environ: Mapping[str, str], exporting: bool) -> Sampler:
    """OTEL_TRACES_SAMPLER when set; otherwise record everything when spans go somewhere, and
    nothing when they would only be dropped (trace ids are still made and propagated)."""
    if environ.get("OTEL_TRACES_SAMPLER"):
        configured = _get_from_env_or_default()
        return configured
    return ParentBased(ALWAYS_ON if exporting else ALWAYS_OFF)


def configure_tracing(
    service: str,
    processors: Sequence[SpanProcessor] | None = None,
    environ: Mapping[str, str] | None = None,
) -> TracerProvider:
    """Install the SDK tracer provider: OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, a JSON-lines
    file when PARLEY_TRACE_FILE is set, and always real trace ids to propagate."""
    global _provider
    env = os.environ if environ is None else environ
    attributes = {"service.name": env.get("OTEL_SERVICE_NAME", service)}
    chosen = list(processors) if processors is not None else _default_processors(env)
    provider = TracerProvider(
        resource=Resource.create(attributes), sampler=_sampler(env, exporting=bool(chosen))
    )
    for processor in chosen:
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    _provider = provider
    return provider


def shutdown_tracing() -> None:
    """Flush and stop the exporters installed by configure_tracing."""
    if _provider is not None:
        _provider.shutdown()


def inject(carrier: MutableMapping[str, str], context: Context | None = None) -> None:
    """Write the W3C trace context (`traceparent`, `tracestate`) into carrier."""
    propagate.inject(carrier, context=context)


def current_trace_headers() -> dict[str, str]:
    """`traceparent` (and `tracestate`) of the current span, formatted directly (W3C Trace
    Context level 1): the fast path of inject() for hot code; baggage is not carried."""
    span = trace.get_current_span().get_span_context()
    if not span.is_valid:
        return {}
    headers = {"traceparent": f"00-{span.trace_id:032x}-{span.span_id:016x}-{span.trace_flags:02x}"}
    if span.trace_state:
        headers["tracestate"] = span.trace_state.to_header()
    return headers


def trace_context(headers: Mapping[str, str] | None = None) -> trace_pb2.TraceContext:
    """The contracts' TraceContext of these W3C headers, or of the current span: what every
    event and command carries so the next hop continues the trace."""
    found = current_trace_headers() if headers is None else headers
    return trace_pb2.TraceContext(
        traceparent=found.get("traceparent", ""), tracestate=found.get("tracestate", "")
    )


def extract(carrier: Mapping[str, str] | None) -> Context:
    """The context carried by NATS headers or gRPC metadata (an empty context when none)."""
    return propagate.extract(dict(carrier or {}))
