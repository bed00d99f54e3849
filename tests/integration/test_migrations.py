"""Schema migrations: a database made by the first revision opens and upgrades under this code.

Each test runs on SQLite and, with ``SMS_CONSOLE_TEST_PG`` set, on PostgreSQL (``empty_db_url``).
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from console.store.db import alembic_config, sqlite_url, upgrade
from console.store.models import Base
from console.store.queries import DeliveryFilter, Reader

FTS_TABLES = "deliveries_fts"  # migration 0003's SQLite-only trigram index (and its shadows)
PG_INDEXES = "ix_pg_"  # migrations 0004/0005's PostgreSQL-only indexes (not in the models)
PG_SEARCH = "delivery_search"  # migration 0005's PostgreSQL-only side table, kept by triggers


def test_first_revision_upgrades_with_data_intact(empty_db_url: str) -> None:
    url = empty_db_url
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
        # The text filter finds rows written before 0003 (the SQLite index was rebuilt).
        assert [d.sid for d in reader.deliveries(DeliveryFilter(text="KEPT"))] == ["SMold"]
    finally:
        reader.close()


def _portable(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Leave out what migrations make for one database only (FTS5 tables, PostgreSQL indexes)."""
    if name is None:
        return True
    return not (
        (type_ == "table" and (name.startswith(FTS_TABLES) or name == PG_SEARCH))
        or (type_ == "index" and name.startswith(PG_INDEXES))
    )


def test_migrations_match_the_models(empty_db_url: str) -> None:
    """The migrated schema is what the ORM models declare: tables, columns, their types,
    nullability, indexes and constraints (Alembic's autogenerate finds nothing to add)."""
    upgrade(empty_db_url)
    engine = create_engine(empty_db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _portable}
        )
        differences = compare_metadata(context, Base.metadata)
        tables = set(inspect(conn).get_table_names())
        indexes = {i["name"] for i in inspect(conn).get_indexes("deliveries")}
    engine.dispose()
    assert differences == []
    fts = {t for t in tables if t.startswith(FTS_TABLES)}
    pg = {i for i in indexes if i and i.startswith(PG_INDEXES)}
    # The FTS5 index exists on SQLite only; other databases skip migration 0003's body.
    assert bool(fts) == empty_db_url.startswith("sqlite")
    # 0004's sort indexes and 0005's side table exist on PostgreSQL only; the trigram index
    # is on the side table (with pg_trgm, which PostgreSQL 13+ trusts), none on deliveries.
    on_pg = empty_db_url.startswith("postgresql")
    assert pg == (
        {f"ix_pg_deliveries_{s}_id" for s in ("rank", "error", "segments", "to")}
        if on_pg
        else set()
    )
    assert (PG_SEARCH in tables) == on_pg


def test_downgrade_to_nothing_and_back(empty_db_url: str) -> None:
    """Every revision's downgrade runs (0003's is a no-op off SQLite, 0004/0005's off
    PostgreSQL) and the schema comes back."""
    upgrade(empty_db_url)
    command.downgrade(alembic_config(empty_db_url), "base")
    engine = create_engine(empty_db_url)
    with engine.connect() as conn:
        left = set(inspect(conn).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert left == set()
    upgrade(empty_db_url)
    reader = Reader(empty_db_url)
    try:
        assert reader.count_deliveries(DeliveryFilter(text="anything")) == 0
    finally:
        reader.close()


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "wal.db")
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    engine.dispose()


def _trigram_indexes(url: str) -> dict[str, set[str]]:
    """Each table's pg_trgm indexes."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT tablename, indexname FROM pg_indexes "
                    "WHERE indexdef LIKE '%gin_trgm_ops%' ORDER BY 1, 2"
                )
            ).all()
    finally:
        engine.dispose()
    out: dict[str, set[str]] = {}
    for table, index in rows:
        out.setdefault(table, set()).add(index)
    return out


def _add_delivery(url: str, sid: str, body: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO deliveries (sid, to_number, body, profile, segments, encoding, "
                "status, status_rank, send_state, created_at, updated_at) VALUES "
                "(:sid, '+14155550100', :body, 'default', 1, 'GSM-7', 'sent', 40, "
                "'accepted', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            {"sid": sid, "body": body},
        )
    engine.dispose()


def _found(url: str, needle: str) -> list[str | None]:
    reader = Reader(url)
    try:
        return sorted(d.sid for d in reader.deliveries(DeliveryFilter(text=needle)))
    finally:
        reader.close()


def test_postgresql_0005_moves_the_trigram_indexes_and_back(pg_url: str) -> None:
    """A database at 0004 (trigram indexes on deliveries, as on dev machines) upgrades to the
    side table, backfilled; the downgrade to 0004 puts the four indexes back."""
    upgrade(pg_url, "0004")
    on_deliveries = {
        f"ix_pg_deliveries_{c}_trgm" for c in ("to_number", "from_number", "body", "sid")
    }
    assert _trigram_indexes(pg_url) == {"deliveries": on_deliveries}
    _add_delivery(pg_url, "SMbefore5", "written at 0004")
    upgrade(pg_url)
    assert _trigram_indexes(pg_url) == {"delivery_search": {"ix_pg_delivery_search_trgm"}}
    assert _found(pg_url, "AT 0004") == _found(pg_url, "smbefore") == ["SMbefore5"]
    command.downgrade(alembic_config(pg_url), "0004")
    assert _trigram_indexes(pg_url) == {"deliveries": on_deliveries}
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        assert PG_SEARCH not in inspect(conn).get_table_names()
        functions = conn.execute(
            text("SELECT count(*) FROM pg_proc WHERE proname = 'delivery_search_sync'")
        ).scalar_one()
    engine.dispose()
    assert functions == 0
    upgrade(pg_url)
    assert _found(pg_url, "at 0004") == ["SMbefore5"]


def test_postgresql_pg_trgm_in_a_schema_off_the_search_path(pg_url: str) -> None:
    """pg_trgm installed earlier in a schema not on the search_path: its operator class is
    named with that schema, so the upgrade still builds the trigram index."""
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE SCHEMA extensions"))
        conn.execute(text("CREATE EXTENSION pg_trgm SCHEMA extensions"))
    engine.dispose()
    upgrade(pg_url)
    assert _trigram_indexes(pg_url) == {"delivery_search": {"ix_pg_delivery_search_trgm"}}
    _add_delivery(pg_url, "SMoff1", "off the path")
    assert _found(pg_url, "THE PATH") == ["SMoff1"]


def test_postgresql_without_pg_trgm_the_filter_scans(
    pg_admin: tuple[Engine, URL], pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A role that may not create extensions (no CREATE on the database): the upgrade warns,
    builds no trigram index, and the text filter still answers (scanning the side table)."""
    admin, _ = pg_admin
    role = f"sms_console_no_ext_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
    owner = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with owner.connect() as conn:
            conn.execute(text(f"GRANT USAGE, CREATE ON SCHEMA public TO {role}"))
        url = make_url(pg_url).set(username=role).render_as_string(hide_password=False)
        with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
            upgrade(url)
        assert any("pg_trgm is not available" in r.getMessage() for r in caplog.records)
        assert _trigram_indexes(url) == {}
        _add_delivery(url, "SMscan1", "found by a scan")
        assert _found(url, "BY A SCAN") == _found(url, "smscan") == ["SMscan1"]
    finally:
        with owner.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
        owner.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP ROLE {role}"))
