"""Token encryption with a key list, caller configuration, and the rights table."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from parley.tenants.v1 import tenants_pb2
from parley_kit.callers import parse_callers
from parley_kit.settings import SettingsError
from parley_tenants.adapters.crypto import TokenCipher, TokenDecryptionError, key_id
from parley_tenants.entrypoints.rights import RIGHTS
from parley_tenants.settings import TenantsSettings

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
BASE = {
    "FACEBOOK_APP_ID": "42",
    "FACEBOOK_APP_SECRET": "app-secret-value",
    "PARLEY_DATABASE_URL": "postgresql://u@h/db",
    "PARLEY_NATS_URL": "nats://127.0.0.1:4222",
    "PARLEY_ENCRYPTION_KEYS": NEW,
}


def test_new_writes_use_the_first_key_and_old_ciphertexts_still_open() -> None:
    old = TokenCipher([OLD]).encrypt("EAAToken")
    both = TokenCipher([NEW, OLD])
    assert both.decrypt(old) == "EAAToken"
    assert TokenCipher([NEW]).decrypt(both.encrypt("EAAToken")) == "EAAToken"
    assert both.current_key_id == key_id(NEW) != key_id(OLD)


def test_rotation_moves_a_ciphertext_to_the_first_key() -> None:
    old = TokenCipher([OLD]).encrypt("EAAToken")
    rotated = TokenCipher([NEW, OLD]).rotate(old)
    assert TokenCipher([NEW]).decrypt(rotated) == "EAAToken"
    with pytest.raises(TokenDecryptionError):
        TokenCipher([OLD]).decrypt(rotated)


def test_a_malformed_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValueError) as raised:
        TokenCipher(["not-a-fernet-key"])
    assert "not-a-fernet-key" not in str(raised.value)


def test_callers_parse_as_name_token_pairs() -> None:
    callers = parse_callers("gateway=g-token-0123456789abc, delivery=d-token-0123456789abc")
    assert {name: token.reveal() for name, token in callers.items()} == {
        "gateway": "g-token-0123456789abc",
        "delivery": "d-token-0123456789abc",
    }


@pytest.mark.parametrize(
    "raw", ["gateway", "gateway=short", "a=t-0123456789abcdef,a=u-0123456789abcdef"]
)
def test_malformed_callers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_callers(raw)


def test_the_service_needs_callers_unless_auth_is_disabled_on_purpose() -> None:
    with pytest.raises(SettingsError, match="PARLEY_TENANTS_CALLERS"):
        TenantsSettings.from_env(BASE)
    local = TenantsSettings.from_env({**BASE, "PARLEY_TENANTS_AUTH_DISABLED": "true"})
    assert local.auth_disabled and local.caller_tokens() == {}
    assert local.port == 50051 and local.graph.version == "v21.0"
    assert local.public_url == "http://127.0.0.1:8080"


def test_every_missing_variable_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        TenantsSettings.from_env({})
    for name in (
        "FACEBOOK_APP_ID",
        "FACEBOOK_APP_SECRET",
        "PARLEY_DATABASE_URL",
        "PARLEY_NATS_URL",
        "PARLEY_ENCRYPTION_KEYS",
    ):
        assert name in str(raised.value)


def test_every_rpc_has_rights_and_only_delivery_may_take_tokens() -> None:
    methods = set(tenants_pb2.DESCRIPTOR.services_by_name["TenantService"].methods_by_name)
    assert set(RIGHTS) == methods
    assert RIGHTS["IssuePageToken"] == ("delivery",)
    assert "negotiation" not in RIGHTS["CompleteOnboarding"]
