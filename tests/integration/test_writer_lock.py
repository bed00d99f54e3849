"""One writing process per SQLite database: a second writer is refused with who holds it.

Two writers on one SQLite file can corrupt it (FACTS.md, the WAL-reset bug). The window, the CLI
and ``serve`` all write through a Writer, so the Writer holds an OS lock while it is open; the
lock goes away with its process, however that process ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from console.store.db import sqlite_url, upgrade
from console.store.writer import Writer
from console.store.writer_lock import DatabaseInUse

SEND = ("send", "--demo", "--to", "+14155550123", "--body", "hello")
HOLDER = """
import asyncio, sys
from console.store.writer import Writer

async def main() -> None:
    writer = Writer(sys.argv[1])
    await writer.start()
    print("holding", flush=True)
    sys.stdin.readline()  # hold the lock until the test says so (or kills this process)
    await writer.close()

asyncio.run(main())
"""


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path / "console.db")
    upgrade(url)
    return url


async def test_a_second_writer_is_refused_until_the_first_closes(url: str) -> None:
    first = Writer(url)
    await first.start()
    second = Writer(url)
    with pytest.raises(DatabaseInUse, match=rf"pid {os.getpid()}.*--data-dir"):
        await second.start()
    await first.close()
    await second.start()  # free again
    await second.close()


def hold(url: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "holding"
    return child


async def test_another_process_holding_the_database_is_named(url: str) -> None:
    child = hold(url)
    try:
        with pytest.raises(DatabaseInUse, match=rf"pid {child.pid}"):
            await Writer(url).start()
    finally:
        child.communicate("\n", timeout=30)
    writer = Writer(url)
    await writer.start()
    await writer.close()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
async def test_a_killed_holder_leaves_no_stale_lock(url: str) -> None:
    child = hold(url)
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=30)  # reaped, its pipes closed
    assert child.returncode == -signal.SIGKILL
    writer = Writer(url)
    await writer.start()  # the OS dropped the dead process's lock
    await writer.close()


def test_the_cli_says_why_it_cannot_write_without_a_traceback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = sqlite_url(data / "console.db")
    upgrade(url)
    child = hold(url)
    try:
        cli = subprocess.run(
            [sys.executable, "main.py", "--data-dir", str(data), *SEND],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=Path(__file__).resolve().parents[2],
        )
    finally:
        child.communicate("\n", timeout=30)
    assert cli.returncode == 1
    assert f"pid {child.pid}" in cli.stderr and "--data-dir" in cli.stderr
    assert "Traceback" not in cli.stderr
