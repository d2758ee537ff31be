"""What the engine decided to say (Draft), what goes out (Phrased), and the template phraser."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

LANGUAGES = frozenset({"en", "th"})
ACTIONS = frozenset({"answer", "counter", "accept", "hold", "decline", "handover", "flag"})
HARD_MAX_CHARS = 2000  # no reply is ever longer, whatever a draft allows


@dataclass(frozen=True)
class Draft:
    """The template reply the engine decided, with what a rephrasing may and may not change."""

    text: str
    language: str  # "en" | "th"
    action: str  # one of ACTIONS
    allowed_amounts: tuple[Decimal, ...]  # the decided price and the listing's price
    history: tuple[tuple[str, str], ...]  # recent (role "buyer"/"seller", text), oldest first
    max_chars: int = 640

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"unsupported language {self.language!r}")
        if self.action not in ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")
        if self.max_chars < 1:
            raise ValueError("max_chars must be positive")

    @property
    def limit(self) -> int:
        """The most characters a reply may have: max_chars, never over HARD_MAX_CHARS."""
        return min(self.max_chars, HARD_MAX_CHARS)


@dataclass(frozen=True)
class Phrased:
    """The text to send, where it came from, and why the model's text was refused (if it was)."""

    text: str
    source: str  # "template" | "model"
    rejected: str = ""  # a Reason when the model's text was refused, "" otherwise


class Phraser(Protocol):
    """Turns a decided draft into the text that goes out; never changes the decision."""

    async def phrase(self, draft: Draft) -> Phrased:
        """The text to send for this draft."""
        ...

    async def close(self) -> None:
        """Release connections (a no-op when there are none)."""
        ...


class TemplatePhraser:
    """Sends the engine's template text as it is."""

    async def phrase(self, draft: Draft) -> Phrased:
        """The draft's own text."""
        return Phrased(text=draft.text, source="template")

    async def close(self) -> None:
        """Nothing to release."""
