"""A process killed mid-bulk is restarted with no message lost or doubled.

The child (``sender_crash_child.py``) sends a bulk of 30 through the real twilio library to a
simulator this test runs. Once some messages are accepted, the simulator starts holding its
answers (the messages are stored, the responses delayed), so a few creates are in flight when
the child is killed with SIGKILL. A fresh sender on the same database then resumes: in-flight
messages are reconciled (adopted, never re-sent), queued ones are sent.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from pathlib import Path

from console.domain.model import SendState
from console.gateway.client import TwilioGateway
from console.gateway.sender import Sender
from console.secrets import Credentials
from console.settings import Pacing
from console.simulator import DEMO_ACCOUNT, Simulator, SimulatorServer
from console.store.queries import Reader
from console.store.writer import Writer
from tests.integration.sender_crash_child import recipients

REPO = Path(__file__).resolve().parents[2]
COUNT = 30
FROM = "+14155550100"


def outbound(sim: Simulator) -> list[tuple[str, str, str]]:
    return [(m.sid, m.to, m.body) for m in sim.messages() if m.direction == "outbound-api"]


async def test_a_bulk_killed_mid_way_resumes_without_losing_or_doubling(db_url: str) -> None:
    sim = Simulator(DEMO_ACCOUNT)
    async with SimulatorServer(sim) as server:
        assert server.base_url is not None
        env = {
            **os.environ,
            "CRASH_DB_URL": db_url,
            "CRASH_API_BASE_URL": server.base_url,
            "CRASH_FROM": FROM,
            "CRASH_COUNT": str(COUNT),
            "CRASH_RATE": "20",
            "TWILIO_ACCOUNT_SID": DEMO_ACCOUNT.sid,
            "TWILIO_AUTH_TOKEN": DEMO_ACCOUNT.auth_token,
            "PYTHONPATH": str(REPO),
        }
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.sender_crash_child",
            cwd=REPO,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await sim.wait_for(lambda: len(outbound(sim)) >= 8, within=60)
            sim.slow_next_creates(1000, 60.0)  # from now on: stored, but answered much later
            await sim.wait_for(lambda: len(outbound(sim)) >= 11, within=30)
        finally:
            child.send_signal(signal.SIGKILL)
            _, stderr = await child.communicate()
        assert child.returncode == -signal.SIGKILL, stderr.decode()
        sim.slow_next_creates(0, 0.0)
        before = len(outbound(sim))
        assert 11 <= before < COUNT

        writer = Writer(db_url)
        await writer.start()
        reader = Reader(db_url)
        try:
            left = reader.in_send_state(SendState.SUBMITTING, SendState.UNKNOWN)
            assert left, "the kill should leave creates in flight"
            creds = Credentials(account_sid=DEMO_ACCOUNT.sid, auth_token=DEMO_ACCOUNT.auth_token)
            gateway = TwilioGateway(creds, api_base_url=server.base_url, timeout=5.0)
            sender = Sender(
                writer,
                reader,
                gateway,
                pacing=Pacing(long_code=100.0),
                status_callback=lambda: None,
                settle_seconds=0.5,
            )
            report = await sender.resume_pending()
            assert report.adopted >= 1 and report.unresolved == 0
            assert report.job is not None
            final = await asyncio.wait_for(report.job.wait(), 30)
            assert final.done == final.total and final.failed == 0

            sent = outbound(sim)
            expected = Counter((r.to, r.body) for r in recipients(COUNT, FROM))
            assert Counter((to, body) for _, to, body in sent) == expected  # each exactly once
            ledger = reader.deliveries(limit=100)
            assert len(ledger) == COUNT
            assert all(d.send_state is SendState.ACCEPTED for d in ledger)
            assert {d.sid for d in ledger} == {sid for sid, _, _ in sent}
        finally:
            await writer.close()
            reader.close()
