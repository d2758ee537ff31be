"""A string wrapper that keeps secrets out of logs, reprs and exceptions."""

from __future__ import annotations

from parley_kit import redaction


class Secret:
    """A secret value: only `reveal()` gives it back; it is registered for redaction."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        redaction.register(value)

    def reveal(self) -> str:
        """The secret itself: pass it only to the code that needs it."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__
