"""Checks create_pool makes before it connects."""

from __future__ import annotations

import pytest

from parley_kit.db import create_pool, quote_schema, validate_schema

DSN = "postgresql://nobody@127.0.0.1:1/none"


@pytest.mark.parametrize("name", ["tenants", "t_0a1b2c", "_private", "a" * 63])
def test_plain_lower_case_identifiers_are_valid_schema_names(name: str) -> None:
    assert validate_schema(name) == name
    assert quote_schema(name) == f'"{name}"'


@pytest.mark.parametrize(
    "name",
    ["", "Tenants", "1tenants", "ten-ants", 'x"; DROP SCHEMA public; --', "a b", "a" * 64, "pg_x"],
)
async def test_other_schema_names_are_refused_before_connecting(name: str) -> None:
    with pytest.raises(ValueError, match="invalid schema name"):
        await create_pool(DSN, name)


@pytest.mark.parametrize(("min_size", "max_size"), [(2, 1), (-1, 1), (0, 0)])
async def test_impossible_pool_sizes_are_refused(min_size: int, max_size: int) -> None:
    with pytest.raises(ValueError, match="pool sizes"):
        await create_pool(DSN, "tenants", min_size=min_size, max_size=max_size)
