"""The ngrok auth token stays in a private file: never in any argv, log line or state text."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import sys
from pathlib import Path

import pytest

from console.tunnel.ngrok import NgrokTunnel
from console.tunnel.state import TunnelPhase, TunnelState
from tests.fakes import ngrok_standin

TOKEN = "2xSECRETtokenFromKeyring_0123456789abcdef"
ENV_TOKEN = "2yOTHERtokenFromEnvironment_0123456789ab"

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc/<pid>/cmdline"
)


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A per-test path to the stand-in, with every behaviour knob cleared."""
    for name in (*ngrok_standin.ALL_KNOBS, "NGROK_AUTHTOKEN", "PYNGROK_NGROK_PATH"):
        monkeypatch.delenv(name, raising=False)
    link = tmp_path / "bin" / "ngrok"
    link.parent.mkdir()
    link.symlink_to(ngrok_standin.WRAPPER)
    return str(link)


def cmdline(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    return [part.decode() for part in raw.split(b"\0") if part]


async def test_token_is_only_in_the_private_config_file(
    standin: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv(ngrok_standin.ENV_REQUIRE_AUTH, "1")
    monkeypatch.setenv(ngrok_standin.ENV_RECORD, str(record))
    # pyngrok would copy NGROK_AUTHTOKEN from the environment onto the command line.
    monkeypatch.setenv("NGROK_AUTHTOKEN", ENV_TOKEN)
    data_dir = tmp_path / "data"
    tunnel = NgrokTunnel(8080, data_dir, authtoken=TOKEN, ngrok_path=standin, region="eu")
    pids: list[int] = []
    try:
        state = await tunnel.start()
        assert state.phase is TunnelPhase.ONLINE, state.detail
        assert tunnel.pid is not None
        pids.append(tunnel.pid)
        argv_first = cmdline(tunnel.pid)

        # A restarted agent gets the same treatment.
        back = asyncio.Event()
        tunnel.subscribe(lambda s: back.set() if s.phase is TunnelPhase.ONLINE else None)
        os.kill(tunnel.pid, signal.SIGKILL)
        await asyncio.wait_for(back.wait(), timeout=5)
        assert tunnel.pid is not None
        pids.append(tunnel.pid)
        argv_second = cmdline(tunnel.pid)
        states: list[TunnelState] = [tunnel.state]
    finally:
        await tunnel.stop()

    for argv in (argv_first, argv_second):
        joined = " ".join(argv)
        assert TOKEN not in joined and ENV_TOKEN not in joined
        assert "--authtoken" not in argv
        assert argv[argv.index("--config") + 1] == str(data_dir / "ngrok" / "ngrok.yml")
        assert argv[argv.index("--region") + 1] == "eu"
    runs = [json.loads(line) for line in record.read_text().splitlines()]
    assert [run["pid"] for run in runs] == pids
    for run in runs:
        assert TOKEN not in " ".join(run["argv"])
        assert run["authtoken_source"] == "config"
        assert run["config"] == {"version": "3", "agent": {"authtoken": "<redacted>"}}

    config_file = data_dir / "ngrok" / "ngrok.yml"
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_file.parent.stat().st_mode) == 0o700
    assert TOKEN in config_file.read_text()
    assert TOKEN not in caplog.text
    assert all(TOKEN not in s.detail for s in states)


async def test_existing_config_file_is_rewritten_private(
    standin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv(ngrok_standin.ENV_RECORD, str(record))
    config_file = tmp_path / "data" / "ngrok" / "ngrok.yml"
    config_file.parent.mkdir(parents=True)
    config_file.write_text('version: "3"\nagent:\n  authtoken: old-token\n')
    config_file.chmod(0o644)
    tunnel = NgrokTunnel(8080, tmp_path / "data", authtoken=None, ngrok_path=standin)
    try:
        assert (await tunnel.start()).phase is TunnelPhase.ONLINE
    finally:
        await tunnel.stop()

    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert "old-token" not in config_file.read_text()
    [run] = [json.loads(line) for line in record.read_text().splitlines()]
    assert run["config"] == {"version": "3"}
    assert run["authtoken_source"] is None
