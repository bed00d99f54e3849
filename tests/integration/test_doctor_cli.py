"""``sms-console doctor`` as a subprocess: demo mode, and a live setup against a simulator.

Credentials go in through TWILIO_* variables; the keyring is chosen with PYTHON_KEYRING_BACKEND
(the dict-backed one from tests/fakes/keyrings.py, or keyring's own "no backend").
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from console.doctor.checks import CHECKS
from console.domain.model import NewDelivery, SendState
from console.simulator import Simulator
from console.simulator.server import SimulatorServer
from console.store.db import sqlite_url, upgrade
from console.store.queries import Reader
from console.store.writer import Writer
from tests.integration.test_doctor_support import (
    FROM,
    SID,
    TOKEN,
    WRONG_TOKEN,
    account,
    closed_port,
)

ROOT = Path(__file__).resolve().parents[2]
MEMORY_KEYRING = "tests.fakes.keyrings.MemoryKeyring"
NO_KEYRING = "keyring.backends.fail.Keyring"


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def cli_env(data_dir: Path, keyring_backend: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "NGROK_"))}
    env.update(SMS_CONSOLE_HOME=str(data_dir), PYTHON_KEYRING_BACKEND=keyring_backend)
    env.update(extra)
    return env


async def doctor(*args: str, env: dict[str, str]) -> Result:
    """``python main.py doctor ARGS`` without blocking this loop (the simulator runs on it)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "main.py",
        "doctor",
        "--port",
        str(closed_port()),
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


@pytest.fixture
async def simulator() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(Simulator(account())) as server:
        yield server


async def test_demo_json_checks_the_simulator_and_passes(data_dir: Path) -> None:
    out = await doctor("--demo", "--json", env=cli_env(data_dir, MEMORY_KEYRING))
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is True and data["demo"] is True and data["mode"] == "demo"
    assert "built-in Twilio simulator" in data["note"]
    assert [c["id"] for c in data["checks"]] == [c.id for c in CHECKS]
    assert {c["state"] for c in data["checks"]} <= {"ok", "skip"}
    assert out.stderr == ""


async def test_demo_text_says_first_that_it_checks_the_simulator(data_dir: Path) -> None:
    out = await doctor("--demo", env=cli_env(data_dir, NO_KEYRING))
    lines = out.stdout.splitlines()
    assert lines[0].startswith("DEMO MODE: these checks run against the console's built-in")
    assert any(line.startswith("[ OK ] Twilio credentials") for line in lines)
    # keyring's "no backend": a warning in demo mode, so the doctor does not pass
    assert any(line.startswith("[WARN] OS keyring") for line in lines)
    assert out.returncode == 1
    assert out.stderr.strip() == "sms-console: 1 of 14 checks did not pass (keyring)"


async def test_live_wrong_token_and_http_url(data_dir: Path, simulator: SimulatorServer) -> None:
    env = cli_env(
        data_dir,
        MEMORY_KEYRING,
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=WRONG_TOKEN,
        TWILIO_FROM_NUMBER=FROM,
    )
    url = f"http://127.0.0.1:{closed_port()}"
    base = simulator.base_url or ""
    out = await doctor("--json", "--api-base-url", base, "--public-url", url, env=env)
    assert out.returncode == 1
    data = json.loads(out.stdout)
    assert data["ok"] is False and data["mode"] == "live" and data["public_url"] == url
    checks = {c["id"]: c for c in data["checks"]}
    assert checks["credentials"]["state"] == "fail" and "20003" in checks["credentials"]["finding"]
    assert checks["credentials"]["action"] == "open_settings"
    assert checks["public_url_https"]["state"] == "fail"
    assert checks["self_probe"]["state"] == "fail"
    assert "credentials" in data["error"] and "self_probe" in data["error"]
    assert len(out.stderr.strip().splitlines()) == 1
    assert TOKEN not in out.stdout + out.stderr and WRONG_TOKEN not in out.stdout + out.stderr


async def test_live_human_report_shows_fixes(data_dir: Path, simulator: SimulatorServer) -> None:
    env = cli_env(data_dir, MEMORY_KEYRING, TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN)
    base = simulator.base_url or ""
    out = await doctor("--api-base-url", base, "--no-tunnel", env=env)
    assert out.returncode == 1
    text = out.stdout
    assert "[FAIL] Sender (From number or Messaging Service): No sender is configured" in text
    assert "Fix: Pick one of the account's SMS-capable numbers" in text
    assert "[in the window: Open Settings]" in text
    assert "[FAIL] Public URL uses HTTPS: There is no public URL" in text
    assert text.splitlines()[-1].startswith("14 checks: ")


async def test_a_doctor_run_sends_nothing_and_leaves_the_ledger_alone(data_dir: Path) -> None:
    url = sqlite_url(data_dir / "console.db")
    upgrade(url)
    writer = Writer(url)
    await writer.start()
    queued = await writer.add_delivery(NewDelivery(to="+14155550160", body="wait for me"))
    await writer.close()
    out = await doctor("--demo", "--json", env=cli_env(data_dir, MEMORY_KEYRING))
    assert json.loads(out.stdout)["demo"] is True
    reader = Reader(url)
    try:
        after = reader.delivery(queued.id)
        assert after is not None and after.send_state is SendState.QUEUED  # not sent by doctor
        assert [e.status for e in reader.events(queued.id)] == []
    finally:
        reader.close()
