"""Login links, sessions, CSRF tokens and reply keys of the seller dashboard."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_gateway.dashboard.auth import InvalidToken, LoginClaim, Signer, UsedLinks

SECRET = b"unit-test-dashboard-secret-0123456789abcdef"
NOW = 1_800_000_000.0


@pytest.fixture
def signer() -> Signer:
    return Signer(SECRET)


def test_a_login_link_names_its_seller_until_it_expires(signer: Signer) -> None:
    token = signer.login_token("seller-1", 900, now=NOW)
    claim = signer.read_login_token(token, now=NOW + 899)
    assert claim.seller_id == "seller-1" and claim.expires_at == int(NOW) + 900
    with pytest.raises(InvalidToken) as expired:
        signer.read_login_token(token, now=NOW + 900)
    assert expired.value.reason == "expired"


def test_every_login_link_is_different(signer: Signer) -> None:
    first, second = (signer.login_token("seller-1", 900, now=NOW) for _ in range(2))
    assert first != second
    assert (
        signer.read_login_token(first, now=NOW).nonce
        != signer.read_login_token(second, now=NOW).nonce
    )


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t.split(".")[0] + "." + t.split(".")[1] + "x." + t.split(".")[2],
        lambda t: Signer(b"another-secret").login_token("seller-1", 900, now=NOW),
        lambda t: t + ".extra",
        lambda t: "",
        lambda t: "v1.%%%.%%%",
        lambda t: "v1." + "A" * 3000 + ".AAAA",
    ],
    ids=["signature", "payload", "key", "parts", "empty", "not-base64", "huge"],
)
def test_a_forged_login_link_is_refused(signer: Signer, forge: object) -> None:
    token = forge(signer.login_token("seller-1", 900, now=NOW))  # type: ignore[operator]
    with pytest.raises(InvalidToken) as refused:
        signer.read_login_token(token, now=NOW)
    assert refused.value.reason == "forged"


def test_a_session_is_no_login_link_and_a_login_link_no_session(signer: Signer) -> None:
    session = signer.session_token("seller-1", "Dana", 3600, now=NOW)
    login = signer.login_token("seller-1", 900, now=NOW)
    with pytest.raises(InvalidToken):
        signer.read_login_token(session, now=NOW)
    with pytest.raises(InvalidToken):
        signer.read_session(login, now=NOW)


def test_a_session_holds_seller_name_expiry_and_a_csrf_secret(signer: Signer) -> None:
    session = signer.read_session(signer.session_token("s-1", "Dana's <Cars>", 60, now=NOW), NOW)
    assert (session.seller_id, session.seller_name) == ("s-1", "Dana's <Cars>")
    assert session.expires_at == int(NOW) + 60 and len(session.csrf) >= 16
    with pytest.raises(InvalidToken):
        signer.read_session(signer.session_token("s-1", "D", 60, now=NOW), NOW + 60)


def test_csrf_tokens_belong_to_one_session(signer: Signer) -> None:
    one = signer.read_session(signer.session_token("s-1", "A", 60, now=NOW), NOW)
    two = signer.read_session(signer.session_token("s-1", "A", 60, now=NOW), NOW)
    token = signer.csrf_token(one)
    assert signer.csrf_valid(one, token)
    assert not signer.csrf_valid(two, token)
    assert not signer.csrf_valid(one, "")
    assert not signer.csrf_valid(one, token[:-1])


def test_reply_keys_are_bound_to_seller_and_conversation(signer: Signer) -> None:
    key = signer.reply_key("s-1", "c-1", "form-key")
    assert key == signer.reply_key("s-1", "c-1", "form-key")
    assert key.startswith("dashboard:") and len(key) <= 200
    others = {
        signer.reply_key("s-2", "c-1", "form-key"),
        signer.reply_key("s-1", "c-2", "form-key"),
        signer.reply_key("s-1", "c-1", "other-key"),
        Signer(b"other").reply_key("s-1", "c-1", "form-key"),
    }
    assert key not in others and len(others) == 4


def test_a_login_link_is_used_once_and_forgotten_after_it_expired() -> None:
    used = UsedLinks(limit=3)
    claim = LoginClaim("s-1", int(NOW) + 10, "nonce-1")
    assert used.claim(claim, NOW) and not used.claim(claim, NOW)
    assert used.used("nonce-1")
    used.claim(LoginClaim("s-1", int(NOW) + 100, "nonce-2"), NOW + 20)
    assert not used.used("nonce-1")  # expired links need no memory: they are refused anyway


def test_the_memory_of_used_links_is_bounded() -> None:
    used = UsedLinks(limit=2)
    for index in range(5):
        assert used.claim(LoginClaim("s", int(NOW) + 100, f"n-{index}"), NOW)
    assert used.used("n-4") and used.used("n-3") and not used.used("n-0")


@given(st.text(max_size=300))
def test_any_text_is_a_forged_link_or_session_never_an_error(text: str) -> None:
    signer = Signer(SECRET)
    for read in (signer.read_login_token, signer.read_session):
        with pytest.raises(InvalidToken):
            read(text, NOW)


def test_an_empty_secret_signs_nothing() -> None:
    with pytest.raises(ValueError):
        Signer(b"")
