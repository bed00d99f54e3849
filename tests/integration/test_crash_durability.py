"""No callback acknowledged with 200 is lost, even when the server is SIGKILLed mid-stream.

A child process runs ``sms-console serve``; clients post signed callbacks as fast as they can;
right after the N-th 200 the child is killed with SIGKILL while other requests are in flight.
After a restart on the same data directory every acknowledged callback is in the database.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import aiohttp
import pytest

from console.domain.model import Verdict
from console.store.db import sqlite_url
from console.store.queries import Reader
from tests.integration.webhooks_support import (
    free_port,
    sign,
    start_serve,
    status_params,
)

CLIENTS = 24
ACKS_BEFORE_KILL = 400


class Stream:
    """Clients posting unique callbacks until the server dies; records what got a 200."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acked: list[str] = []
        self.in_flight = 0
        self.enough = asyncio.Event()

    async def client(self, session: aiohttp.ClientSession, number: int) -> None:
        n = 0
        while True:
            sid = f"SM{number:04x}{n:028x}"
            n += 1
            params = status_params(sid, "delivered")
            self.in_flight += 1
            try:
                async with session.post(
                    self.url, data=params, headers={"X-Twilio-Signature": sign(self.url, params)}
                ) as resp:
                    status = resp.status
                    await resp.read()
            except (aiohttp.ClientError, OSError):
                return  # the server is gone
            finally:
                self.in_flight -= 1
            assert status == 200
            self.acked.append(sid)
            if len(self.acked) >= ACKS_BEFORE_KILL:
                self.enough.set()


@pytest.mark.slow
async def test_acknowledged_callbacks_survive_sigkill(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    proc, info = await start_serve(data_dir, free_port())
    stream = Stream(info["status_callback_url"])
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as session:
        clients = [asyncio.create_task(stream.client(session, i)) for i in range(CLIENTS)]
        try:
            await asyncio.wait_for(stream.enough.wait(), timeout=60)
            proc.send_signal(signal.SIGKILL)
            in_flight_at_kill = stream.in_flight
            assert await asyncio.wait_for(proc.wait(), timeout=30) == -signal.SIGKILL
            await asyncio.wait_for(asyncio.gather(*clients), timeout=30)
        finally:
            for task in clients:
                task.cancel()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert in_flight_at_kill > 0, "the kill must land while requests are in flight"
    acked = list(stream.acked)

    restarted, info = await start_serve(data_dir, free_port())
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(info["local_url"] + "/healthz") as resp,
        ):
            assert (await resp.json())["ok"] is True
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(restarted.wait(), timeout=30) == 0

    reader = Reader(sqlite_url(data_dir / "console.db"))
    try:
        missing = [sid for sid in acked if not reader.events_by_sid(sid)]
        assert missing == [], f"{len(missing)} of {len(acked)} acknowledged callbacks were lost"
        for sid in acked[:: max(1, len(acked) // 50)]:
            delivery = reader.delivery_by_sid(sid)
            assert delivery is not None and delivery.status == "delivered"
        # each acknowledged callback's request-log entry was in the same commit as its event
        assert reader.count_requests(verdict=Verdict.VALID.value) >= len(acked)
    finally:
        reader.close()
