"""Tenants configuration, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from parley_kit.callers import read_callers, token_table
from parley_kit.graph import GraphConfig
from parley_kit.metrics import read_metrics_port
from parley_kit.secrets import Secret
from parley_kit.settings import DatabaseSettings, Env

DEFAULT_GRAPH_URL = "http://127.0.0.1:8090"  # the Messenger emulator of `make run`


@dataclass(frozen=True)
class TenantsSettings:
    """Everything `parley tenants serve` reads from the environment."""

    db: DatabaseSettings
    graph: GraphConfig
    dialog_url: str
    nats_url: str
    encryption_keys: tuple[Secret, ...]
    host: str
    port: int
    callers: Mapping[str, Secret]
    auth_disabled: bool
    public_url: str
    state_secret: Secret
    state_ttl_s: int
    connect_link_ttl_s: int
    token_check_interval_s: float
    stream: str
    subject_prefix: str
    replicas: int
    outbox_poll_s: float
    delivery_address: str
    delivery_token: Secret
    profile_retry_s: float
    metrics_port: int | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TenantsSettings:
        """Read and validate; raises SettingsError naming every missing or malformed variable."""
        env = Env(environ)
        raw_callers = env.secret("PARLEY_TENANTS_CALLERS", Secret(""))
        auth_disabled = env.flag("PARLEY_TENANTS_AUTH_DISABLED", False)
        settings = cls(
            callers={},
            auth_disabled=auth_disabled,
            db=DatabaseSettings.read(env, "tenants"),
            graph=GraphConfig.from_env(env, default_url=DEFAULT_GRAPH_URL),
            dialog_url=env.text("FACEBOOK_DIALOG_URL", ""),
            nats_url=env.url("PARLEY_NATS_URL", schemes=("nats", "tls")),
            encryption_keys=tuple(Secret(key) for key in env.csv("PARLEY_ENCRYPTION_KEYS")),
            host=env.text("PARLEY_TENANTS_HOST", "127.0.0.1"),
            port=env.integer("PARLEY_TENANTS_PORT", 50051, low=0, high=65535),
            public_url=env.url(
                "PARLEY_PUBLIC_URL", "http://127.0.0.1:8080", schemes=("http", "https")
            ).rstrip("/"),
            state_secret=env.secret("PARLEY_STATE_SECRET", Secret("")),
            state_ttl_s=env.integer("PARLEY_OAUTH_STATE_TTL_S", 600, low=60, high=3600),
            connect_link_ttl_s=env.integer(
                "PARLEY_CONNECT_LINK_TTL_S", 14 * 86400, low=3600, high=90 * 86400
            ),
            token_check_interval_s=env.decimal("PARLEY_TOKEN_CHECK_INTERVAL_S", 3600.0, low=0.0),
            stream=env.text("PARLEY_TENANTS_STREAM", "PARLEY_TENANTS"),
            subject_prefix=env.text("PARLEY_TENANTS_SUBJECT_PREFIX", "parley.tenants"),
            replicas=env.integer("PARLEY_NATS_REPLICAS", 1, low=1, high=5),
            outbox_poll_s=env.decimal("PARLEY_OUTBOX_POLL_S", 0.5, low=0.01, high=60.0),
            delivery_address=env.text("PARLEY_DELIVERY_ADDR", ""),
            delivery_token=env.secret("PARLEY_DELIVERY_TOKEN", Secret("")),
            profile_retry_s=env.decimal("PARLEY_PROFILE_RETRY_S", 60.0, low=0.1, high=3600.0),
            metrics_port=read_metrics_port(env),
        )
        env.check()
        callers = read_callers(raw_callers.reveal(), auth_disabled=auth_disabled, service="TENANTS")
        return replace(settings, callers=callers)

    def caller_tokens(self) -> dict[str, str]:
        """token -> caller name, as CallerAuthInterceptor takes it."""
        return token_table(self.callers)
