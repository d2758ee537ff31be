"""Typed settings from the environment: every type, defaults, bounds, and one error for all."""

from __future__ import annotations

import pytest

from parley_kit.secrets import Secret
from parley_kit.settings import Env, SettingsError


def errors_of(env: Env) -> str:
    with pytest.raises(SettingsError) as caught:
        env.check()
    return str(caught.value)


def test_text_reads_the_value_and_strips_whitespace() -> None:
    env = Env({"NAME": "  gateway \n"})
    assert env.text("NAME") == "gateway"
    env.check()


def test_a_missing_required_value_is_reported_by_name() -> None:
    env = Env({})
    assert env.text("PARLEY_SERVICE") == ""
    assert "PARLEY_SERVICE is required but not set" in errors_of(env)


def test_an_empty_value_counts_as_missing() -> None:
    env = Env({"PARLEY_SERVICE": ""})
    env.text("PARLEY_SERVICE")
    assert "PARLEY_SERVICE is required" in errors_of(env)


def test_a_blank_value_counts_as_missing() -> None:
    env = Env({"PARLEY_SERVICE": "   ", "PORT": " "})
    env.text("PARLEY_SERVICE")
    env.integer("PORT")
    message = errors_of(env)
    assert "PARLEY_SERVICE is required" in message
    assert "PORT is required" in message


def test_defaults_apply_only_when_the_variable_is_unset() -> None:
    env = Env({"SET": "given"})
    assert env.text("SET", "fallback") == "given"
    assert env.text("UNSET", "fallback") == "fallback"
    assert env.integer("PORT", 8080) == 8080
    assert env.decimal("RATIO", 0.25) == 0.25
    assert env.flag("DEBUG", False) is False
    assert env.csv("HOSTS", ["a", "b"]) == ["a", "b"]
    assert env.url("DB", "postgresql://db/app", schemes=("postgresql",)) == "postgresql://db/app"
    env.check()


def test_a_none_default_makes_a_variable_optional() -> None:
    env = Env({})
    assert env.text("OPTIONAL", None) is None
    env.check()


def test_reads_os_environ_when_no_mapping_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_TEST_SETTING", "from-os")
    assert Env().text("PARLEY_TEST_SETTING") == "from-os"


@pytest.mark.parametrize(
    ("raw", "expected"), [("0", 0), ("8080", 8080), ("-3", -3), (" 42 ", 42), ("1_000", 1000)]
)
def test_integer_parses_whole_numbers(raw: str, expected: int) -> None:
    env = Env({"N": raw})
    assert env.integer("N") == expected
    env.check()


@pytest.mark.parametrize("raw", ["abc", "1.5", "0x10", "12abc", "∞"])
def test_integer_rejects_what_is_not_a_whole_number(raw: str) -> None:
    env = Env({"N": raw})
    assert env.integer("N") == 0
    assert "N is malformed" in errors_of(env)


def test_integer_bounds_are_inclusive() -> None:
    env = Env({"LOW": "1", "HIGH": "65535"})
    assert env.integer("LOW", low=1, high=65535) == 1
    assert env.integer("HIGH", low=1, high=65535) == 65535
    env.check()


def test_integer_outside_its_bounds_is_reported_with_the_bound() -> None:
    env = Env({"BELOW": "0", "ABOVE": "70000"})
    env.integer("BELOW", low=1)
    env.integer("ABOVE", high=65535)
    message = errors_of(env)
    assert "BELOW is malformed: 0 is below the minimum 1" in message
    assert "ABOVE is malformed: 70000 is above the maximum 65535" in message


@pytest.mark.parametrize(("raw", "expected"), [("0.5", 0.5), ("2", 2.0), ("-1e-3", -0.001)])
def test_decimal_parses_floats(raw: str, expected: float) -> None:
    env = Env({"X": raw})
    assert env.decimal("X") == expected
    env.check()


@pytest.mark.parametrize("raw", ["half", "1,5", "0.5s"])
def test_decimal_rejects_what_is_not_a_number(raw: str) -> None:
    env = Env({"X": raw})
    env.decimal("X")
    assert "X is malformed" in errors_of(env)


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf"])
def test_decimal_rejects_values_that_are_not_finite(raw: str) -> None:
    env = Env({"X": raw, "BOUNDED": raw})
    env.decimal("X")
    env.decimal("BOUNDED", low=0.0, high=1.0)
    message = errors_of(env)
    assert "X is malformed" in message
    assert "BOUNDED is malformed" in message


def test_decimal_bounds() -> None:
    env = Env({"OK": "1.0", "BELOW": "-0.1", "ABOVE": "1.01"})
    assert env.decimal("OK", low=0.0, high=1.0) == 1.0
    env.decimal("BELOW", low=0.0)
    env.decimal("ABOVE", high=1.0)
    message = errors_of(env)
    assert "BELOW is malformed: -0.1 is below the minimum 0.0" in message
    assert "ABOVE is malformed: 1.01 is above the maximum 1.0" in message
    assert "OK" not in message


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "yes", "On", " true "])
def test_flag_true_spellings(raw: str) -> None:
    env = Env({"F": raw})
    assert env.flag("F") is True
    env.check()


@pytest.mark.parametrize("raw", ["0", "false", "False", "no", "OFF"])
def test_flag_false_spellings(raw: str) -> None:
    env = Env({"F": raw})
    assert env.flag("F") is False
    env.check()


@pytest.mark.parametrize("raw", ["2", "maybe", "enabled", "y"])
def test_flag_rejects_other_words(raw: str) -> None:
    env = Env({"F": raw})
    assert env.flag("F") is False
    assert "F is malformed" in errors_of(env)


@pytest.mark.parametrize(
    "raw",
    [
        "nats://127.0.0.1:4222",
        "nats://nats.parley.svc:4222",
        "tls://nats.example.com",
    ],
)
def test_url_accepts_the_listed_schemes_with_a_host(raw: str) -> None:
    env = Env({"U": raw})
    assert env.url("U", schemes=("nats", "tls")) == raw
    env.check()


@pytest.mark.parametrize(
    "raw",
    ["http://nats:4222", "nats://", "nats:///path", "127.0.0.1:4222", "just words", "nats://[::1"],
)
def test_url_rejects_other_schemes_and_missing_hosts(raw: str) -> None:
    env = Env({"U": raw})
    assert env.url("U", schemes=("nats", "tls")) == ""
    message = errors_of(env)
    assert "U is malformed" in message
    assert "nats/tls" in message or "IPv6" in message


def test_a_malformed_url_error_does_not_echo_its_password() -> None:
    env = Env({"DB": "mysql://parley:hunter2-db-pass@db/parley"})
    env.url("DB", schemes=("postgresql",))
    message = errors_of(env)
    assert "DB is malformed" in message
    assert "hunter2-db-pass" not in message


def test_csv_splits_and_strips_items() -> None:
    env = Env({"L": " a, b ,c ", "ONE": "solo"})
    assert env.csv("L") == ["a", "b", "c"]
    assert env.csv("ONE") == ["solo"]
    env.check()


@pytest.mark.parametrize("raw", ["a,,b", "a,", ",a", "a, ,b"])
def test_csv_rejects_empty_items(raw: str) -> None:
    env = Env({"L": raw})
    assert env.csv("L") == []
    assert "L is malformed: empty item" in errors_of(env)


def test_secret_wraps_the_value() -> None:
    env = Env({"TOKEN": "s3cr3t-app-token"})
    token = env.secret("TOKEN")
    assert isinstance(token, Secret)
    assert token.reveal() == "s3cr3t-app-token"
    assert "s3cr3t-app-token" not in repr(token)
    env.check()


def test_a_secret_default_is_wrapped_too() -> None:
    env = Env({})
    assert env.secret("TOKEN", "dev-only-token").reveal() == "dev-only-token"
    assert env.secret("OTHER", Secret("given-secret")).reveal() == "given-secret"
    env.check()


def test_a_missing_secret_is_reported_and_empty() -> None:
    env = Env({})
    token = env.secret("APP_SECRET")
    assert not token
    assert "APP_SECRET is required" in errors_of(env)


def test_every_problem_is_reported_together_in_one_error() -> None:
    env = Env(
        {
            "PORT": "http",
            "RATIO": "2.5",
            "DEBUG": "perhaps",
            "NATS_URL": "redis://cache",
            "HOSTS": "a,,b",
            "APP_SECRET": "app-secret-value-123",
            "FINE": "ok",
        }
    )
    env.text("MISSING_NAME")
    env.integer("PORT")
    env.decimal("RATIO", high=1.0)
    env.flag("DEBUG")
    env.url("NATS_URL", schemes=("nats",))
    env.csv("HOSTS")
    env.secret("APP_SECRET")
    env.secret("MISSING_SECRET")
    env.text("FINE")
    message = errors_of(env)
    lines = message.splitlines()
    assert lines[0] == "invalid configuration:"
    named = [line.strip().split()[0] for line in lines[1:]]
    assert named == [
        "MISSING_NAME",
        "PORT",
        "RATIO",
        "DEBUG",
        "NATS_URL",
        "HOSTS",
        "MISSING_SECRET",
    ]


def test_secret_values_never_appear_in_the_error_or_repr() -> None:
    env = Env({"APP_SECRET": "very-secret-value-42", "PORT": "nope"})
    secret = env.secret("APP_SECRET")
    env.integer("PORT")
    with pytest.raises(SettingsError) as caught:
        env.check()
    for shown in (str(caught.value), repr(caught.value), repr(secret), str(secret), repr(env)):
        assert "very-secret-value-42" not in shown


def test_check_passes_when_everything_is_valid() -> None:
    env = Env({"PORT": "50051", "URL": "nats://n:4222"})
    env.integer("PORT", low=1, high=65535)
    env.url("URL", schemes=("nats",))
    env.check()


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)
