"""``sms-console numbers`` and ``verify`` as subprocesses against a simulator started here.

Credentials go in through the TWILIO_* variables; the keyring is keyring's own "no backend"
(``PYTHON_KEYRING_BACKEND``), so the developer's real keyring is never read.
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

from console.simulator.config import DEMO_ACCOUNT
from console.simulator.core import Simulator
from console.simulator.server import SimulatorServer

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: str
    stderr: str


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "NGROK_"))}
    env.update(
        SMS_CONSOLE_HOME=str(data_dir),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        QT_QPA_PLATFORM="offscreen",
    )
    env.update(extra)
    return env


async def run_cli(*args: str, env: dict[str, str]) -> Result:
    """Run the entry point without blocking this loop (the simulator answers on it)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "main.py",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return Result(proc.returncode, out.decode(), err.decode())


@pytest.fixture
async def server() -> AsyncIterator[SimulatorServer]:
    async with SimulatorServer(Simulator(DEMO_ACCOUNT)) as srv:
        yield srv


@pytest.fixture
def env(data_dir: Path) -> dict[str, str]:
    return cli_env(
        data_dir, TWILIO_ACCOUNT_SID=DEMO_ACCOUNT.sid, TWILIO_AUTH_TOKEN=DEMO_ACCOUNT.auth_token
    )


async def test_numbers_json(server: SimulatorServer, env: dict[str, str]) -> None:
    out = await run_cli("numbers", "--json", "--api-base-url", server.base_url or "", env=env)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is True
    assert [c["phone_number"] for c in data["verified"]] == ["+14155550150"]
    assert [n["phone_number"] for n in data["numbers"]] == ["+14155550100", "+14155550101"]
    assert all(n["sms"] for n in data["numbers"])
    assert [s["sid"] for s in data["services"]] == ["MGaa78d2acf8165152f724cb2aebbf093c"]
    # the keyring is unavailable, so the environment was used, and the user was told
    assert "Using the TWILIO_* environment variables" in out.stderr
    assert DEMO_ACCOUNT.auth_token not in out.stdout + out.stderr


async def test_numbers_table(server: SimulatorServer, env: dict[str, str]) -> None:
    out = await run_cli("numbers", "--api-base-url", server.base_url or "", env=env)
    assert out.returncode == 0, out.stderr
    assert "Verified caller IDs (1;" in out.stdout
    assert "+14155550150" in out.stdout
    assert "Demo line 2 (simulated)" in out.stdout
    assert "Messaging Services (1):" in out.stdout


async def test_verify_prints_the_code(server: SimulatorServer, env: dict[str, str]) -> None:
    base = server.base_url or ""
    out = await run_cli(
        "verify", "415 555 0177", "--name", "Desk", "--json", "--api-base-url", base, env=env
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    pending = server.simulator.state.pending["+14155550177"]
    assert data == {
        "ok": True,
        "validation_code": pending.validation_code,
        "call_sid": pending.call_sid,
        "phone_number": "+14155550177",
        "friendly_name": "Desk",
    }
    text = await run_cli("verify", "+14155550188", "--api-base-url", base, env=env)
    assert text.returncode == 0, text.stderr
    code = server.simulator.state.pending["+14155550188"].validation_code
    assert f"type {code}" in text.stdout


async def test_verify_bad_number_fails_in_one_line(
    server: SimulatorServer, env: dict[str, str]
) -> None:
    out = await run_cli("verify", "12", "--json", "--api-base-url", server.base_url or "", env=env)
    assert out.returncode == 1
    assert json.loads(out.stdout)["ok"] is False
    assert out.stderr.strip().splitlines()[-1].startswith("sms-console: 12 is too short")
    assert server.simulator.state.pending == {}


async def test_wrong_token_fails_with_what_to_do(server: SimulatorServer, data_dir: Path) -> None:
    env = cli_env(data_dir, TWILIO_ACCOUNT_SID=DEMO_ACCOUNT.sid, TWILIO_AUTH_TOKEN="9" * 32)
    out = await run_cli("numbers", "--json", "--api-base-url", server.base_url or "", env=env)
    assert out.returncode == 1
    error = json.loads(out.stdout)["error"]
    assert "error 20003" in error
    assert "Auth Token" in error
    assert "9" * 32 not in out.stdout + out.stderr


async def test_no_credentials_says_how_to_configure(data_dir: Path) -> None:
    out = await run_cli("numbers", "--json", env=cli_env(data_dir))
    assert out.returncode == 1
    error = json.loads(out.stdout)["error"]
    assert "No Twilio credentials" in error
    assert "TWILIO_ACCOUNT_SID" in error
    assert "--demo" in error
    assert out.stderr.strip().splitlines()[-1] == f"sms-console: {error}"


async def test_demo_runs_its_own_simulator(data_dir: Path) -> None:
    out = await run_cli("numbers", "--demo", "--json", env=cli_env(data_dir))
    assert out.returncode == 0, out.stderr
    assert [s["friendly_name"] for s in json.loads(out.stdout)["services"]] == [
        "Demo Messaging Service (simulated)"
    ]
