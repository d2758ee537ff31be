"""Amounts between the wire (integer minor units) and the engine (Decimal major units)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 currencies without minor units; every other one has two (THB satang, USD cents).
_NO_MINOR = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF"})


def exponent(currency: str) -> int:
    """Digits after the decimal point of `currency`."""
    return 0 if currency.upper() in _NO_MINOR else 2


def to_major(minor: int, currency: str) -> Decimal:
    """8_500_00 USD cents -> Decimal("8500")."""
    return (Decimal(minor) / (Decimal(10) ** exponent(currency))).normalize() + Decimal(0)


def to_minor(amount: Decimal, currency: str) -> int:
    """Decimal("8500") USD -> 850000 cents, rounded half up to the currency's minor unit."""
    scaled = amount * (Decimal(10) ** exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))
