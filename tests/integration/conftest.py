"""Fixtures of the integration tests: a started demo Core and the commits it publishes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from console.core import Core
from console.settings import Settings
from tests.fakes.keyrings import MemoryKeyring
from tests.integration.core_support import Changes


@pytest.fixture
def changes() -> Changes:
    """A waiter woken by every commit the Core publishes."""
    return Changes()


@pytest.fixture
async def core(
    settings: Settings, memory_keyring: MemoryKeyring, no_credential_env: None, changes: Changes
) -> AsyncIterator[Core]:
    """The Core started in demo mode (no credentials) on a free port, stopped afterwards."""
    c = Core(replace(settings, port=0), publish=changes)
    await c.start()
    yield c
    await c.stop()
