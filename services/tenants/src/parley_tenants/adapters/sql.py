"""Small helpers every repository module shares."""

from __future__ import annotations

import asyncpg


def returned(row: asyncpg.Record | None) -> asyncpg.Record:
    """The row an `INSERT/UPDATE ... RETURNING` on a known row gave back."""
    if row is None:
        raise RuntimeError("the statement returned no row")
    return row


def affected(status: str) -> int:
    """The row count of a command status such as `DELETE 3`."""
    return int(status.split()[-1])
