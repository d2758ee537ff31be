"""Page tokens from the tenants service (IssuePageToken, as caller "delivery"), cached briefly in
memory only, and Graph 190 reported back (ReportTokenInvalid)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import grpc

from parley.tenants.v1 import tenants_pb2 as pb
from parley.tenants.v1.tenants_pb2_grpc import TenantServiceStub
from parley_kit.secrets import Secret

log = logging.getLogger(__name__)
CALL_TIMEOUT_S = 5.0


class PageUnavailable(Exception):
    """Tenants will not give the Page's token now (paused, needs re-connection, kill switch, or
    unknown): the reply waits, or gives up at its deadline."""

    def __init__(self, page_id: str, reason: str, *, unknown: bool = False) -> None:
        super().__init__(f"page {page_id}: {reason}")
        self.reason = reason
        self.unknown = unknown


class TenantsUnreachable(Exception):
    """The tenants service did not answer: try again later."""


@dataclass
class _Cached:
    token: Secret
    expires: float


class PageTokens:
    """IssuePageToken with a short in-memory cache and one call in flight per Page."""

    def __init__(
        self,
        channel: grpc.aio.Channel,
        *,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stub = TenantServiceStub(channel)
        self._ttl = ttl_s
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._inflight: dict[str, asyncio.Future[Secret]] = {}

    async def token(self, page_id: str) -> Secret:
        """The Page's token (PageUnavailable, TenantsUnreachable)."""
        cached = self._cache.get(page_id)
        if cached is not None and cached.expires > self._clock():
            return cached.token
        pending = self._inflight.get(page_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Secret] = asyncio.get_running_loop().create_future()
        self._inflight[page_id] = future
        try:
            token = await self._issue(page_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters may be none
            raise
        finally:
            self._inflight.pop(page_id, None)
        future.set_result(token)
        self._cache[page_id] = _Cached(token, self._clock() + self._ttl)
        return token

    async def _issue(self, page_id: str) -> Secret:
        try:
            answer = await self._stub.IssuePageToken(
                pb.IssuePageTokenRequest(page_id=page_id), timeout=CALL_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as exc:
            raise _translated(page_id, exc) from None
        return Secret(answer.access_token)

    def forget(self, page_id: str) -> None:
        """Drop the Page's cached token (Meta refused it)."""
        self._cache.pop(page_id, None)

    async def report_invalid(self, page_id: str, reason: str) -> None:
        """Tell tenants the token is dead: the Page is marked for re-connection and paused."""
        self.forget(page_id)
        try:
            await self._stub.ReportTokenInvalid(
                pb.ReportTokenInvalidRequest(page_id=page_id, reason=reason),
                timeout=CALL_TIMEOUT_S,
            )
        except grpc.aio.AioRpcError as exc:
            raise _translated(page_id, exc) from None


def _translated(page_id: str, exc: grpc.aio.AioRpcError) -> Exception:
    code = exc.code()
    if code is grpc.StatusCode.FAILED_PRECONDITION:
        return PageUnavailable(page_id, exc.details() or "not available")
    if code is grpc.StatusCode.NOT_FOUND:
        return PageUnavailable(page_id, "not connected to Parley", unknown=True)
    log.warning("tenants call for page %s failed: %s", page_id, code.name)
    return TenantsUnreachable(f"tenants answered {code.name}")
