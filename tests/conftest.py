"""Shared fixtures: a fresh data directory, a migrated database, an in-memory keyring.

The store's own tests also run on PostgreSQL when ``SMS_CONSOLE_TEST_PG`` holds the SQLAlchemy
URL of a server (a role that may create databases, e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``): ``empty_db_url`` is parametrized
over both backends and each PostgreSQL test gets a database of its own, dropped afterwards.
Without the variable the PostgreSQL cases are reported as skipped, with the reason.
"""

from __future__ import annotations

import os

# Tests never need a screen: render offscreen unless the caller chose a platform (e.g. xvfb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from console.secrets import ENV_VARS
from console.settings import Settings
from console.store.db import sqlite_url, upgrade
from console.store.queries import Reader
from console.store.writer import Writer
from tests.fakes.keyrings import MemoryKeyring, installed_keyring


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory; SMS_CONSOLE_HOME points at it so nothing touches the real one."""
    path = tmp_path / "data"
    path.mkdir()
    monkeypatch.setenv("SMS_CONSOLE_HOME", str(path))
    return path


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """Default settings in the test's data directory."""
    return Settings(data_dir=data_dir)


@pytest.fixture
def db_url(data_dir: Path) -> str:
    """A migrated SQLite database in the test's data directory."""
    url = sqlite_url(data_dir / "console.db")
    upgrade(url)
    return url


PG_ENV = "SMS_CONSOLE_TEST_PG"
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[tuple[Engine, URL]]:
    """An AUTOCOMMIT engine on the server named by ``SMS_CONSOLE_TEST_PG``, and its URL.

    Skips (with the reason) when the variable is not set; fails when it is set but the server
    cannot be reached, since then the PostgreSQL runs were asked for and cannot happen.
    """
    raw = os.environ.get(PG_ENV, "").strip()
    if not raw:
        pytest.skip(f"PostgreSQL runs need {PG_ENV}=<SQLAlchemy URL of a server>; not set")
    url = make_url(raw)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # the driver of the test extra
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        pytest.fail(f"{PG_ENV} is set but its server does not answer: {exc}")
    yield engine, url
    engine.dispose()


@pytest.fixture
def pg_url(pg_admin: tuple[Engine, URL]) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database for this test (dropped afterwards).

    It sorts text by ICU's en-US rules where the server can (PostgreSQL 15+ with ICU), like the
    usual en_US.UTF-8 servers, so that tests see what a byte-order ("C") database would hide.
    """
    engine, url = pg_admin
    name = f"sms_console_test_{uuid.uuid4().hex[:16]}"
    create = f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'"
    with engine.connect() as conn:
        try:  # a linguistic collation, as most servers have, not the byte order of "C"
            conn.execute(text(f"{create} LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'"))
        except DBAPIError:  # a server before 15, or built without ICU
            conn.execute(text(create))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, data_dir: Path) -> str:
    """An empty database of each backend: an SQLite file, or a PostgreSQL database of its own
    (skipped without ``SMS_CONSOLE_TEST_PG``). Store tests override ``db_url`` with
    :func:`any_db_url` to run on both."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        return url
    return sqlite_url(data_dir / "console.db")


@pytest.fixture
def any_db_url(empty_db_url: str) -> str:
    """``empty_db_url``, migrated to the head revision."""
    upgrade(empty_db_url)
    return empty_db_url


@pytest.fixture
async def writer(db_url: str) -> AsyncIterator[Writer]:
    """A started writer on the test's event loop, closed afterwards."""
    w = Writer(db_url)
    await w.start()
    yield w
    await w.close()


@pytest.fixture
def reader(db_url: str) -> Iterator[Reader]:
    """A reader on the test's database."""
    r = Reader(db_url)
    yield r
    r.close()


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An empty in-memory keyring for the test; the previous backend is restored afterwards."""
    backend = MemoryKeyring()
    with installed_keyring(backend):
        yield backend


@pytest.fixture
def no_credential_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TWILIO_* or NGROK_AUTHTOKEN variable leaks in from the developer's shell."""
    for var in ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)
