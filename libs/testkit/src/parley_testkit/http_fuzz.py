"""Untrusted HTTP input for fuzz tests: JSON of any shape (NaN, huge numbers, lone surrogates,
NUL), bytes that are not JSON, deep nesting, header values; and a tally of the inputs tried."""

from __future__ import annotations

import functools
import json
import sys
from collections import Counter
from typing import Any

from hypothesis import strategies as st

# Characters a header value may carry on the wire (visible ASCII and inner spaces).
HEADER_ALPHABET = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
NASTY_TEXT = st.sampled_from(
    ["", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "\u202e", "é", "😀", "\r\n", "NaN", "null"]
)
text = st.one_of(st.text(max_size=30), NASTY_TEXT)
numbers = st.one_of(
    st.integers(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e300, -1e300, 2**63, 253_402_300_800_000, float("inf")]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, text)


@functools.cache
def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value Python's json module can write, NaN and Infinity included."""
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(text, inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )


def encode(value: Any) -> bytes:
    """JSON as Meta writes it (non-ASCII escaped), keeping NaN, Infinity and lone surrogates."""
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode()


def deep(depth: int, opener: bytes = b"[", closer: bytes = b"]") -> bytes:
    """A document nested `depth` levels deep."""
    return opener * depth + closer * depth


_NOT_JSON_SAMPLES = [
    b"",
    b"\x00",
    b"{",
    b"}",
    b"{'object': 'page'}",
    b'{"object":"page",}',
    b"\xef\xbb\xbf{}",
    b"\xff\xfe{\x00}\x00",
    b"\xc3\x28",
    b'{"object":"\xff"}',
    b"1" * 5000,
    b'{"object":"page","entry":[' + b"1" * 5000 + b"]}",
    b"object=page&entry=1",
    b"<xml/>",
]


def not_json() -> st.SearchStrategy[bytes]:
    """Bytes Python's json module refuses (possibly, for random bytes: callers check)."""
    return st.one_of(
        st.sampled_from(_NOT_JSON_SAMPLES),
        st.binary(max_size=200),
        st.integers(2_000, 30_000).map(deep),
        st.integers(2_000, 10_000).map(lambda n: deep(n, b'{"a":', b"}")),
    )


class Tally:
    """Inputs tried per test and outcome, written to stderr (run pytest with -s to see it)."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.counts: Counter[str] = Counter()
        self.figures: Counter[str] = Counter()

    def add(self, test: str, outcome: object) -> None:
        """One more input of `test` that ended with `outcome`."""
        self.counts[f"{test} {outcome}"] += 1

    def measure(self, figure: str, amount: int) -> None:
        """Add to a figure other than inputs (events stored, items skipped)."""
        self.figures[figure] += amount

    def total(self, prefix: str = "") -> int:
        """Inputs tried by tests whose name starts with `prefix`."""
        return sum(n for key, n in self.counts.items() if key.startswith(prefix))

    def write(self) -> None:
        """The tally, one line per test and outcome."""
        lines = [f"{self.title}: {self.total()} inputs"]
        lines += [f"  {key}: {n}" for key, n in sorted(self.counts.items())]
        lines += [f"  ({key}: {n})" for key, n in sorted(self.figures.items())]
        sys.stderr.write("\n".join(lines) + "\n")
