"""Amounts: major units in forms and pages, minor units on the wire."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# ISO 4217 currencies without minor units; every other one has two (THB satang, USD cents).
_NO_MINOR = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF"})
_MAX_MINOR = 10**15


def exponent(currency: str) -> int:
    """Digits after the decimal point of `currency`."""
    return 0 if currency.upper() in _NO_MINOR else 2


def to_minor(text: str, currency: str) -> int:
    """ "8,500.50" USD -> 850050; ValueError saying what is wrong with the text."""
    cleaned = text.strip().replace(",", "").replace(" ", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("enter an amount such as 8500 or 8500.50") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("enter an amount of zero or more")
    places = exponent(currency)
    scaled = amount.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"at most {places} digits after the point for {currency or 'it'}")
    if scaled > _MAX_MINOR:
        raise ValueError("that amount is too large")
    return int(scaled)


def major(minor: int, currency: str) -> str:
    """850050 USD -> "8500.50", 850000 -> "8500"."""
    places = exponent(currency)
    whole, part = divmod(abs(minor), 10**places) if places else (abs(minor), 0)
    sign = "-" if minor < 0 else ""
    return f"{sign}{whole}" if not part else f"{sign}{whole}.{part:0{places}d}"


def money(minor: int, currency: str) -> str:
    """850050 USD -> "8,500.50 USD" for pages."""
    places = exponent(currency)
    whole, part = divmod(abs(minor), 10**places) if places else (abs(minor), 0)
    sign = "-" if minor < 0 else ""
    text = f"{sign}{whole:,}" + (f".{part:0{places}d}" if part else "")
    return f"{text} {currency}".strip()
