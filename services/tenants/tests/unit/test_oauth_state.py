"""The OAuth state: signed, bound to a seller, expiring."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_kit.errors import FailedPrecondition, InvalidArgument
from parley_tenants.domain.oauth_state import (
    decode_connect_link,
    decode_state,
    encode_connect_link,
    encode_state,
    new_state,
    state_key,
)

KEY = b"k" * 32
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)


def test_a_state_reads_back_as_issued() -> None:
    state = new_state("seller-1", NOW, TTL)
    assert decode_state(encode_state(state, KEY), KEY, NOW + timedelta(minutes=9)) == state


def test_a_state_signed_with_another_key_is_forged() -> None:
    text = encode_state(new_state("seller-1", NOW, TTL), b"other" * 8)
    with pytest.raises(InvalidArgument, match="forged"):
        decode_state(text, KEY, NOW)


def test_moving_a_state_to_another_seller_breaks_its_signature() -> None:
    version, nonce, _, expires, signature = encode_state(new_state("a", NOW, TTL), KEY).split(".")
    with pytest.raises(InvalidArgument):
        decode_state(".".join([version, nonce, "b", expires, signature]), KEY, NOW)


def test_a_later_expiry_breaks_its_signature() -> None:
    version, nonce, seller, expires, signature = encode_state(new_state("a", NOW, TTL), KEY).split(
        "."
    )
    later = str(int(expires) + 3600)
    with pytest.raises(InvalidArgument):
        decode_state(".".join([version, nonce, seller, later, signature]), KEY, NOW)


def test_an_expired_state_is_a_failed_precondition() -> None:
    text = encode_state(new_state("seller-1", NOW, TTL), KEY)
    with pytest.raises(FailedPrecondition, match="expired"):
        decode_state(text, KEY, NOW + timedelta(minutes=10))


@given(st.text(max_size=300))
def test_no_text_but_a_signed_state_is_ever_accepted(text: str) -> None:
    with pytest.raises((InvalidArgument, FailedPrecondition)):
        decode_state(text, KEY, NOW)


def test_the_key_is_derived_from_the_app_secret_unless_one_is_given() -> None:
    assert state_key("explicit", "app-secret") == b"explicit"
    derived = state_key("", "app-secret")
    assert (
        len(derived) == 32 and derived != b"app-secret" and derived == state_key("", "app-secret")
    )


def test_a_connect_link_names_its_seller_until_it_expires() -> None:
    link = encode_connect_link("seller-1", NOW + timedelta(days=14), KEY)
    assert decode_connect_link(link, KEY, NOW + timedelta(days=13)) == "seller-1"
    with pytest.raises(FailedPrecondition, match="expired"):
        decode_connect_link(link, KEY, NOW + timedelta(days=14))


def test_a_connect_link_cannot_be_moved_to_another_seller_or_made_to_last() -> None:
    version, _, expires, signature = encode_connect_link("a", NOW + TTL, KEY).split(".")
    with pytest.raises(InvalidArgument, match="forged"):
        decode_connect_link(".".join([version, "b", expires, signature]), KEY, NOW)
    later = str(int(expires) + 86400)
    with pytest.raises(InvalidArgument, match="forged"):
        decode_connect_link(".".join([version, "a", later, signature]), KEY, NOW)


def test_a_link_signed_with_the_state_key_itself_is_forged() -> None:
    """Links are signed with a key derived apart, so a state signature never passes for one."""
    body = f"c1.seller-1.{int((NOW + TTL).timestamp())}"
    raw = hmac.new(KEY, body.encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    with pytest.raises(InvalidArgument, match="forged"):
        decode_connect_link(f"{body}.{signature}", KEY, NOW)


@given(st.text(max_size=300))
def test_no_text_but_a_signed_connect_link_is_ever_accepted(text: str) -> None:
    with pytest.raises((InvalidArgument, FailedPrecondition)):
        decode_connect_link(text, KEY, NOW)
