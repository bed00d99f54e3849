"""What the Core's tests share: a waiter on the store's commits, a write that fails once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from console.domain.model import EventIn, StoreChange
from console.store.writer import Writer


class Changes:
    """Wakes waiters whenever the writer commits something (the Core's publish callback)."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def __call__(self, change: StoreChange) -> None:
        self.event.set()

    async def until(self, predicate: Callable[[], object], within: float = 15.0) -> None:
        """Re-check ``predicate`` after every commit until it holds (bounded by ``within``)."""
        async with asyncio.timeout(within):
            while not predicate():
                self.event.clear()
                await self.event.wait()


def failing_once(monkeypatch: pytest.MonkeyPatch, writer: Writer, sid: str) -> None:
    """The next write of an event for ``sid`` fails as on a full disk (the server answers 503)."""
    real = writer.record_event
    failed: list[EventIn] = []

    def record_event(event: EventIn, **kwargs: Any) -> asyncio.Future[Any]:
        if event.message_sid != sid or failed:
            return real(event, **kwargs)
        failed.append(event)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_exception(OSError(28, "No space left on device"))
        return future

    monkeypatch.setattr(writer, "record_event", record_event)
