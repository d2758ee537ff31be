"""PARLEY_<SERVICE>_CALLERS: read the same way by every gRPC service."""

from __future__ import annotations

import pytest

from parley_kit.callers import parse_callers, read_callers, token_table
from parley_kit.settings import SettingsError

GOOD = "gateway=g-token-0123456789abc,operator=o-token-0123456789abc"


def test_callers_map_names_to_secret_tokens() -> None:
    callers = read_callers(GOOD, auth_disabled=False, service="DELIVERY")
    assert set(callers) == {"gateway", "operator"}
    assert "g-token" not in repr(callers)
    assert token_table(callers) == {
        "g-token-0123456789abc": "gateway",
        "o-token-0123456789abc": "operator",
    }


@pytest.mark.parametrize(
    ("raw", "disabled", "message"),
    [
        ("", False, "PARLEY_DELIVERY_CALLERS is required"),
        (GOOD, True, "PARLEY_DELIVERY_AUTH_DISABLED=true: choose one"),
        ("gateway=short", False, "tokens of 16+ characters"),
        ("gateway=g-token-0123456789abc,gateway=x-token-0123456789abc", False, "listed twice"),
    ],
)
def test_bad_callers_are_refused_naming_the_variable(
    raw: str, disabled: bool, message: str
) -> None:
    with pytest.raises(SettingsError, match="PARLEY_DELIVERY_") as refused:
        read_callers(raw, auth_disabled=disabled, service="DELIVERY")
    assert message in str(refused.value)
    assert "0123456789" not in str(refused.value)


def test_no_callers_is_fine_when_auth_is_disabled() -> None:
    assert read_callers("", auth_disabled=True, service="DELIVERY") == {}
    assert parse_callers(" , ") == {}
