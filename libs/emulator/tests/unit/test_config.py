"""Runtime config: known keys with checked types."""

from __future__ import annotations

import pytest

from parley_emulator.config import EmulatorConfig


def test_known_keys_are_set_with_their_types() -> None:
    config = EmulatorConfig()
    config.update(
        {
            "send_rate_per_page": 50.0,
            "read_delay_s": None,
            "batch_max": 5,
            "unsubscribe_on_give_up": False,
            "login_user_id": 42,
        }
    )
    assert config.send_rate_per_page == 50 and isinstance(config.send_rate_per_page, int)
    assert config.read_delay_s is None and config.batch_max == 5
    assert config.unsubscribe_on_give_up is False and config.login_user_id == "42"


@pytest.mark.parametrize(
    "values",
    [
        {"nope": 1},
        {"batch_max": "many"},
        {"send_rate_per_page": None},
        {"unsubscribe_on_give_up": 1},
    ],
)
def test_unknown_or_mistyped_keys_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        EmulatorConfig().update(values)
