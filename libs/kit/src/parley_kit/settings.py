"""Typed settings from the environment that fail loudly on a missing or malformed value."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from parley_kit.secrets import Secret

T = TypeVar("T")
_MISSING = object()


class SettingsError(ValueError):
    """One or more environment variables are missing or malformed; the message lists them all."""


class Env:
    """Reads typed values from an environment mapping, collecting every problem before failing.

    Read all values, then call `check()`: it raises one SettingsError naming every bad variable.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        self._errors: list[str] = []

    def _read(self, name: str, parse: Callable[[str], T], default: object, fallback: T) -> T:
        raw = self._environ.get(name)
        if raw is None or not raw.strip():
            if default is _MISSING:
                self._errors.append(f"{name} is required but not set")
                return fallback
            return default  # type: ignore[return-value]
        try:
            return parse(raw.strip())
        except ValueError as exc:
            self._errors.append(f"{name} is malformed: {exc}")
            return fallback

    def text(self, name: str, default: object = _MISSING) -> str:
        """A string value."""
        return self._read(name, lambda v: v, default, "")

    def secret(self, name: str, default: object = _MISSING) -> Secret:
        """A secret: never shown by repr, str or logs."""
        value = self._read(name, Secret, default, Secret(""))
        return value if isinstance(value, Secret) else Secret(str(value))

    def integer(
        self,
        name: str,
        default: object = _MISSING,
        *,
        low: int | None = None,
        high: int | None = None,
    ) -> int:
        """An integer within [low, high]."""
        return self._read(name, lambda v: _bounded(int(v), low, high), default, 0)

    def decimal(
        self,
        name: str,
        default: object = _MISSING,
        *,
        low: float | None = None,
        high: float | None = None,
    ) -> float:
        """A float within [low, high]."""
        return self._read(name, lambda v: _bounded(_parse_finite(v), low, high), default, 0.0)

    def flag(self, name: str, default: object = _MISSING) -> bool:
        """A boolean: 1/0, true/false, yes/no, on/off."""
        return self._read(name, _parse_bool, default, False)

    def url(self, name: str, default: object = _MISSING, *, schemes: tuple[str, ...]) -> str:
        """A URL with one of the given schemes and a host."""
        return self._read(name, lambda v: _parse_url(v, schemes), default, "")

    def csv(self, name: str, default: object = _MISSING) -> list[str]:
        """A comma-separated list of non-empty items."""
        return self._read(name, _parse_list, default, [])

    def check(self) -> None:
        """Raise SettingsError naming every missing or malformed variable read so far."""
        if self._errors:
            raise SettingsError("invalid configuration:\n  " + "\n  ".join(self._errors))


N = TypeVar("N", int, float)


def _bounded(value: N, low: N | None, high: N | None) -> N:
    if low is not None and value < low:
        raise ValueError(f"{value} is below the minimum {low}")
    if high is not None and value > high:
        raise ValueError(f"{value} is above the maximum {high}")
    return value


def _parse_finite(raw: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(f"{raw!r} is not a finite number")
    return value


def _parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{raw!r} is not a boolean (use true or false)")


def _parse_url(raw: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"expected a {'/'.join(schemes)} URL with a host")
    return raw


def _parse_list(raw: str) -> list[str]:
    items = [item.strip() for item in raw.split(",")]
    if any(not item for item in items):
        raise ValueError("empty item in comma-separated list")
    return items


@dataclass(frozen=True)
class DatabaseSettings:
    """What a service's database commands need (serve, migrate, maintenance)."""

    database_url: Secret
    schema: str
    log_level: str

    @classmethod
    def read(cls, env: Env, service: str) -> DatabaseSettings:
        """PARLEY_DATABASE_URL, PARLEY_<SERVICE>_SCHEMA (default: the service's name) and
        PARLEY_LOG_LEVEL."""
        return cls(
            database_url=env.secret("PARLEY_DATABASE_URL"),
            schema=env.text(f"PARLEY_{service.upper()}_SCHEMA", service.lower()),
            log_level=env.text("PARLEY_LOG_LEVEL", "INFO"),
        )
