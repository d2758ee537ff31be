"""Runtime knobs of the emulator, changed through `PUT /_emulator/config` or the seed file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(slots=True)
class EmulatorConfig:
    """Limits and webhook behaviour; defaults follow Meta (MESSENGER.md)."""

    send_rate_per_page: int = 300
    profile_calls: int = 10
    profile_window_s: float = 600.0
    webhook_timeout_s: float = 5.0
    retry_initial_s: float = 0.5
    retry_max_s: float = 60.0
    give_up_after_s: float = 3600.0
    unsubscribe_on_give_up: bool = True
    batch_max: int = 50
    batch_wait_ms: int = 0
    delivery_delay_s: float | None = 0.2
    read_delay_s: float | None = 1.0
    duplicate_share: float = 0.0
    webhook_seed: int | None = None
    login_user_id: str | None = None
    clock_offset_ms: int = 0

    def to_json(self) -> dict[str, Any]:
        """Every knob and its value."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def update(self, values: Mapping[str, Any]) -> None:
        """Set known knobs, checking types; raise ValueError on an unknown or mistyped one."""
        known = {f.name: f for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown config key {name!r}")
            current = getattr(self, name)
            setattr(self, name, _coerce(name, value, current, str(known[name].type)))


def _coerce(name: str, value: Any, current: Any, declared: str) -> Any:
    if value is None:
        if "None" not in declared:
            raise ValueError(f"config key {name!r} cannot be null")
        return None
    if "bool" in declared:
        if not isinstance(value, bool):
            raise ValueError(f"config key {name!r} must be true or false")
        return value
    if "str" in declared:
        return str(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"config key {name!r} must be a number")
    return int(value) if declared.startswith("int") else float(value)
