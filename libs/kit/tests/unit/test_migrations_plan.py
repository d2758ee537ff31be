"""Which migrations run, decided without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley_kit.migrations import (
    Migration,
    MigrationError,
    load_migrations,
    lock_key,
    pending_migrations,
)


def migration(name: str, checksum: str = "c") -> Migration:
    return Migration(name, "SELECT 1", checksum)


A, B, C = (migration(f"2026112{i}_0001_step.sql") for i in range(3))


def test_files_load_in_name_order_and_other_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "20261122_0001_b.sql").write_text("SELECT 2;")
    (tmp_path / "20261121_0002_a.sql").write_text("SELECT 1;")
    (tmp_path / "20261121_0001_a.sql").write_text("SELECT 0;")
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "README.md").write_text("notes")

    loaded = load_migrations(tmp_path)

    assert [m.name for m in loaded] == [
        "20261121_0001_a.sql",
        "20261121_0002_a.sql",
        "20261122_0001_b.sql",
    ]
    assert loaded[0].sql == "SELECT 0;"
    assert len(loaded[0].checksum) == 64


@pytest.mark.parametrize(
    "name",
    ["create_outbox.sql", "2026112_0001_x.sql", "20261121_1_x.sql", "20261121_0001_X.sql"],
)
def test_misnamed_sql_files_are_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="YYYYMMDD_NNNN_description.sql"):
        load_migrations(tmp_path)


def test_a_file_named_by_an_impossible_date_is_refused(tmp_path: Path) -> None:
    (tmp_path / "20261341_0001_x.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="not a date"):
        load_migrations(tmp_path)


def test_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="does not exist"):
        load_migrations(tmp_path / "nowhere")


def test_only_unapplied_migrations_are_pending() -> None:
    assert pending_migrations([A, B, C], {}) == [A, B, C]
    assert pending_migrations([A, B, C], {A.name: "c"}) == [B, C]
    assert pending_migrations([A, B, C], {A.name: "c", B.name: "c", C.name: "c"}) == []


def test_a_changed_checksum_is_refused() -> None:
    with pytest.raises(MigrationError, match=f"changed since: {A.name}"):
        pending_migrations([A, B], {A.name: "other"})


def test_an_applied_migration_missing_from_the_folder_is_refused() -> None:
    with pytest.raises(MigrationError, match=f"missing from the folder: {A.name}"):
        pending_migrations([B], {A.name: "c"})


def test_a_pending_migration_older_than_the_last_applied_is_refused() -> None:
    with pytest.raises(MigrationError, match=B.name):
        pending_migrations([A, B, C], {A.name: "c", C.name: "c"})


def test_lock_keys_are_signed_64_bit_and_differ_per_schema() -> None:
    keys = {lock_key(f"schema_{i}") for i in range(100)}
    assert len(keys) == 100
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert lock_key("tenants") == lock_key("tenants")
