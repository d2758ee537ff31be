"""Secret values stay out of reprs, and redaction masks registered secrets and token shapes."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley_kit import redaction
from parley_kit.redaction import MASK, redact
from parley_kit.secrets import Secret


def fresh(prefix: str = "secret") -> str:
    """A value no other test registered (the registry is process-wide)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_repr_and_str_mask_the_value() -> None:
    value = fresh()
    secret = Secret(value)
    for shown in (repr(secret), str(secret), f"{secret}", f"{secret!r}", format(secret, "")):
        assert value not in shown
        assert shown == "Secret('**********')"


def test_an_empty_secret_says_it_is_empty() -> None:
    assert repr(Secret("")) == "Secret('')"
    assert not Secret("")
    assert Secret(fresh())


def test_reveal_returns_the_value() -> None:
    value = fresh()
    assert Secret(value).reveal() == value


def test_secrets_compare_by_value_and_hash_alike() -> None:
    value = fresh()
    assert Secret(value) == Secret(value)
    assert Secret(value) != Secret(fresh())
    assert Secret(value) != value
    assert len({Secret(value), Secret(value)}) == 1


def test_a_secret_inside_a_container_repr_stays_masked() -> None:
    value = fresh()
    config = {"token": Secret(value), "others": [Secret(value)]}
    assert value not in repr(config)


def test_a_secret_cannot_grow_attributes() -> None:
    with pytest.raises(AttributeError):
        Secret(fresh()).extra = "x"  # type: ignore[attr-defined]


def test_creating_a_secret_registers_it_for_redaction() -> None:
    value = fresh()
    Secret(value)
    assert redact(f"calling graph with {value} now") == f"calling graph with {MASK} now"


def test_registered_values_are_masked_anywhere_and_every_time() -> None:
    value = fresh()
    redaction.register(value)
    text = f'{{"k":"{value}"}} url=/x?{value}&y {value}{value}'
    masked = redact(text)
    assert value not in masked
    assert masked == f'{{"k":"{MASK}"}} url=/x?{MASK}&y {MASK}{MASK}'


def test_the_longest_registered_value_wins_over_its_prefix() -> None:
    short = fresh("pre")
    long = short + "-and-more"
    redaction.register(short)
    redaction.register(long)
    assert redact(f"[{long}]") == f"[{MASK}]"


def test_regex_characters_in_secrets_are_taken_literally() -> None:
    value = f"a.b*c+d(e)[{uuid.uuid4().hex[:6]}]"
    redaction.register(value)
    assert redact(f"x {value} y") == f"x {MASK} y"
    assert redact("x aXbbbcd y") == "x aXbbbcd y"


@pytest.mark.parametrize("value", ["", "a", "abc", "12345"])
def test_short_values_are_not_registered(value: str) -> None:
    redaction.register(value)
    Secret(value)
    assert redact(f"the word {value} stays") == f"the word {value} stays"


def test_a_six_character_value_is_registered() -> None:
    value = uuid.uuid4().hex[:6]
    redaction.register(value)
    assert redact(f"id {value}!") == f"id {MASK}!"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "GET /me?access_token=abc123XYZ&fields=id",
            f"GET /me?access_token={MASK}&fields=id",
        ),
        (
            "GET /me?fields=id&appsecret_proof=0f9e8d7c6b5a",
            f"GET /me?fields=id&appsecret_proof={MASK}",
        ),
        (
            "POST /oauth client_id=1&client_secret=shh-it-is-secret&code=x",
            f"POST /oauth client_id=1&client_secret={MASK}&code=x",
        ),
        ('{"access_token": "tok-abcdef", "id": 3}', f'{{"access_token": "{MASK}", "id": 3}}'),
        ("{'client_secret': 'abcdef'}", f"{{'client_secret': '{MASK}'}}"),
        ("Authorization: Bearer eyJhbGciOi.J9.sig", f"Authorization: {MASK}"),
        ('{"authorization": "Bearer abc.def"}', f'{{"authorization": "{MASK}"}}'),
        ("ACCESS_TOKEN=abc; next", f"ACCESS_TOKEN={MASK}; next"),
        ("password=pa55word user=bob", f"password={MASK} user=bob"),
        ("hub.verify_token=my-verify-token", f"hub.verify_token={MASK}"),
        (
            "sent header Bearer eyJhbGciOi.J9.sig to graph",
            f"sent header Bearer {MASK} to graph",
        ),
        ("bearer AbCdEfGh12345678==", f"bearer {MASK}"),
    ],
)
def test_secret_fields_and_bearer_tokens_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "token",
    [
        "EAA" + "Gm0PX4ZCpsBAKZAxyz1234567890abcdef",
        "EAAB1234567890123456",
        "sk-" + "abcdefghijklmnop1234",
        "sk-proj-AbCdEf_123-456789xyz",
    ],
)
def test_facebook_and_openai_token_shapes_are_masked(token: str) -> None:
    assert redact(f"token {token} used") == f"token {MASK} used"
    assert redact(f'"{token}"') == f'"{MASK}"'


@pytest.mark.parametrize(
    "text",
    [
        "EAA is a prefix but too short: EAAshort",
        "sk-short",
        "the desk-lamp-assembly-instructions page",
        "access_token= &fields=id",
        "Bearer",
        "Bearer tokens expire",
        "a plain sentence about passwords and tokens",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


@given(st.text(max_size=40), st.text(max_size=40))
def test_a_registered_secret_never_survives_redaction(before: str, after: str) -> None:
    value = "hyp-" + "q7Zx9Lw2"
    redaction.register(value)
    assert value not in redact(before + value + after)
