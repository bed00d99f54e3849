"""One writing process per SQLite database: an OS file lock held while a Writer is open.

FACTS.md: SQLite's WAL-reset bug corrupts a database when two connections write or checkpoint at
once, so the console keeps exactly one writing connection. Within a process the Writer is that
connection; across processes (the window and ``sms-console send``/``serve`` on the same data
directory) nothing stopped a second one. The Writer now holds an exclusive, non-blocking OS lock
on ``<database>.writer-lock`` for as long as it is open. The operating system drops the lock when
the process ends, however it ends (a SIGKILL included), so a crash never leaves a stale lock.
The file also says who holds it, for the error a second writer gets.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

_WINDOWS_LOCK_OFFSET = 1 << 20  # lock a byte past the holder's note, which stays readable


class DatabaseInUse(RuntimeError):
    """Another process is writing to the database; says which and what to do."""


def _lock(handle: IO[str]) -> None:
    """Take the exclusive lock without waiting (OSError if another process holds it)."""
    if sys.platform == "win32":
        import msvcrt

        handle.seek(_WINDOWS_LOCK_OFFSET)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        handle.seek(0)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def _unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(_WINDOWS_LOCK_OFFSET)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class WriterLock:
    """The lock of one database file (see module doc); ``acquire`` once, ``release`` at close."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".writer-lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Hold the lock, or raise :class:`DatabaseInUse` naming the process that holds it."""
        if self._handle is not None:
            return
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (held until release)
        try:
            _lock(handle)
        except OSError:
            handle.seek(0)
            holder = _describe(handle.read())
            handle.close()
            raise DatabaseInUse(
                f"The database {self.database} is open for writing in another SMS "
                f"Console process ({holder}). Only one process may write to it: two writers can "
                "corrupt an SQLite database. Close the other one (a window, or a running "
                "'sms-console serve'), or give this one its own data directory with --data-dir."
            ) from None
        handle.seek(0)
        handle.truncate()
        note = {
            "pid": os.getpid(),
            # the command line (it never holds secrets: they come from the keyring or the env)
            "program": " ".join([os.path.basename(sys.argv[0]), *sys.argv[1:]])[:160] or "python",
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        handle.write(json.dumps(note))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Let another process write (the lock file stays; it is harmless without the lock)."""
        handle, self._handle = self._handle, None
        if handle is not None:
            try:
                _unlock(handle)
            finally:
                handle.close()


def _describe(note: str) -> str:
    """'pid 123, sms-console serve, since …' from the holder's note (or what is known)."""
    try:
        data: Any = json.loads(note)
        return f"pid {int(data['pid'])}, {data['program']}, since {data['since']}"
    except (ValueError, KeyError, TypeError):
        return "another process"
