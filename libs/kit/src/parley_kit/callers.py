"""Who may call a gRPC service: `name=token,...` from the environment, read the same way by
every service (`PARLEY_<SERVICE>_CALLERS`, or `PARLEY_<SERVICE>_AUTH_DISABLED=true` locally)."""

from __future__ import annotations

from collections.abc import Mapping

from parley_kit.secrets import Secret
from parley_kit.settings import SettingsError

MIN_TOKEN_CHARS = 16


def parse_callers(raw: str) -> dict[str, Secret]:
    """`name=token,name=token` -> {name: token}; ValueError on a malformed entry."""
    callers: dict[str, Secret] = {}
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, token = (part.strip() for part in entry.partition("="))
        if not sep or not name or len(token) < MIN_TOKEN_CHARS:
            raise ValueError("use name=token pairs, comma-separated, tokens of 16+ characters")
        if name in callers or Secret(token) in callers.values():
            raise ValueError(f"caller {name!r} is listed twice or reuses another's token")
        callers[name] = Secret(token)
    return callers


def read_callers(raw: str, *, auth_disabled: bool, service: str) -> dict[str, Secret]:
    """The callers of `service` (e.g. "TENANTS"), or SettingsError naming the variable."""
    variable = f"PARLEY_{service}_CALLERS"
    try:
        callers = parse_callers(raw)
    except ValueError as exc:
        raise SettingsError(f"invalid configuration:\n  {variable}: {exc}") from None
    if auth_disabled and callers:
        raise SettingsError(
            f"invalid configuration:\n  {variable} is set but "
            f"PARLEY_{service}_AUTH_DISABLED=true: choose one"
        )
    if not auth_disabled and not callers:
        raise SettingsError(
            f"invalid configuration:\n  {variable} is required "
            f"(or PARLEY_{service}_AUTH_DISABLED=true for a local run)"
        )
    return callers


def token_table(callers: Mapping[str, Secret]) -> dict[str, str]:
    """token -> caller name, as CallerAuthInterceptor takes it."""
    return {token.reveal(): name for name, token in callers.items()}
