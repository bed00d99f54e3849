"""SecretStore on a real Secret Service: gnome-keyring inside a private D-Bus session.

Each scenario runs child Python processes inside one ``dbus-run-session`` with a throw-away
HOME and XDG directories, so the developer's own keyring is never touched. Needs Debian's
``gnome-keyring`` and ``dbus`` packages and the ``secretstorage`` Python package.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.secret_service,
    pytest.mark.skipif(
        not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
        reason="needs dbus-run-session and gnome-keyring-daemon "
        "(Debian: apt-get install gnome-keyring dbus)",
    ),
]

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import asyncio, json, sys
from dataclasses import asdict
from console.secrets import Credentials, KeyringUnavailable, SecretStore

async def main(mode: str) -> dict:
    store = SecretStore("sms-console-test", timeout=5)
    status = await store.backend_status()
    out = {"backend": status.name, "usable": status.usable, "detail": status.detail}
    try:
        if mode == "save":
            await store.save("work", Credentials(**json.loads(sys.argv[2])))
        elif mode == "load":
            out["work"] = asdict(await store.load("work"))
            out["other"] = asdict(await store.load("other"))
        elif mode == "delete":
            await store.delete("work")
    except KeyringUnavailable as exc:
        out["error"] = str(exc)
    return out

print(json.dumps(asyncio.run(main(sys.argv[1]))))
"""

STORED = {
    "account_sid": "AC0123456789abcdef0123456789abcdef",
    "auth_token": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "api_key_sid": "SK89abcdef0123456789abcdef01234567",
    "api_key_secret": "keysecretkeysecretkeysecret12345",
    "from_number": "+14155550100",
    "messaging_service_sid": "",
    "ngrok_authtoken": "2abcNGROKtokenVALUE_0123456789",
}


@pytest.fixture
def session_env(tmp_path: Path) -> dict[str, str]:
    """A private HOME/XDG world for gnome-keyring; no display, no outer session bus."""
    pytest.importorskip("secretstorage", reason="keyring's Secret Service backend needs it")
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    for path in (home / ".local" / "share", home / ".config", runtime):
        path.mkdir(parents=True)
    runtime.chmod(0o700)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")
        and not k.startswith(("PYTHON_KEYRING", "XDG_"))
    }
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_RUNTIME_DIR=str(runtime),
        PYTHONPATH=str(ROOT),
    )
    (tmp_path / "child.py").write_text(CHILD, encoding="utf-8")
    return env


# A session bus that cannot start services on demand (no service directories), so nothing
# provides org.freedesktop.secrets unless a test starts it.
BARE_BUS = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def in_session(
    tmp_path: Path,
    env: dict[str, str],
    daemon: str,
    *runs: list[str],
    bus_config: str | None = None,
) -> list[Any]:
    """Start gnome-keyring with ``daemon`` then each child run, all in one D-Bus session."""
    child = shlex.join([sys.executable, str(tmp_path / "child.py")])
    steps = [daemon] + [f"{child} {shlex.join(args)}" for args in runs]
    bus = ["dbus-run-session"]
    if bus_config is not None:
        config = tmp_path / "bus.conf"
        config.write_text(bus_config, encoding="utf-8")
        bus.append(f"--config-file={config}")
    result = subprocess.run(
        [*bus, "--", "sh", "-c", " && ".join(steps)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


UNLOCKED = "echo pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null"


def test_round_trip_across_processes(tmp_path: Path, session_env: dict[str, str]) -> None:
    saved, loaded, deleted, after = in_session(
        tmp_path,
        session_env,
        UNLOCKED,
        ["save", json.dumps(STORED)],
        ["load"],
        ["delete"],
        ["load"],
    )
    # keyring picked the Secret Service by itself (no PYTHON_KEYRING_BACKEND here)
    assert "SecretService" in saved["backend"]
    assert saved["usable"] is True
    assert "error" not in saved
    assert loaded["work"] == STORED  # read back by another process
    assert loaded["other"] == dict.fromkeys(STORED, "")
    assert "error" not in deleted
    assert after["work"] == dict.fromkeys(STORED, "")


def test_locked_collection_is_reported_with_what_to_do(
    tmp_path: Path, session_env: dict[str, str]
) -> None:
    """The daemon runs but nothing unlocked the login keyring, and no prompt can be shown."""
    session_env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.SecretService.Keyring"
    (result,) = in_session(
        tmp_path,
        session_env,
        "gnome-keyring-daemon --start --components=secrets >/dev/null",
        ["load"],
    )
    assert "SecretService" in result["backend"]
    assert result["usable"] is False
    assert "TWILIO_ACCOUNT_SID" in result["error"]
    assert "gnome-keyring" in result["error"]
    assert "work" not in result


def test_no_secret_service_on_the_bus(tmp_path: Path, session_env: dict[str, str]) -> None:
    """The usual headless Linux: a session bus, but nothing provides a Secret Service."""
    (result,) = in_session(tmp_path, session_env, "true", ["load"], bus_config=BARE_BUS)
    assert "SecretService" not in result["backend"]  # keyring found it unusable by itself
    assert result["usable"] is False
    assert "No OS keyring backend" in result["error"]
    assert "TWILIO_ACCOUNT_SID" in result["error"]
