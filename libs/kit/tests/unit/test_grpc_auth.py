"""Caller authentication rules that need no server: tokens, headers, rights."""

from __future__ import annotations

import contextvars

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_kit.errors import PermissionDenied, Unauthenticated
from parley_kit.grpc_auth import (
    Caller,
    CallerAuthInterceptor,
    bearer_token,
    current_caller,
    require_caller,
)
from parley_kit.grpc_auth import _caller as caller_var

TOKENS = {"delivery-secret": "delivery", "gateway-secret": "gateway"}


def in_context(caller: Caller | None) -> str:
    def run() -> str:
        caller_var.set(caller)
        return require_caller("delivery")

    return contextvars.copy_context().run(run)


def test_an_empty_token_mapping_is_refused_unless_auth_is_disabled_on_purpose() -> None:
    with pytest.raises(ValueError, match="auth_disabled=True"):
        CallerAuthInterceptor({})
    CallerAuthInterceptor({}, auth_disabled=True)


def test_tokens_and_a_disabled_flag_together_are_refused() -> None:
    with pytest.raises(ValueError, match="disabled"):
        CallerAuthInterceptor(TOKENS, auth_disabled=True)


@pytest.mark.parametrize("tokens", [{"": "delivery"}, {"secret": ""}])
def test_empty_tokens_or_names_are_refused(tokens: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="empty"):
        CallerAuthInterceptor(tokens)


def test_only_token_digests_are_kept() -> None:
    interceptor = CallerAuthInterceptor(TOKENS)
    assert "delivery-secret" not in repr(vars(interceptor))


@pytest.mark.parametrize(
    ("metadata", "caller"),
    [
        ([("authorization", "Bearer delivery-secret")], Caller("delivery")),
        ([("authorization", "bearer gateway-secret ")], Caller("gateway")),
        ([("authorization", "Bearer nope")], None),
        ([("authorization", "delivery-secret")], None),
        ([("x-other", "Bearer delivery-secret")], None),
        ([("authorization-bin", b"Bearer delivery-secret")], None),
        ([], None),
        (None, None),
    ],
)
def test_callers_are_identified_by_their_bearer_token(
    metadata: list[tuple[str, str | bytes]] | None, caller: Caller | None
) -> None:
    assert CallerAuthInterceptor(TOKENS).identify(metadata) == caller


def test_with_auth_disabled_everyone_is_the_unrestricted_anonymous_caller() -> None:
    interceptor = CallerAuthInterceptor({}, auth_disabled=True)
    assert interceptor.identify(None) == Caller("anonymous", unrestricted=True)


@given(st.text())
def test_bearer_token_never_fails_on_arbitrary_headers(header: str) -> None:
    token = bearer_token([("authorization", header)])
    assert token is None or (token and token == token.strip() and token in header)


def test_outside_an_rpc_there_is_no_caller() -> None:
    with pytest.raises(Unauthenticated):
        current_caller()
    with pytest.raises(Unauthenticated):
        in_context(None)


def test_require_caller_allows_only_the_named_callers() -> None:
    assert in_context(Caller("delivery")) == "delivery"
    with pytest.raises(PermissionDenied, match="gateway"):
        in_context(Caller("gateway"))


def test_an_unrestricted_caller_passes_every_rights_check() -> None:
    assert in_context(Caller("anonymous", unrestricted=True)) == "anonymous"
