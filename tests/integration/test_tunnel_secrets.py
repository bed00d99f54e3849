"""Secrets stay out of ngrok: the auth token only in a private file (never argv, logs, state
text); the console's Twilio secrets never in ngrok's environment or argv."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
import types
from pathlib import Path

import pytest
from pyngrok import process

from console.tunnel import ngrok_env
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


@pytest.fixture
def unpatched_pyngrok(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyngrok as imported, so a test proves the code under test installs the scrubbing."""
    monkeypatch.setattr(process, "subprocess", subprocess)


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


# The console's secret-bearing variables (console.secrets.ENV_VARS and the name operators also
# use for an API key secret), each with a distinctive value.
SECRET_ENV = {
    "TWILIO_AUTH_TOKEN": "authTOKENvalue_5f1c0e7a9b2d4c6e8f0a",
    "TWILIO_API_KEY_SECRET": "apiKEYsecretValue_3e9d1b7c5a2f4e6d",
    "TWILIO_API_SECRET": "apiSECRETvalue_7a1b3c5d9e2f4a6b8c0d",
    "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
    "TWILIO_API_KEY": "SK0123456789abcdef0123456789abcdef",
}


def environ_of(pid: int) -> dict[str, str]:
    """The environment the kernel handed ``pid`` at exec (what the child really received)."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (entry.decode(errors="replace").partition("=") for entry in raw.split(b"\0") if entry)
    return {name: value for name, _, value in pairs}


@pytest.mark.usefixtures("unpatched_pyngrok")
async def test_console_secrets_stay_out_of_ngrok_environment_and_argv(
    standin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRET_ENV.items():
        monkeypatch.setenv(name, value)
    # The ngrok token reaches ngrok through the private config file only, not the environment.
    monkeypatch.setenv("NGROK_AUTHTOKEN", ENV_TOKEN)
    monkeypatch.setenv(ngrok_standin.ENV_REQUIRE_AUTH, "1")
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv(ngrok_standin.ENV_RECORD, str(record))
    tunnel = NgrokTunnel(8080, tmp_path / "data", authtoken=TOKEN, ngrok_path=standin)
    seen: list[tuple[list[str], dict[str, str]]] = []
    try:
        state = await tunnel.start()
        assert state.phase is TunnelPhase.ONLINE, state.detail
        assert tunnel.pid is not None
        seen.append((cmdline(tunnel.pid), environ_of(tunnel.pid)))

        # The watchdog's restart goes through the same launch and gets the same treatment.
        back = asyncio.Event()
        tunnel.subscribe(lambda s: back.set() if s.phase is TunnelPhase.ONLINE else None)
        os.kill(tunnel.pid, signal.SIGKILL)
        await asyncio.wait_for(back.wait(), timeout=5)
        assert tunnel.pid is not None
        seen.append((cmdline(tunnel.pid), environ_of(tunnel.pid)))
    finally:
        await tunnel.stop()

    secret_values = [*SECRET_ENV.values(), ENV_TOKEN, TOKEN]
    for argv, environ in seen:
        joined_argv = "\0".join(argv)
        joined_env = "\0".join(f"{name}={value}" for name, value in environ.items())
        assert not {*SECRET_ENV, "NGROK_AUTHTOKEN"} & environ.keys(), sorted(environ)
        for value in secret_values:
            assert value not in joined_env
            assert value not in joined_argv
        # ngrok still gets what it needs to run: PATH, HOME and its own NGROK_* settings.
        assert "PATH" in environ
        assert environ.get("HOME") == os.environ.get("HOME")
        assert environ[ngrok_standin.ENV_RECORD] == str(record)

    runs = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(runs) == 2
    for run in runs:
        assert not set(run["env"]) & {*SECRET_ENV, "NGROK_AUTHTOKEN"}, run["env"]
        assert "PATH" in run["env"]
        assert run["authtoken_source"] == "config"
    # The console itself keeps its variables: nothing was taken out of os.environ.
    for name, value in SECRET_ENV.items():
        assert os.environ[name] == value


def test_child_environment_is_an_allowlist_without_secret_names() -> None:
    source = {
        "PATH": "/usr/bin",
        "Path": "C:\\Windows",  # Windows names are case-insensitive
        "SystemRoot": "C:\\Windows",
        "https_proxy": "http://proxy:3128",
        "LC_ALL": "C.UTF-8",
        "NGROK_CONFIG": "/x.yml",
        "NGROK_AUTHTOKEN": ENV_TOKEN,
        "ngrok_api_key": "k",
        "AWS_SECRET_ACCESS_KEY": "nobody-listed-this-one",
        "MY_APP_PASSWORD": "p",
        **SECRET_ENV,
    }
    assert ngrok_env.child_environment(source) == {
        "PATH": "/usr/bin",
        "Path": "C:\\Windows",
        "SystemRoot": "C:\\Windows",
        "https_proxy": "http://proxy:3128",
        "LC_ALL": "C.UTF-8",
        "NGROK_CONFIG": "/x.yml",
    }


@pytest.mark.usefixtures("unpatched_pyngrok")
def test_every_ngrok_command_pyngrok_runs_gets_the_scrubbed_environment(
    standin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SECRET_ENV.items():
        monkeypatch.setenv(name, value)
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv(ngrok_standin.ENV_RECORD, str(record))
    config_file = tmp_path / "ngrok.yml"
    config_file.write_text('version: "3"\n')
    ngrok_env.install()
    ngrok_env.install()  # idempotent
    assert vars(process)["subprocess"] is ngrok_env.SCRUBBED_SUBPROCESS
    assert subprocess.Popen.__module__ == "subprocess"  # the real module is left alone

    # pyngrok's blocking helpers (check_output, not Popen) go through the same stand-in.
    out = process.capture_run_process(standin, ["config", "check", "--config", str(config_file)])
    assert "Valid configuration file" in out
    # An env a caller passes explicitly is scrubbed as well.
    ngrok_env.SCRUBBED_SUBPROCESS.run(
        [standin, "config", "check", "--config", str(config_file)],
        env=dict(os.environ),
        check=True,
        stdout=subprocess.DEVNULL,
    )

    runs = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(runs) == 2
    for run in runs:
        assert not set(run["env"]) & set(SECRET_ENV), run["env"]
        assert ngrok_standin.ENV_RECORD in run["env"]


def test_ways_to_spawn_that_cannot_be_scrubbed_are_refused() -> None:
    stand_in = ngrok_env.SCRUBBED_SUBPROCESS
    for name in ("getoutput", "getstatusoutput"):  # they take no env: they would leak it
        with pytest.raises(AttributeError, match="console's environment"):
            getattr(stand_in, name)
    assert stand_in.PIPE is subprocess.PIPE
    assert stand_in.CalledProcessError is subprocess.CalledProcessError


async def test_unknown_pyngrok_spawning_fails_closed(
    standin: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pyngrok that no longer starts ngrok through process.subprocess cannot be scrubbed.
    monkeypatch.setattr(process, "subprocess", types.SimpleNamespace(Popen=None))
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv(ngrok_standin.ENV_RECORD, str(record))
    tunnel = NgrokTunnel(8080, tmp_path / "data", authtoken=TOKEN, ngrok_path=standin)
    try:
        state = await tunnel.start()
    finally:
        await tunnel.stop()
    assert state.phase is TunnelPhase.FAILED
    assert "Twilio secrets" in state.detail
    assert not record.exists()  # ngrok was never started
