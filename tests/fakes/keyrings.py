"""Real keyring backends for tests, so the developer's own keyring is never touched.

Each is a ``keyring.backend.KeyringBackend`` subclass with priority -1 (never chosen
automatically): install one with ``keyring.set_keyring`` or :func:`installed_keyring`, or name
``tests.fakes.keyrings.MemoryKeyring`` in ``PYTHON_KEYRING_BACKEND`` for a subprocess.
``MemoryKeyring`` works (entries in a dict); ``LockedKeyring`` stays locked like a dismissed
unlock prompt; ``BrokenKeyring`` cannot initialise; ``HangingKeyring`` blocks like an unlock
prompt nobody answers; :func:`no_backend` is keyring's own "no backend was found".
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import fail


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A working keyring kept in a dict (priority -1: never chosen automatically)."""

    priority = -1

    def __init__(self, entries: dict[tuple[str, str], str] | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's __init__ is untyped
        self.entries: dict[tuple[str, str], str] = dict(entries or {})

    def get_password(self, service: str, username: str) -> str | None:
        """The stored value, if any."""
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a value."""
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Remove a value (as keyring does, complaining when there is none)."""
        if (service, username) not in self.entries:
            raise keyring.errors.PasswordDeleteError(username)
        del self.entries[(service, username)]


class LockedKeyring(MemoryKeyring):
    """A keyring whose collection stays locked (nobody answered the unlock prompt)."""

    def get_password(self, service: str, username: str) -> str | None:
        """Refuse: locked."""
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        """Refuse: locked."""
        raise keyring.errors.KeyringLocked("Failed to unlock the collection!")


class BrokenKeyring(MemoryKeyring):
    """A backend whose connection cannot be set up (no D-Bus session, for example)."""

    def get_password(self, service: str, username: str) -> str | None:
        """Refuse: the backend cannot initialise."""
        raise keyring.errors.InitError("Failed to create the collection: no D-Bus session")


class HangingKeyring(MemoryKeyring):
    """A backend stuck like an unlock prompt nobody answers, until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        """Block until released (at most 30 s), then find nothing."""
        self.entered.set()
        self.release.wait(30)
        return None


def no_backend() -> keyring.backend.KeyringBackend:
    """keyring's own "no backend was found" stand-in."""
    backend: keyring.backend.KeyringBackend = fail.Keyring()  # type: ignore[no-untyped-call]
    return backend


@contextlib.contextmanager
def installed_keyring(backend: keyring.backend.KeyringBackend) -> Iterator[None]:
    """Use ``backend`` as the keyring inside the block; put the previous one back after."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield
    finally:
        keyring.set_keyring(previous)
