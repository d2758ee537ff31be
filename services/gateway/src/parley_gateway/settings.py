"""Gateway configuration, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from parley_kit.secrets import Secret
from parley_kit.settings import Env, SettingsError

# HMAC keys shorter than this are refused: the dashboard secret signs every session.
MIN_DASHBOARD_SECRET = 32


@dataclass(frozen=True)
class DashboardSettings:
    """The seller dashboard: on when PARLEY_DASHBOARD_SECRET is set."""

    secret: Secret
    public_url: str
    login_ttl_s: int
    session_ttl_s: int
    rpc_timeout_s: float

    @property
    def enabled(self) -> bool:
        """Whether the gateway serves the dashboard."""
        return bool(self.secret)

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS when the public URL is HTTPS."""
        return urlsplit(self.public_url).scheme == "https"

    @classmethod
    def read(cls, env: Env) -> DashboardSettings:
        """The dashboard's variables (check `env` afterwards, then call `validate`)."""
        return cls(
            secret=env.secret("PARLEY_DASHBOARD_SECRET", Secret("")),
            public_url=env.url(
                "PARLEY_PUBLIC_URL", "http://127.0.0.1:8080", schemes=("http", "https")
            ).rstrip("/"),
            login_ttl_s=env.integer("PARLEY_DASHBOARD_LOGIN_TTL_S", 900, low=30, high=7 * 86400),
            session_ttl_s=env.integer(
                "PARLEY_DASHBOARD_SESSION_TTL_S", 12 * 3600, low=60, high=30 * 86400
            ),
            rpc_timeout_s=env.decimal("PARLEY_DASHBOARD_RPC_TIMEOUT_S", 5.0, low=0.1, high=30.0),
        )

    def validate(self) -> None:
        """SettingsError when the secret is set but too short to sign with."""
        if self.secret and len(self.secret.reveal()) < MIN_DASHBOARD_SECRET:
            raise SettingsError(
                "invalid configuration:\n  PARLEY_DASHBOARD_SECRET is malformed: "
                f"use at least {MIN_DASHBOARD_SECRET} characters"
            )


@dataclass(frozen=True)
class GatewaySettings:
    """Everything the gateway reads from the environment."""

    app_secret: Secret
    verify_token: Secret
    nats_url: str
    host: str
    port: int
    max_body_bytes: int
    publish_timeout_s: float
    stream: str
    subject_prefix: str
    dedup_window_s: float
    max_age_s: float
    replicas: int
    log_level: str
    tenants_address: str
    tenants_token: Secret
    negotiation_address: str
    negotiation_token: Secret
    delivery_address: str
    delivery_token: Secret
    analytics_address: str
    analytics_token: Secret
    dashboard: DashboardSettings

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> GatewaySettings:
        """Read and validate; raises SettingsError naming every missing or malformed variable."""
        env = Env(environ)
        settings = cls(
            app_secret=env.secret("FACEBOOK_APP_SECRET"),
            verify_token=env.secret("FACEBOOK_VERIFY_TOKEN"),
            nats_url=env.url("PARLEY_NATS_URL", schemes=("nats", "tls")),
            host=env.text("PARLEY_GATEWAY_HOST", "127.0.0.1"),
            port=env.integer("PARLEY_GATEWAY_PORT", 8080, low=0, high=65535),
            max_body_bytes=env.integer("PARLEY_GATEWAY_MAX_BODY_BYTES", 1 << 20, low=1024),
            publish_timeout_s=env.decimal(
                "PARLEY_GATEWAY_PUBLISH_TIMEOUT_S", 3.0, low=0.05, high=4.5
            ),
            stream=env.text("PARLEY_INBOUND_STREAM", "PARLEY_INBOUND"),
            subject_prefix=env.text("PARLEY_INBOUND_SUBJECT_PREFIX", "parley.inbound"),
            dedup_window_s=env.decimal("PARLEY_INBOUND_DEDUP_WINDOW_S", 3600.0, low=1.0),
            max_age_s=env.decimal("PARLEY_INBOUND_MAX_AGE_S", 7 * 86400.0, low=60.0),
            replicas=env.integer("PARLEY_NATS_REPLICAS", 1, low=1, high=5),
            log_level=env.text("PARLEY_LOG_LEVEL", "INFO"),
            tenants_address=env.text("PARLEY_TENANTS_ADDR", "127.0.0.1:50051"),
            tenants_token=env.secret("PARLEY_TENANTS_TOKEN", Secret("")),
            negotiation_address=env.text("PARLEY_NEGOTIATION_ADDR", "127.0.0.1:50052"),
            negotiation_token=env.secret("PARLEY_NEGOTIATION_TOKEN", Secret("")),
            delivery_address=env.text("PARLEY_DELIVERY_ADDR", "127.0.0.1:50053"),
            delivery_token=env.secret("PARLEY_DELIVERY_TOKEN", Secret("")),
            analytics_address=env.text("PARLEY_ANALYTICS_ADDR", "127.0.0.1:50054"),
            analytics_token=env.secret("PARLEY_ANALYTICS_TOKEN", Secret("")),
            dashboard=DashboardSettings.read(env),
        )
        env.check()
        settings.dashboard.validate()
        return settings
