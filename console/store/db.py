"""Engines and schema upgrades: SQLite (WAL) by default, any SQLAlchemy URL otherwise.

There is exactly one writing connection (owned by :class:`console.store.writer.Writer`); readers
get their own engine which, on SQLite, is marked ``query_only`` (on PostgreSQL: read-only
transactions) so that a stray write from a reader fails loudly instead of racing the writer
(FACTS.md: the WAL-reset bug needs two writers).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an SQLite database file."""
    return f"sqlite:///{path}"


def sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL (None for other databases and in-memory ones)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or parsed.query.get("mode") == "memory":
        return None
    return Path(database)


def is_sqlite(url: str) -> bool:
    """Whether the URL names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(*, writer: bool) -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        if writer:
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL syncs every commit; group commit amortises it over a batch.
            cursor.execute("PRAGMA synchronous=FULL")
        else:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return on_connect


def make_writer_engine(url: str) -> Engine:
    """The engine of the single writing connection.

    On SQLite the transactions are explicit (SQLAlchemy's documented pysqlite recipe): the
    driver's own implicit BEGIN only precedes INSERT/UPDATE/DELETE statements, so a batch that
    starts with another statement (a savepoint, a ``WITH … UPDATE``) would run partly in
    autocommit, and releasing the outermost savepoint would commit. ``BEGIN IMMEDIATE`` takes the
    write lock at the start of each batch.
    """
    if is_sqlite(url):
        engine = create_engine(url, pool_size=1, max_overflow=0)
        event.listen(engine, "connect", _sqlite_pragmas(writer=True))
        event.listen(engine, "connect", _explicit_transactions)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(url, pool_size=1, max_overflow=0, pool_pre_ping=True)


def _explicit_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # pysqlite: no implicit BEGIN, no implicit COMMIT


def _begin_immediate(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_reader_engine(url: str) -> Engine:
    """An engine for read-only sessions (the GUI, the CLI's export)."""
    if is_sqlite(url):
        engine = create_engine(url, pool_size=4, max_overflow=4)
        event.listen(engine, "connect", _sqlite_pragmas(writer=False))
        return engine
    if make_url(url).get_backend_name() == "postgresql":
        # PostgreSQL's counterpart of query_only: every transaction is READ ONLY.
        return create_engine(
            url, pool_pre_ping=True, execution_options={"postgresql_readonly": True}
        )
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the schema of the database at ``url`` (idempotent)."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Switch to WAL before Alembic's connection takes its own locks.
        engine = make_writer_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    log.info("upgrading database schema to %s", revision)
    command.upgrade(alembic_config(url), revision)
