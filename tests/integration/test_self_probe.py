"""The self-probe through real parts: it runs when the public URL changes, proves reachability
through the request log, and never writes a delivery or an event to the ledger."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from console.doctor.probe import PROBE_FIELD, SelfProber, is_probe, run_probe
from console.domain.model import Verdict
from console.store.db import sqlite_url, upgrade
from tests.integration.test_doctor_support import (
    WRONG_TOKEN,
    closed_port,
    doctor_rig,
    no_twilio_env,
)

__all__ = ["no_twilio_env"]  # fixtures used by name below

pytestmark = pytest.mark.usefixtures("memory_keyring", "no_twilio_env")


async def test_probe_runs_when_the_url_comes_online_and_leaves_no_delivery(db_url: str) -> None:
    async with doctor_rig(db_url) as rig:
        result = await rig.first_probe()
        assert result.ok and result.reachable
        assert result.verdict == "valid"
        assert result.public_url == rig.server.local_url
        assert result.latency_ms is not None and result.latency_ms > 0
        assert result.status_code == 200  # recognised as the probe: validated, logged, no ledger
        logged = [r for r in rig.reader.requests() if is_probe(r)]
        assert len(logged) == 1
        assert logged[0].verdict is Verdict.VALID and f"{PROBE_FIELD}=probe-" in logged[0].body
        assert logged[0].status_code == 200  # not a failure in the inspector
        assert logged[0].diagnosis is not None
        assert logged[0].diagnosis.startswith("Self-test probe from the console")
        assert rig.reader.count_deliveries() == 0
        assert not any(change.events or change.deliveries for change in rig.changes)


async def test_every_url_change_probes_again(db_url: str) -> None:
    async with doctor_rig(db_url) as rig:
        await rig.first_probe()
        rig.probed.clear()
        await rig.provider.stop()  # the URL goes away ...
        assert rig.prober.url is None and rig.prober.latest is None
        await rig.provider.start()  # ... and comes back: a new probe
        async with asyncio.timeout(10):
            await rig.probed.wait()
        assert len(rig.probes) == 2 and rig.probes[1].ok
        assert rig.prober.latest == rig.probes[1]


async def test_no_public_url_means_no_probe(db_url: str) -> None:
    async with doctor_rig(db_url, public=None) as rig:
        assert rig.prober.url is None
        with pytest.raises(LookupError, match="no public URL"):
            await rig.prober.probe()
    assert rig.probes == []


async def test_unreachable_url_is_recorded_with_the_reason(db_url: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    async with doctor_rig(db_url, public=url) as rig:
        result = await rig.first_probe()
    assert not result.reachable and not result.ok
    assert result.latency_ms is None
    assert result.error is not None and "Could not connect" in result.error
    assert "Restart the tunnel" in result.advice


async def test_url_leading_to_another_server_is_not_reachable(db_url: str, tmp_path: Path) -> None:
    other_db = sqlite_url(tmp_path / "other.db")
    upgrade(other_db)
    async with doctor_rig(db_url) as rig, doctor_rig(other_db) as other:
        # The first console's public URL, probed with the log of the second: it never arrived.
        result = await run_probe(
            rig.server.local_url, reader=other.reader, auth_token="x" * 32, within=5
        )
    assert not result.reachable and result.status_code == 403  # another token there
    assert result.error is not None and "never received the request" in result.error


async def test_probe_signed_with_another_token_reports_the_servers_diagnosis(db_url: str) -> None:
    async with doctor_rig(db_url) as rig:
        result = await run_probe(rig.server.local_url, reader=rig.reader, auth_token=WRONG_TOKEN)
    assert result.reachable and not result.ok
    assert result.verdict == "invalid"
    assert result.error is not None and "another Auth Token" in result.error
    assert "inspector" in result.advice


async def test_silent_url_times_out(db_url: str) -> None:
    connections: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        await reader.read(1 << 16)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with doctor_rig(db_url) as rig:
            result = await run_probe(
                f"http://127.0.0.1:{port}", reader=rig.reader, auth_token=None, within=0.3
            )
    finally:
        for connection in connections:
            connection.close()
        server.close()
        await server.wait_closed()
    assert not result.reachable
    assert result.error is not None and "No answer" in result.error and "0.3 s" in result.error


async def test_current_reuses_a_success_and_retries_a_failure(db_url: str) -> None:
    async with doctor_rig(db_url) as rig:
        first = await rig.first_probe()
        again = await rig.prober.current(rig.server.local_url)
        assert again is first  # a recent success answers the doctor
        assert sum(1 for r in rig.reader.requests() if is_probe(r)) == 1
        fresh = await rig.prober.current(rig.server.local_url, max_age=0)
        assert fresh is not first and fresh.ok
        prober = SelfProber(rig.reader, auth_token=lambda: WRONG_TOKEN)
        failed = await prober.probe(rig.server.local_url)
        assert not failed.ok
        retried = await prober.current(rig.server.local_url)
        assert retried is not failed  # a failure is never reused: the cause may be fixed
        await prober.close()
