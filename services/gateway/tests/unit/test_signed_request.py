"""Data-deletion callbacks are honoured only when Meta signed them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_gateway.domain.signed_request import (
    InvalidSignedRequest,
    make_signed_request,
    parse_signed_request,
)

SECRET = b"deletion-app-secret"
PAYLOAD: dict[str, object] = {
    "algorithm": "HMAC-SHA256",
    "issued_at": 1_700_000_000,
    "user_id": "218471",
}


def test_a_genuine_request_gives_the_user() -> None:
    request = parse_signed_request(make_signed_request(PAYLOAD, SECRET), SECRET)
    assert request.user_id == "218471"
    assert request.issued_at == 1_700_000_000


def test_a_request_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(InvalidSignedRequest, match="signature"):
        parse_signed_request(make_signed_request(PAYLOAD, b"other"), SECRET)


def test_a_changed_payload_is_refused() -> None:
    signature, _ = make_signed_request(PAYLOAD, SECRET).split(".")
    _, other = make_signed_request({**PAYLOAD, "user_id": "999"}, SECRET).split(".")
    with pytest.raises(InvalidSignedRequest):
        parse_signed_request(f"{signature}.{other}", SECRET)


@pytest.mark.parametrize(
    "payload",
    [
        {**PAYLOAD, "algorithm": "none"},
        {"algorithm": "HMAC-SHA256", "issued_at": 1},
        {"algorithm": "HMAC-SHA256", "user_id": "1"},
        {"algorithm": "HMAC-SHA256", "issued_at": True, "user_id": "1"},
        {**PAYLOAD, "user_id": "\ud800"},
        {**PAYLOAD, "user_id": "\u00b2"},
        {**PAYLOAD, "user_id": "12a"},
        {**PAYLOAD, "user_id": -5},
    ],
)
def test_signed_but_unusable_payloads_are_refused(payload: dict[str, object]) -> None:
    with pytest.raises(InvalidSignedRequest):
        parse_signed_request(make_signed_request(payload, SECRET), SECRET)


@pytest.mark.parametrize("text", ["", "nodot", "a.b.c", "!!!.???", "x" * 10_000])
def test_malformed_requests_are_refused(text: str) -> None:
    with pytest.raises(InvalidSignedRequest):
        parse_signed_request(text, SECRET)


@given(st.text(max_size=300))
def test_arbitrary_text_is_refused_cleanly(text: str) -> None:
    with pytest.raises(InvalidSignedRequest):
        parse_signed_request(text, SECRET)
