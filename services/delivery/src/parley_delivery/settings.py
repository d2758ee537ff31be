"""Delivery configuration, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from parley_delivery.domain.pacing import Pacing
from parley_delivery.domain.ratelimit import Backoff, Bucket
from parley_delivery.domain.splitting import TEXT_LIMIT
from parley_delivery.service_layer.unit import Policy
from parley_kit.callers import read_callers, token_table
from parley_kit.graph import GraphConfig
from parley_kit.metrics import read_metrics_port
from parley_kit.secrets import Secret
from parley_kit.settings import DatabaseSettings, Env, SettingsError

DEFAULT_GRAPH_URL = "http://127.0.0.1:8090"  # the Messenger emulator of `make run`
DEFAULT_PORT = 50053  # DESIGN.md: tenants 50051, negotiation 50052, delivery 50053
TRANSPORTS = ("aiohttp", "httpx")


@dataclass(frozen=True)
class Streams:
    """Where reply commands and inbound events come from, and where outcomes go."""

    replies: str
    replies_prefix: str
    inbound: str
    inbound_prefix: str
    events: str
    events_prefix: str
    replicas: int

    @classmethod
    def read(cls, env: Env) -> Streams:
        """The PARLEY_*_STREAM and PARLEY_*_SUBJECT_PREFIX variables."""
        return cls(
            replies=env.text("PARLEY_REPLIES_STREAM", "PARLEY_REPLIES"),
            replies_prefix=env.text("PARLEY_REPLIES_SUBJECT_PREFIX", "parley.replies"),
            inbound=env.text("PARLEY_INBOUND_STREAM", "PARLEY_INBOUND"),
            inbound_prefix=env.text("PARLEY_INBOUND_SUBJECT_PREFIX", "parley.inbound"),
            events=env.text("PARLEY_DELIVERY_STREAM", "PARLEY_DELIVERY"),
            events_prefix=env.text("PARLEY_DELIVERY_SUBJECT_PREFIX", "parley.delivery"),
            replicas=env.integer("PARLEY_NATS_REPLICAS", 1, low=1, high=5),
        )


def read_pacing(env: Env) -> Pacing:
    """PARLEY_DELIVERY_PACING and its knobs."""
    return Pacing(
        enabled=env.flag("PARLEY_DELIVERY_PACING", True),
        base_s=env.decimal("PARLEY_DELIVERY_PACING_BASE_S", 1.0, low=0.0, high=60.0),
        chars_per_s=env.decimal("PARLEY_DELIVERY_TYPING_CHARS_PER_S", 25.0, low=1.0, high=1000.0),
        jitter=env.decimal("PARLEY_DELIVERY_PACING_JITTER", 0.25, low=0.0, high=0.9),
        cap_s=env.decimal("PARLEY_DELIVERY_PACING_CAP_S", 8.0, low=0.0, high=20.0),
    )


def read_policy(env: Env, graph_timeout_s: float) -> Policy:
    """The sending policy: pace, rate, retries, deadlines."""
    echo_wait = env.decimal("PARLEY_DELIVERY_ECHO_WAIT_S", 10.0, low=0.0, high=300.0)
    return Policy(
        pacing=read_pacing(env),
        bucket=Bucket(
            rate=env.decimal("PARLEY_DELIVERY_PAGE_RATE", 40.0, low=0.1, high=280.0),
            burst=env.decimal("PARLEY_DELIVERY_PAGE_BURST", 20.0, low=1.0, high=280.0),
        ),
        backoff=Backoff(
            base_s=env.decimal("PARLEY_DELIVERY_RETRY_BASE_S", 0.2, low=0.01, high=60.0),
            cap_s=env.decimal("PARLEY_DELIVERY_RETRY_CAP_S", 30.0, low=0.1, high=600.0),
        ),
        rate_backoff=Backoff(
            base_s=env.decimal("PARLEY_DELIVERY_RATE_BACKOFF_S", 1.0, low=0.01, high=60.0),
            cap_s=60.0,
        ),
        text_limit=env.integer("PARLEY_DELIVERY_TEXT_LIMIT", TEXT_LIMIT, low=100, high=TEXT_LIMIT),
        give_up_after=timedelta(
            seconds=env.decimal("PARLEY_DELIVERY_GIVE_UP_AFTER_S", 1800.0, low=1.0, high=86400.0)
        ),
        echo_wait_s=echo_wait,
        hold_s=env.decimal("PARLEY_DELIVERY_HOLD_S", 30.0, low=0.05, high=3600.0),
        # An attempt's lease outlives its Send API call and the echo wait that may follow.
        lease_s=graph_timeout_s + echo_wait + 5.0,
        lag_grace_s=env.decimal("PARLEY_DELIVERY_LAG_GRACE_S", 10.0, low=0.0, high=300.0),
        attempt_budget_s=env.decimal("PARLEY_DELIVERY_ATTEMPT_BUDGET_S", 60.0, low=1.0),
        profile_calls=env.integer("PARLEY_DELIVERY_PROFILE_CALLS", 10, low=1, high=10),
        profile_window_s=env.decimal("PARLEY_DELIVERY_PROFILE_WINDOW_S", 600.0, low=1.0),
    )


@dataclass(frozen=True)
class DeliverySettings:
    """Everything `parley delivery serve` reads from the environment."""

    db: DatabaseSettings
    graph: GraphConfig
    nats_url: str
    streams: Streams
    policy: Policy
    host: str
    port: int
    callers: Mapping[str, Secret]
    auth_disabled: bool
    tenants_address: str
    tenants_token: Secret
    token_ttl_s: float
    max_in_flight: int
    outbox_poll_s: float
    graph_transport: str
    metrics_port: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DeliverySettings:
        """Read and validate; raises SettingsError naming every missing or malformed variable."""
        env = Env(environ)
        raw_callers = env.secret("PARLEY_DELIVERY_CALLERS", Secret(""))
        auth_disabled = env.flag("PARLEY_DELIVERY_AUTH_DISABLED", False)
        graph = GraphConfig.from_env(env, default_url=DEFAULT_GRAPH_URL)
        try:
            policy = read_policy(env, graph.timeout_s)
        except ValueError as exc:
            env.check()  # a malformed variable explains it, with the others
            raise SettingsError(f"invalid configuration:\n  {exc}") from None
        settings = cls(
            callers={},
            auth_disabled=auth_disabled,
            db=DatabaseSettings.read(env, "delivery"),
            graph=graph,
            nats_url=env.url("PARLEY_NATS_URL", schemes=("nats", "tls")),
            streams=Streams.read(env),
            policy=policy,
            host=env.text("PARLEY_DELIVERY_HOST", "127.0.0.1"),
            port=env.integer("PARLEY_DELIVERY_PORT", DEFAULT_PORT, low=0, high=65535),
            tenants_address=env.text("PARLEY_TENANTS_ADDR", "127.0.0.1:50051"),
            tenants_token=env.secret("PARLEY_TENANTS_TOKEN", Secret("")),
            token_ttl_s=env.decimal("PARLEY_DELIVERY_TOKEN_TTL_S", 30.0, low=0.0, high=3600.0),
            max_in_flight=env.integer("PARLEY_DELIVERY_MAX_IN_FLIGHT", 4096, low=1, high=100_000),
            outbox_poll_s=env.decimal("PARLEY_OUTBOX_POLL_S", 0.5, low=0.01, high=60.0),
            graph_transport=env.text("PARLEY_DELIVERY_GRAPH_TRANSPORT", "aiohttp"),
            metrics_port=read_metrics_port(env),
        )
        if settings.graph_transport not in TRANSPORTS:
            env.check()
            raise SettingsError(
                "invalid configuration:\n  PARLEY_DELIVERY_GRAPH_TRANSPORT: aiohttp or httpx"
            )
        env.check()
        callers = read_callers(
            raw_callers.reveal(), auth_disabled=auth_disabled, service="DELIVERY"
        )
        return replace(settings, callers=callers)

    def caller_tokens(self) -> dict[str, str]:
        """token -> caller name, as CallerAuthInterceptor takes it."""
        return token_table(self.callers)
