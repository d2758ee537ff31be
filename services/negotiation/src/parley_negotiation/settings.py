"""Negotiation configuration, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from parley_kit.callers import read_callers, token_table
from parley_kit.metrics import read_metrics_port
from parley_kit.secrets import Secret
from parley_kit.settings import DatabaseSettings, Env


@dataclass(frozen=True)
class NegotiationSettings:
    """Everything `parley negotiation serve` reads from the environment."""

    db: DatabaseSettings
    nats_url: str
    host: str
    port: int
    callers: Mapping[str, Secret]
    auth_disabled: bool
    tenants_address: str
    tenants_token: Secret
    inbound_stream: str
    inbound_prefix: str
    tenants_stream: str
    tenants_prefix: str
    replies_stream: str
    replies_prefix: str
    events_stream: str
    events_prefix: str
    durable: str
    replicas: int
    cache_ttl_s: float
    outbox_poll_s: float
    max_in_flight: int
    startup_wait_s: float
    metrics_port: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> NegotiationSettings:
        """Read and validate; SettingsError names every missing or malformed variable."""
        env = Env(environ)
        raw_callers = env.secret("PARLEY_NEGOTIATION_CALLERS", Secret(""))
        auth_disabled = env.flag("PARLEY_NEGOTIATION_AUTH_DISABLED", False)
        settings = cls(
            db=DatabaseSettings.read(env, "negotiation"),
            nats_url=env.url("PARLEY_NATS_URL", schemes=("nats", "tls")),
            host=env.text("PARLEY_NEGOTIATION_HOST", "127.0.0.1"),
            port=env.integer("PARLEY_NEGOTIATION_PORT", 50052, low=0, high=65535),
            callers={},
            auth_disabled=auth_disabled,
            tenants_address=env.text("PARLEY_TENANTS_ADDR", "127.0.0.1:50051"),
            tenants_token=env.secret("PARLEY_TENANTS_TOKEN", Secret("")),
            inbound_stream=env.text("PARLEY_INBOUND_STREAM", "PARLEY_INBOUND"),
            inbound_prefix=env.text("PARLEY_INBOUND_SUBJECT_PREFIX", "parley.inbound"),
            tenants_stream=env.text("PARLEY_TENANTS_STREAM", "PARLEY_TENANTS"),
            tenants_prefix=env.text("PARLEY_TENANTS_SUBJECT_PREFIX", "parley.tenants"),
            replies_stream=env.text("PARLEY_REPLIES_STREAM", "PARLEY_REPLIES"),
            replies_prefix=env.text("PARLEY_REPLIES_SUBJECT_PREFIX", "parley.replies"),
            events_stream=env.text("PARLEY_NEGOTIATION_STREAM", "PARLEY_NEGOTIATION"),
            events_prefix=env.text("PARLEY_NEGOTIATION_SUBJECT_PREFIX", "parley.negotiation"),
            durable=env.text("PARLEY_NEGOTIATION_DURABLE", "negotiation"),
            replicas=env.integer("PARLEY_NATS_REPLICAS", 1, low=1, high=5),
            cache_ttl_s=env.decimal("PARLEY_NEGOTIATION_CACHE_TTL_S", 60.0, low=0.0, high=3600.0),
            outbox_poll_s=env.decimal("PARLEY_OUTBOX_POLL_S", 0.5, low=0.01, high=60.0),
            max_in_flight=env.integer("PARLEY_NEGOTIATION_MAX_IN_FLIGHT", 256, low=1, high=10000),
            startup_wait_s=env.decimal("PARLEY_STARTUP_WAIT_S", 30.0, low=0.0, high=600.0),
            metrics_port=read_metrics_port(env),
        )
        env.check()
        callers = read_callers(
            raw_callers.reveal(), auth_disabled=auth_disabled, service="NEGOTIATION"
        )
        return replace(settings, callers=callers)

    def caller_tokens(self) -> dict[str, str]:
        """token -> caller name, for the gRPC auth interceptor."""
        return token_table(self.callers)
