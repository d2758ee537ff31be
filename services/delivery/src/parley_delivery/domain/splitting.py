"""Long texts split for the Send API: at sentence boundaries, then words, never inside a word."""

from __future__ import annotations

import re
import unicodedata

TEXT_LIMIT = 2000  # Send API text limit (characters)
# A sentence ends at . ! ? … (and their full-width forms) followed by space, or at a line break.
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])\s+|\n+")
_SPACE = re.compile(r"\s+")


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in parts of at most `limit` characters, packed sentence by sentence.

    A sentence longer than the limit is split between words; a single word longer than the
    limit (a URL, a script written without spaces) is cut where no combining mark is separated
    from its letter.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    for piece in _pieces(_SENTENCE_END, text):
        if len(piece) <= limit:
            parts.append(piece)
        else:
            parts.extend(_split_words(piece, limit))
    return _pack(parts, limit)


def _pieces(pattern: re.Pattern[str], text: str) -> list[str]:
    """The text cut after each separator, each piece keeping the separator that ends it."""
    pieces: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        pieces.append(text[start : match.end()])
        start = match.end()
    pieces.append(text[start:])
    return [piece for piece in pieces if piece]


def _split_words(sentence: str, limit: int) -> list[str]:
    words: list[str] = []
    for word in _pieces(_SPACE, sentence):
        bare = word.rstrip()
        if len(bare) <= limit:
            words.append(word)
        else:
            chunks = _cut(bare, limit)
            chunks[-1] += word[len(bare) :]  # the space after the word still separates it
            words.extend(chunks)
    return words


def _cut(word: str, limit: int) -> list[str]:
    """A word longer than the limit, cut so that no combining mark loses its base letter."""
    chunks: list[str] = []
    while len(word) > limit:
        end = limit
        while end > 1 and unicodedata.combining(word[end]):
            end -= 1
        chunks.append(word[:end])
        word = word[end:]
    chunks.append(word)
    return chunks


def _pack(pieces: list[str], limit: int) -> list[str]:
    """Greedily join pieces (each ending with its separator) into parts within the limit."""
    parts: list[str] = []
    current = ""
    for piece in pieces:
        if current and len((current + piece).rstrip()) > limit:
            parts.append(current.rstrip())
            current = ""
        current += piece
    if current.strip():
        parts.append(current.rstrip())
    return [part.strip() for part in parts if part.strip()]
