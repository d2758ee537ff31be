"""Graph error classification (MESSENGER.md's table) and the client's settings."""

from __future__ import annotations

import pytest

from parley_kit.graph import ErrorKind, GraphConfig, GraphError, appsecret_proof, classify
from parley_kit.secrets import Secret
from parley_kit.settings import Env, SettingsError


@pytest.mark.parametrize(
    ("code", "subcode", "status", "kind"),
    [
        (10, 2018278, 400, ErrorKind.POLICY_WINDOW),
        (10, 2534022, 400, ErrorKind.POLICY_WINDOW),
        (551, None, 400, ErrorKind.PERMANENT),
        (200, 1545041, 400, ErrorKind.PERMANENT),
        (613, 2534040, 400, ErrorKind.RATE_LIMITED),
        (613, None, 400, ErrorKind.RATE_LIMITED),
        (4, None, 400, ErrorKind.RATE_LIMITED),
        (32, None, 400, ErrorKind.RATE_LIMITED),
        (1, None, 500, ErrorKind.RETRY),
        (2, None, 503, ErrorKind.RETRY),
        (1200, None, 400, ErrorKind.RETRY),
        (None, None, 502, ErrorKind.RETRY),
        (190, None, 400, ErrorKind.TOKEN_INVALID),
        (190, 460, 400, ErrorKind.TOKEN_INVALID),
        (200, None, 403, ErrorKind.PERMANENT),
        (100, None, 400, ErrorKind.PERMANENT),
        (100, 2018001, 400, ErrorKind.PERMANENT),
        (2018300, None, 400, ErrorKind.HANDED_OVER),
        (10, 2018300, 400, ErrorKind.HANDED_OVER),
        (100, 2534037, 400, ErrorKind.HANDED_OVER),
    ],
)
def test_errors_are_classified_as_messenger_md_says(
    code: int | None, subcode: int | None, status: int, kind: ErrorKind
) -> None:
    assert classify(code, subcode, status) is kind


def test_only_temporary_failures_and_rate_limits_are_retryable() -> None:
    assert {kind for kind in ErrorKind if kind.retryable} == {
        ErrorKind.RETRY,
        ErrorKind.RATE_LIMITED,
    }


def test_an_error_flagged_transient_is_retried_whatever_its_code() -> None:
    assert classify(100, None, 400, transient=True) is ErrorKind.RETRY


def test_a_token_echoed_in_meta_s_message_is_redacted() -> None:
    error = GraphError(
        "bad access_token=EAA" + "secretsecretsecretsecret123 given", path="/v21.0/me", code=190
    )
    assert "EAAsecret" not in str(error) and "EAAsecret" not in error.message
    assert error.kind is ErrorKind.TOKEN_INVALID and "190" in str(error)


def test_appsecret_proof_is_the_hex_hmac_sha256_of_the_token_keyed_with_the_secret() -> None:
    # RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
    proof = appsecret_proof("what do ya want for nothing?", "Jefe")
    assert proof == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"


def test_config_reads_the_graph_url_and_defaults_the_version() -> None:
    env = Env(
        {
            "FACEBOOK_GRAPH_URL": "http://127.0.0.1:8090",
            "FACEBOOK_APP_ID": "42",
            "FACEBOOK_APP_SECRET": "s3cret-value",
        }
    )
    config = GraphConfig.from_env(env)
    env.check()
    assert config.version == "v21.0" and config.base_url == "http://127.0.0.1:8090"
    assert config.app_token == Secret("42|s3cret-value")


def test_config_without_graph_url_or_secret_names_both() -> None:
    env = Env({"FACEBOOK_APP_ID": "42"})
    GraphConfig.from_env(env)
    with pytest.raises(SettingsError) as raised:
        env.check()
    assert "FACEBOOK_GRAPH_URL" in str(raised.value)
    assert "FACEBOOK_APP_SECRET" in str(raised.value)
