"""Shared fixtures: a fresh data directory, a migrated database, an in-memory keyring."""

from __future__ import annotations

import os

# Tests never need a screen: render offscreen unless the caller chose a platform (e.g. xvfb).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

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
