"""Analytics configuration, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from parley_kit.callers import read_callers, token_table
from parley_kit.metrics import read_metrics_port
from parley_kit.secrets import Secret
from parley_kit.settings import DatabaseSettings, Env

DEFAULT_PORT = 50054  # DESIGN.md: tenants 50051, negotiation 50052, delivery 50053, analytics 50054


@dataclass(frozen=True)
class Streams:
    """The streams analytics reads (declared by the services that publish to them)."""

    inbound: str
    inbound_prefix: str
    negotiation: str
    negotiation_prefix: str
    delivery: str
    delivery_prefix: str
    tenants: str
    tenants_prefix: str

    @classmethod
    def read(cls, env: Env) -> Streams:
        """The PARLEY_*_STREAM and PARLEY_*_SUBJECT_PREFIX variables, with the producers'
        defaults."""
        return cls(
            inbound=env.text("PARLEY_INBOUND_STREAM", "PARLEY_INBOUND"),
            inbound_prefix=env.text("PARLEY_INBOUND_SUBJECT_PREFIX", "parley.inbound"),
            negotiation=env.text("PARLEY_NEGOTIATION_STREAM", "PARLEY_NEGOTIATION"),
            negotiation_prefix=env.text("PARLEY_NEGOTIATION_SUBJECT_PREFIX", "parley.negotiation"),
            delivery=env.text("PARLEY_DELIVERY_STREAM", "PARLEY_DELIVERY"),
            delivery_prefix=env.text("PARLEY_DELIVERY_SUBJECT_PREFIX", "parley.delivery"),
            tenants=env.text("PARLEY_TENANTS_STREAM", "PARLEY_TENANTS"),
            tenants_prefix=env.text("PARLEY_TENANTS_SUBJECT_PREFIX", "parley.tenants"),
        )


@dataclass(frozen=True)
class AnalyticsSettings:
    """Everything `parley analytics serve` reads from the environment."""

    db: DatabaseSettings
    nats_url: str
    host: str
    port: int
    callers: Mapping[str, Secret]
    auth_disabled: bool
    streams: Streams
    durable: str
    batch: int
    max_in_flight: int
    startup_wait_s: float
    metrics_port: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AnalyticsSettings:
        """Read and validate; SettingsError names every missing or malformed variable."""
        env = Env(environ)
        raw_callers = env.secret("PARLEY_ANALYTICS_CALLERS", Secret(""))
        auth_disabled = env.flag("PARLEY_ANALYTICS_AUTH_DISABLED", False)
        settings = cls(
            db=DatabaseSettings.read(env, "analytics"),
            nats_url=env.url("PARLEY_NATS_URL", schemes=("nats", "tls")),
            host=env.text("PARLEY_ANALYTICS_HOST", "127.0.0.1"),
            port=env.integer("PARLEY_ANALYTICS_PORT", DEFAULT_PORT, low=0, high=65535),
            callers={},
            auth_disabled=auth_disabled,
            streams=Streams.read(env),
            durable=env.text("PARLEY_ANALYTICS_DURABLE", "analytics"),
            batch=env.integer("PARLEY_ANALYTICS_BATCH", 256, low=1, high=5000),
            max_in_flight=env.integer("PARLEY_ANALYTICS_MAX_IN_FLIGHT", 1024, low=1, high=100_000),
            startup_wait_s=env.decimal("PARLEY_STARTUP_WAIT_S", 30.0, low=0.0, high=600.0),
            metrics_port=read_metrics_port(env),
        )
        env.check()
        callers = read_callers(
            raw_callers.reveal(), auth_disabled=auth_disabled, service="ANALYTICS"
        )
        return replace(settings, callers=callers)

    def caller_tokens(self) -> dict[str, str]:
        """token -> caller name, for the gRPC auth interceptor."""
        return token_table(self.callers)
