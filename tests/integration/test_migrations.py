"""Schema migrations: a database made by the first revision opens and upgrades under this code."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from console.store.db import alembic_config, sqlite_url, upgrade
from console.store.models import Base
from console.store.queries import Reader


def test_first_revision_upgrades_with_data_intact(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "old.db")
    script = ScriptDirectory.from_config(alembic_config(url))
    first = script.get_base()
    assert first is not None
    upgrade(url, first)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO deliveries (sid, to_number, body, profile, segments, encoding, "
                "status, status_rank, send_state, created_at, updated_at) VALUES "
                "('SMold', '+14155550100', 'kept', 'default', 1, 'GSM-7', 'delivered', 80, "
                "'accepted', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
    engine.dispose()
    upgrade(url)  # what the app does on start
    upgrade(url)  # and again on the next start: idempotent
    engine = create_engine(url)
    with engine.connect() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert head == script.get_current_head()
    assert set(Base.metadata.tables) <= tables
    reader = Reader(url)
    try:
        old = reader.delivery_by_sid("SMold")
        assert old is not None and old.body == "kept" and old.status == "delivered"
    finally:
        reader.close()


def test_migrations_match_the_models(tmp_path: Path) -> None:
    """The migrated schema has every column the ORM models declare (no forgotten revision)."""
    url = sqlite_url(tmp_path / "new.db")
    upgrade(url)
    engine = create_engine(url)
    insp = inspect(engine)
    for name, table in Base.metadata.tables.items():
        migrated = {c["name"] for c in insp.get_columns(name)}
        assert {c.name for c in table.columns} == migrated, name
    engine.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "wal.db")
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    engine.dispose()
