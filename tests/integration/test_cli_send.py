"""``sms-console send`` as a subprocess against a simulator started here, and in-process.

Credentials go in through the TWILIO_* variables; the keyring is keyring's own "no backend"
(``PYTHON_KEYRING_BACKEND``), so the developer's real keyring is never read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from console.commands.send import send_command
from console.domain.trial import get_template
from console.gateway.client import TwilioGateway
from console.secrets import Credentials
from console.settings import Settings
from console.simulator import (
    DEMO_ACCOUNT,
    AccountConfig,
    Latency,
    Outcome,
    RecipientRule,
    Scenario,
    Simulator,
    SimulatorServer,
)
from console.simulator.state import MessageRecord
from console.store.db import sqlite_url, upgrade
from console.store.queries import Reader
from console.store.writer import Writer

ROOT = Path(__file__).resolve().parents[2]
FROM = "+14155550100"
SCENARIO = Scenario(
    rules=(RecipientRule(Outcome("undelivered", 30003), to="+14155550666"),),
    latency=Latency(sent=(0.2, 0.3), final=(0.2, 0.3)),
)


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def reasons(self) -> list[str]:
        """Standard error without the keyring warnings (no keyring exists in the tests)."""
        return [ln for ln in self.stderr.splitlines() if not ln.startswith("sms-console: warn")]

    def json(self) -> dict[str, object]:
        data = json.loads(self.stdout)
        assert isinstance(data, dict)
        return data


def cli_env(data_dir: Path, account: AccountConfig = DEMO_ACCOUNT, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "NGROK_"))}
    env.update(
        SMS_CONSOLE_HOME=str(data_dir),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        TWILIO_ACCOUNT_SID=account.sid,
        TWILIO_AUTH_TOKEN=account.auth_token,
        TWILIO_FROM_NUMBER=FROM,
    )
    env.update(extra)
    return env


async def send(server: SimulatorServer, env: dict[str, str], *args: str) -> Result:
    """Run ``main.py send`` without blocking this loop (the simulator answers on it)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "main.py",
        "send",
        "--api-base-url",
        server.base_url or "",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


def outbound(server: SimulatorServer) -> list[MessageRecord]:
    return [m for m in server.messages() if m.direction == "outbound-api"]


@pytest.fixture
async def server() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(Simulator(DEMO_ACCOUNT, SCENARIO)) as srv:
        yield srv


async def test_send_prints_the_sid_and_records_it(server: SimulatorServer, data_dir: Path) -> None:
    out = await send(server, cli_env(data_dir), "--to", "415 555 0141", "--body", "hi", "--json")
    assert out.returncode == 0, out.stderr
    data = out.json()
    [message] = server.messages()
    assert data["ok"] is True and data["sid"] == message.sid and data["to"] == "+14155550141"
    assert data["send_state"] == "accepted" and data["from"] == FROM
    assert message.status_callback is None  # no public URL: no callback requested
    reader = Reader(sqlite_url(data_dir / "console.db"))
    try:
        d = reader.delivery_by_sid(message.sid)
        assert d is not None and d.body == "hi"
    finally:
        reader.close()


async def test_send_wait_reports_the_final_status(server: SimulatorServer, data_dir: Path) -> None:
    env = cli_env(data_dir)
    out = await send(
        server,
        env,
        "--to",
        "+14155550142",
        "--body",
        "wait for it",
        "--wait",
        "20",
        "--public-url",
        "https://console-test.example.com",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("SM") and "delivered" in out.stdout
    # the time it took, not the limit it was given
    assert "waiting up to" not in out.stdout
    took = re.search(r": delivered in (\d+\.\d) s ", out.stdout)
    assert took is not None, out.stdout
    assert 0 < float(took.group(1)) < 20
    [message] = outbound(server)
    assert message.status_callback == "https://console-test.example.com/webhooks/twilio/status"


async def test_send_wait_json_gives_the_seconds_it_took(
    server: SimulatorServer, data_dir: Path
) -> None:
    out = await send(
        server, cli_env(data_dir), "--to", "+14155550148", "--body", "x", "--wait", "20", "--json"
    )
    assert out.returncode == 0, out.stderr
    data = out.json()
    assert data["status"] == "delivered" and data["final"] is True
    took = data["elapsed_seconds"]
    assert isinstance(took, float) and 0 < took < 20


async def test_send_wait_that_runs_out_says_the_limit(data_dir: Path) -> None:
    slow = Scenario(latency=Latency(sent=(0.0, 0.0), final=(600.0, 600.0)))
    async with SimulatorServer(Simulator(DEMO_ACCOUNT, slow)) as server:
        out = await send(
            server, cli_env(data_dir), "--to", "+14155550149", "--body", "x", "--wait", "0.5"
        )
    assert out.returncode == 3, out.stderr
    [reason] = out.reasons
    assert re.search(r" is still '(queued|sending|sent)' after 0\.5 s; ", reason), reason


async def test_an_undelivered_message_fails_with_the_catalog_explanation(
    server: SimulatorServer, data_dir: Path
) -> None:
    out = await send(
        server, cli_env(data_dir), "--to", "+14155550666", "--body", "x", "--wait", "20", "--json"
    )
    assert out.returncode == 1
    data = out.json()
    assert data["ok"] is False and data["status"] == "undelivered" and data["error_code"] == 30003
    assert "30003" in out.stderr and "What to do:" in out.stderr
    assert len(out.reasons) == 1


async def test_an_invalid_number_is_refused_before_calling_twilio(
    server: SimulatorServer, data_dir: Path
) -> None:
    out = await send(server, cli_env(data_dir), "--to", "12", "--body", "x")
    assert out.returncode == 1 and "error 21211" in out.stderr
    assert len(out.reasons) == 1 and outbound(server) == []


async def test_an_opted_out_recipient_is_refused(server: SimulatorServer, data_dir: Path) -> None:
    url = sqlite_url(data_dir / "console.db")
    upgrade(url)
    writer = Writer(url)
    await writer.start()
    await writer.set_opt_out("+14155550143", True, "STOP")
    await writer.close()
    out = await send(server, cli_env(data_dir), "--to", "+14155550143", "--body", "x", "--json")
    assert out.returncode == 1
    assert "replied STOP" in str(out.json()["error"])
    assert outbound(server) == []


async def test_a_trial_account_refuses_an_unverified_number(data_dir: Path) -> None:
    trial = replace(DEMO_ACCOUNT, type="Trial")
    async with SimulatorServer(Simulator(trial)) as server:
        body = get_template("sms_2fa").body
        out = await send(server, cli_env(data_dir, trial), "--to", "+14155550144", "--body", body)
        assert out.returncode == 1 and "verify this number" in out.stderr
        ok = await send(server, cli_env(data_dir, trial), "--to", "+14155550150", "--body", body)
        assert ok.returncode == 0, ok.stderr
        assert len(outbound(server)) == 1


async def test_a_twilio_refusal_is_explained(server: SimulatorServer, data_dir: Path) -> None:
    out = await send(
        server, cli_env(data_dir), "--to", "+14155550145", "--body", "x", "--from", "+14155550199"
    )
    assert out.returncode == 1 and "21606" in out.stderr and "What to do:" in out.stderr


async def test_missing_credentials_are_reported(server: SimulatorServer, data_dir: Path) -> None:
    env = cli_env(data_dir)
    env.pop("TWILIO_ACCOUNT_SID")
    out = await send(server, env, "--to", "+14155550146", "--body", "x")
    assert out.returncode == 1 and "No Twilio credentials" in out.stderr


async def test_the_command_accepts_a_gateway_from_its_caller(
    server: SimulatorServer, settings: Settings
) -> None:
    creds = Credentials(
        account_sid=DEMO_ACCOUNT.sid, auth_token=DEMO_ACCOUNT.auth_token, from_number=FROM
    )
    gateway = TwilioGateway(creds, api_base_url=server.base_url or "", timeout=5)
    args = argparse.Namespace(
        to="+14155550147",
        body="in process",
        from_=None,
        messaging_service=None,
        wait=0.0,
        json=False,
    )
    assert await send_command(args, settings, gateway, creds) == 0
    assert [m.to for m in outbound(server)] == ["+14155550147"]
