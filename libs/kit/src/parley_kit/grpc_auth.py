"""Caller authentication for gRPC: bearer tokens in, the caller's name in a contextvar."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc

from parley_kit.errors import PermissionDenied, Unauthenticated
from parley_kit.grpc_interceptors import Context, Guard, GuardingInterceptor

_log = logging.getLogger(__name__)

AUTHORIZATION = "authorization"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Caller:
    """Who is calling; `unrestricted` only when authentication is switched off."""

    name: str
    unrestricted: bool = False


_caller: ContextVar[Caller | None] = ContextVar("parley_grpc_caller", default=None)


def current_caller() -> str:
    """The authenticated caller of the RPC being handled (Unauthenticated outside of one)."""
    caller = _caller.get()
    if caller is None:
        raise Unauthenticated("no authenticated caller")
    return caller.name


def require_caller(*allowed: str) -> str:
    """The current caller's name if it is one of `allowed`, else PermissionDenied."""
    caller = _caller.get()
    if caller is None:
        raise Unauthenticated("no authenticated caller")
    if not caller.unrestricted and caller.name not in allowed:
        raise PermissionDenied(f"caller {caller.name!r} may not call this method")
    return caller.name


def bearer_token(metadata: Iterable[tuple[str, str | bytes]] | None) -> str | None:
    """The token of the first `authorization: Bearer <token>` entry, if any."""
    for key, value in metadata or ():
        if key != AUTHORIZATION or not isinstance(value, str):
            continue
        scheme, _, token = value.strip().partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            return token
        return None
    return None


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class CallerAuthInterceptor(GuardingInterceptor):
    """Maps `authorization: Bearer <token>` to a caller name; unknown or missing: UNAUTHENTICATED.

    `tokens` maps token -> caller name; only their SHA-256 digests are kept. An empty mapping is
    refused unless `auth_disabled=True` is passed on purpose (local development): then every call
    is let through as the unrestricted caller "anonymous".
    """

    def __init__(self, tokens: Mapping[str, str], *, auth_disabled: bool = False) -> None:
        if auth_disabled and tokens:
            raise ValueError("caller tokens given but authentication is disabled")
        if not auth_disabled and not tokens:
            raise ValueError("no caller tokens: pass auth_disabled=True to run without auth")
        if any(not token or not name for token, name in tokens.items()):
            raise ValueError("caller tokens and names must not be empty")
        self._disabled = auth_disabled
        self._digests = tuple((_digest(token), name) for token, name in tokens.items())
        if auth_disabled:
            _log.warning("gRPC caller authentication is disabled: every caller is trusted")

    def identify(self, metadata: Iterable[tuple[str, str | bytes]] | None) -> Caller | None:
        """The caller the metadata's bearer token belongs to, or None."""
        if self._disabled:
            return Caller(ANONYMOUS, unrestricted=True)
        token = bearer_token(metadata)
        if token is None:
            return None
        digest = _digest(token)
        found: str | None = None
        # Compare against every entry, without stopping early, each in constant time.
        for known, name in self._digests:
            if hmac.compare_digest(known, digest):
                found = name
        return None if found is None else Caller(found)

    def guard(self, details: grpc.HandlerCallDetails) -> Guard:
        caller = self.identify(details.invocation_metadata)

        @asynccontextmanager
        async def authenticated(context: Context) -> AsyncIterator[None]:
            if caller is None:
                await context.abort(
                    grpc.StatusCode.UNAUTHENTICATED, "missing or unknown caller token"
                )
            reset = _caller.set(caller)
            try:
                yield
            finally:
                _caller.reset(reset)

        return authenticated


M = TypeVar("M", bound=Callable[..., Awaitable[Any]])


def rights_guard(rights: Mapping[str, tuple[str, ...]]) -> Callable[[M], M]:
    """A decorator for servicer methods: callers that `rights[method name]` does not list get
    PERMISSION_DENIED. A method missing from the table is a KeyError at import: every RPC must
    say who may call it."""

    def guard(method: M) -> M:
        allowed = rights[method.__name__]

        @functools.wraps(method)
        async def check(*args: Any, **kwargs: Any) -> Any:
            require_caller(*allowed)
            return await method(*args, **kwargs)

        return check  # type: ignore[return-value]

    return guard
