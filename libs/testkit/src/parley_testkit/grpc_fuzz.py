"""Malformed-but-well-typed gRPC requests, built from a service's descriptors, and the status
codes a service may answer them with (anything else means it crashed or leaked an error)."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import descriptor as d
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import strategies as st

# A service that understood the request, refused it or could not find it; never UNKNOWN or
# INTERNAL (an unhandled exception) nor DATA_LOSS / UNIMPLEMENTED.
ACCEPTABLE = frozenset(
    {
        grpc.StatusCode.OK,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
    }
)
_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "0", "-1", "100200300400500", "x" * 300, "'; DROP TABLE x;--"]),
)
_INT = st.one_of(st.integers(-(2**31), 2**31 - 1), st.sampled_from([0, -1, 1]))
_LONG = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, -1, 10**15]))


def _scalar(field: d.FieldDescriptor) -> st.SearchStrategy[Any]:
    kinds: dict[int, st.SearchStrategy[Any]] = {
        d.FieldDescriptor.TYPE_STRING: _TEXT,
        d.FieldDescriptor.TYPE_BYTES: st.binary(max_size=40),
        d.FieldDescriptor.TYPE_BOOL: st.booleans(),
        d.FieldDescriptor.TYPE_INT32: _INT,
        d.FieldDescriptor.TYPE_SINT32: _INT,
        d.FieldDescriptor.TYPE_INT64: _LONG,
        d.FieldDescriptor.TYPE_SINT64: _LONG,
        d.FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
        d.FieldDescriptor.TYPE_UINT64: st.integers(0, 2**64 - 1),
        d.FieldDescriptor.TYPE_DOUBLE: st.floats(allow_nan=True),
        d.FieldDescriptor.TYPE_FLOAT: st.floats(width=32, allow_nan=True),
    }
    if field.type == d.FieldDescriptor.TYPE_ENUM and field.enum_type is not None:
        numbers = [value.number for value in field.enum_type.values]
        return st.one_of(st.sampled_from(numbers), st.integers(-5, 50))
    return kinds.get(field.type, st.none())


def messages(descriptor: d.Descriptor, depth: int = 2) -> st.SearchStrategy[Message]:
    """Random instances of a message type: any subset of fields, odd values, nested messages."""
    cls = GetMessageClass(descriptor)
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        nested = field.message_type
        if nested is not None:
            if depth <= 0 or nested.GetOptions().map_entry:
                continue
            value: st.SearchStrategy[Any] = messages(nested, depth - 1)
        else:
            value = _scalar(field)
        if field.is_repeated:
            value = st.lists(value, max_size=3)
        parts[field.name] = value
    names = sorted(parts)

    @st.composite
    def build(draw: st.DrawFn) -> Message:
        chosen = draw(st.lists(st.sampled_from(names), unique=True)) if names else []
        message = cls()
        for name in chosen:
            _set(message, name, draw(parts[name]))
        return message

    return build()


def _set(message: Message, name: str, value: Any) -> None:
    field = message.DESCRIPTOR.fields_by_name[name]
    target = getattr(message, name)
    if field.is_repeated:
        if field.type == d.FieldDescriptor.TYPE_MESSAGE:
            for item in value:
                target.add().CopyFrom(item)
        else:
            target.extend(value)
    elif field.type == d.FieldDescriptor.TYPE_MESSAGE:
        target.CopyFrom(value)
    else:
        setattr(message, name, value)


async def call(
    channel: grpc.aio.Channel, service: d.ServiceDescriptor, method: str, request: Message
) -> grpc.StatusCode:
    """Call one method with a request; the status it ended with."""
    descriptor = service.methods_by_name[method]
    reply = GetMessageClass(descriptor.output_type)
    rpc = channel.unary_unary(
        f"/{service.full_name}/{method}",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=reply.FromString,
    )
    try:
        await rpc(request, timeout=10)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK
