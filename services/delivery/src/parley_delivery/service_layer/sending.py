"""Sending a reply's parts exactly once: claim, rate token, Send API call, record.

Each part is claimed just before its Send API call (`in_doubt` set) and recorded just after
(`in_doubt` cleared, and for the last part the reply's outcome and its event, in the same
statement). A failure that certainly did not send is retried with backoff; one that may have
sent (a lost answer, a crash between the call and the record) is only retried once no echo of
the send came within the echo wait.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from parley_delivery.adapters import ratelimit_repo, replies_repo
from parley_delivery.adapters.events import prepare
from parley_delivery.adapters.recorder import SentPart
from parley_delivery.adapters.tenants import PageUnavailable, TenantsUnreachable
from parley_delivery.domain.events import ReplySent, TokenRejected
from parley_delivery.domain.failures import APP_RATE_CODE, Failure, Step, decide
from parley_delivery.domain.messages import Message, kind_of, metadata_for, send_body
from parley_delivery.domain.model import Outcome, PolicyRule, Reply
from parley_delivery.domain.window import Permit, Refusal
from parley_delivery.service_layer import outcomes
from parley_delivery.service_layer.outcomes import DONE, Hold, Result
from parley_delivery.service_layer.unit import Deps, unit
from parley_kit.graph import GraphError

log = logging.getLogger(__name__)
ECHO_POLL_S = 0.1


@dataclass
class PartSender:
    """One reply's parts, sent in order; one instance per handling of the command."""

    deps: Deps
    reply: Reply
    parts: list[Message]
    permit: Permit
    budget_s: float
    first_claim: replies_repo.Claim | None = None
    message_ids: list[str] = field(default_factory=list)
    attempts: int = 0
    failures: int = 0
    _started: float = field(default_factory=time.monotonic)

    async def run(self) -> Result:
        """Send what is left; DONE once settled, Hold when it must wait for a later delivery."""
        while True:
            claim, self.first_claim = self.first_claim, None
            if claim is None:
                claim = await replies_repo.claim(
                    self.deps.pool,
                    self.reply,
                    lease_s=self.deps.policy.lease_s,
                    bucket=self.deps.policy.bucket,
                )
            if not claim.claimed:
                return unclaimed(claim)
            self.message_ids, self.attempts = claim.message_ids, claim.attempts
            result = await self._attempt(claim)
            if result is not None:
                return result

    async def _attempt(self, claim: replies_repo.Claim) -> Result | None:
        """One claimed attempt at the next part; None to go on with the next claim."""
        part = claim.parts_sent
        if part >= len(self.parts):
            return await self._settle_sent()
        if claim.was_in_doubt and await self._found_echo(part, claim.since_prior_claim_s):
            return None if part + 1 < len(self.parts) else DONE
        if outcomes.expired(self.deps, self.reply):
            await outcomes.drop(self.deps, self.reply, Outcome.EXPIRED, "give-up deadline passed")
            return DONE
        if claim.wait_s > 0:
            await self.deps.sleep(claim.wait_s)
        return await self._call(part)

    async def _call(self, part: int) -> Result | None:
        try:
            token = await self.deps.tokens.token(self.reply.page_id)
        except (PageUnavailable, TenantsUnreachable) as exc:
            self.deps.metrics.send_failed("no_token")
            await replies_repo.release(self.deps.pool, self.reply.idempotency_key, in_doubt=False)
            return await _page_unavailable(self.deps, self.reply, exc)
        try:
            message_id = await self.deps.messenger.send(token, self._body(part))
        except GraphError as error:
            return await self._failed(error)
        await self._record(part, message_id)
        return DONE if part + 1 == len(self.parts) else None

    def _body(self, part: int) -> dict[str, Any]:
        message = dict(self.parts[part])
        message["metadata"] = metadata_for(
            self.reply.idempotency_key, part, self.reply.content.metadata
        )
        return send_body(
            message,
            self.permit,
            recipient_id=self.reply.recipient_id,
            comment_id=self.reply.comment_id if self.reply.private else "",
        )

    async def _record(self, part: int, message_id: str) -> None:
        last = part + 1 == len(self.parts)
        self.message_ids.append(message_id)
        now = self.deps.clock()
        event = None
        if last:
            sent = ReplySent(
                self.reply,
                tuple(self.message_ids),
                self.permit.messaging_type,
                self.permit.tag,
                self.attempts,
                now,
            )
            event = prepare(sent, now, self.deps.subject_prefix)
        await self.deps.recorder.record(
            SentPart(
                idempotency_key=self.reply.idempotency_key,
                part=part,
                message_id=message_id,
                kind=kind_of(self.parts[part]),
                messaging_type=self.permit.messaging_type,
                tag=self.permit.tag,
                last=last,
                event=event,
            )
        )
        self.failures = 0
        if last:
            self.deps.on_events()
            self.deps.metrics.sent(self.reply, now)

    async def _settle_sent(self) -> Result:
        """Every part went out but the reply is not settled: the text was split differently
        when it was sent (the limit changed since). Settle it as that split."""
        self.parts = self.parts[: len(self.message_ids)]
        message_id = self.message_ids.pop()
        await self._record(len(self.message_ids), message_id)
        return DONE

    async def _found_echo(self, part: int, since_claim_s: float | None) -> bool:
        """Whether an earlier attempt at this part went out after all (its echo came)."""
        remaining = self.deps.policy.echo_wait_s - (since_claim_s or 0.0)
        while True:
            message_id = await replies_repo.find_echo(
                self.deps.pool, self.reply.idempotency_key, part
            )
            if message_id is not None:
                log.info("reply %s part %d went out before: its echo came", self.key, part)
                await self._record(part, message_id)
                return True
            if remaining <= 0:
                return False
            await self.deps.sleep(min(ECHO_POLL_S, remaining))
            remaining -= ECHO_POLL_S

    async def _failed(self, error: GraphError) -> Result | None:
        self.deps.metrics.send_failed(str(error.kind))
        decision = decide(
            Failure(str(error.kind), error.code, error.subcode, error.maybe_delivered)
        )
        key = self.reply.idempotency_key
        if decision.step is Step.RECONCILE:
            log.warning("send of %s may have gone out (%s): checking its echo", key, error)
            await replies_repo.release(self.deps.pool, key, in_doubt=True)
            if self._over_budget(self.deps.policy.echo_wait_s):
                return Hold(self.deps.policy.echo_wait_s, "waiting for the echo of a lost answer")
            return None
        await replies_repo.release(self.deps.pool, key, in_doubt=False)
        if decision.step is Step.REPORT_TOKEN:
            return await _token_rejected(self.deps, self.reply, error)
        if decision.step is Step.GIVE_UP:
            return await self._give_up(decision.outcome or Outcome.REJECTED, error)
        return await self._back_off(error, rate_limited=decision.step is Step.BACK_OFF)

    async def _back_off(self, error: GraphError, *, rate_limited: bool) -> Result | None:
        self.failures += 1
        policy = self.deps.policy
        backoff = policy.rate_backoff if rate_limited else policy.backoff
        delay = backoff.delay(self.failures, self.deps.rng)
        if rate_limited:
            # Every instance slows the Page down: the shared bucket goes into debt.
            await ratelimit_repo.penalize(self.deps.pool, self.reply.page_id, policy.bucket, delay)
            if error.code == APP_RATE_CODE:
                log.warning("the app's own rate limit was hit (code 4): backing off %.1fs", delay)
        if self._over_budget(delay):
            return Hold(delay, f"retrying after {error.kind} (code {error.code})")
        if not rate_limited:
            await self.deps.sleep(delay)
        return None

    def _over_budget(self, delay_s: float) -> bool:
        return time.monotonic() - self._started + delay_s > self.budget_s

    @property
    def key(self) -> str:
        """The reply's idempotency key."""
        return self.reply.idempotency_key

    async def _give_up(self, outcome: Outcome, error: GraphError) -> Result:
        if outcome is Outcome.REFUSED:
            refusal = Refusal(PolicyRule.OUTSIDE_WINDOW_PER_META, error.message)
            await outcomes.refuse(self.deps, self.reply, refusal)
        else:
            await outcomes.drop(
                self.deps,
                self.reply,
                outcome,
                error.message,
                code=error.code,
                subcode=error.subcode,
            )
        return DONE


def unclaimed(claim: replies_repo.Claim) -> Result:
    if claim.prior_state is not None and claim.prior_state.final:
        return DONE  # settled meanwhile (another delivery of the same command)
    return Hold(max(0.05, claim.lease_left_s), "another attempt holds the reply")


async def _page_unavailable(deps: Deps, reply: Reply, exc: Exception) -> Result:
    if isinstance(exc, PageUnavailable) and exc.unknown:
        await outcomes.drop(deps, reply, Outcome.REJECTED, str(exc))
        return DONE
    if outcomes.expired(deps, reply):
        await outcomes.drop(deps, reply, Outcome.EXPIRED, f"no token before the deadline: {exc}")
        return DONE
    return Hold(deps.policy.hold_s, str(exc))


async def _token_rejected(deps: Deps, reply: Reply, error: GraphError) -> Result:
    """Graph 190: tenants marks the Page for re-connection and pauses it; the reply waits."""
    reason = f"Send API refused the Page token (190/{error.subcode or '-'})"
    deps.tokens.forget(reply.page_id)
    try:
        await deps.tokens.report_invalid(reply.page_id, reason)
    except (PageUnavailable, TenantsUnreachable) as exc:
        log.warning("could not report the invalid token of page %s: %s", reply.page_id, exc)
        return Hold(deps.policy.backoff.cap_s, "reporting the invalid token")
    async with unit(deps) as work:
        work.emit(TokenRejected(reply.page_id, reason))
    return Hold(deps.policy.hold_s, reason)
