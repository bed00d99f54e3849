"""The ngrok stand-in itself: commands, v2 API through pyngrok, relay errors, signals."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from pyngrok import ngrok
from pyngrok.conf import PyngrokConfig

from tests.fakes import ngrok_standin

Launch = Callable[..., Awaitable[tuple[asyncio.subprocess.Process, str]]]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*ngrok_standin.ALL_KNOBS, "NGROK_AUTHTOKEN"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def launch() -> AsyncIterator[Launch]:
    """Start the stand-in like pyngrok does; returns the process and its API URL."""
    procs: list[asyncio.subprocess.Process] = []

    async def start(*extra: str) -> tuple[asyncio.subprocess.Process, str]:
        proc = await asyncio.create_subprocess_exec(
            str(ngrok_standin.WRAPPER), "start", "--none", "--log", "stdout", *extra,
            stdout=subprocess.PIPE,
        )  # fmt: skip
        procs.append(proc)
        assert proc.stdout is not None
        api = ""
        while True:
            line = (await asyncio.wait_for(proc.stdout.readline(), timeout=10)).decode()
            assert line, "stand-in exited during startup"
            if 'msg="starting web service"' in line:
                api = "http://" + line.split("addr=")[1].split()[0]
            if 'msg="tunnel session started"' in line:
                return proc, api

    yield start
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


def test_version_and_config_commands(tmp_path: Path) -> None:
    version = subprocess.run(
        [ngrok_standin.WRAPPER, "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.split("version ")[1].strip() == ngrok_standin.VERSION

    config = tmp_path / "ngrok.yml"
    saved = subprocess.run(
        [ngrok_standin.WRAPPER, "config", "add-authtoken", "tok123", "--config", str(config)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "Authtoken saved" in saved.stdout
    assert ngrok_standin.parse_config(config.read_text()) == {
        "version": "3",
        "agent": {"authtoken": "tok123"},
    }
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_parse_config_reads_pyngrok_yaml_dump() -> None:
    text = "agent:\n  authtoken: abc\n  web_addr: 127.0.0.1:4041\nversion: '3'\n"

    assert ngrok_standin.parse_config(text) == {
        "agent": {"authtoken": "abc", "web_addr": "127.0.0.1:4041"},
        "version": "3",
    }


async def test_v2_tunnels_api_through_pyngrok(tmp_path: Path) -> None:
    upstream = web.Application()
    upstream.router.add_get("/ping", _pong)
    runner = web.AppRunner(upstream)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    config_file = tmp_path / "ngrok.yml"
    config_file.write_text('version: "2"\nauthtoken: tok\n')
    link = tmp_path / "ngrok"
    link.symlink_to(ngrok_standin.WRAPPER)
    config = PyngrokConfig(ngrok_path=str(link), config_path=str(config_file), config_version="2")
    try:
        tunnel = await asyncio.to_thread(ngrok.connect, str(port), "http", None, config)
        assert tunnel.uri == f"/api/tunnels/{tunnel.name}"
        assert tunnel.config["addr"] == str(port)
        listed = await asyncio.to_thread(ngrok.get_tunnels, config)
        assert [t.public_url for t in listed] == [tunnel.public_url]
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{tunnel.public_url}/ping") as response,
        ):
            assert await response.text() == "pong"
        assert tunnel.public_url is not None
        await asyncio.to_thread(ngrok.disconnect, tunnel.public_url, config)
        assert await asyncio.to_thread(ngrok.get_tunnels, config) == []
    finally:
        await asyncio.to_thread(ngrok.kill, config)
        await runner.cleanup()


async def _pong(_request: web.Request) -> web.Response:
    return web.Response(text="pong")


async def test_unreachable_upstream_answers_502_with_8012(launch: Launch) -> None:
    _proc, api = await launch()
    async with aiohttp.ClientSession() as session:
        create = {"name": "dead", "upstream": {"url": "http://127.0.0.1:9"}}
        async with session.post(f"{api}/api/endpoints", json=create) as response:
            assert response.status == 201
            public_url = (await response.json())["public_url"]
        async with session.post(f"{api}/api/endpoints", json=create) as response:
            assert response.status == 400  # duplicate name
        async with session.get(f"{public_url}/x") as response:
            assert response.status == 502
            assert response.headers["Ngrok-Error-Code"] == "ERR_NGROK_8012"
            assert "ERR_NGROK_8012" in await response.text()
        async with session.delete(f"{api}/api/endpoints/dead") as response:
            assert response.status == 204
        async with session.get(f"{api}/api/endpoints") as response:
            assert (await response.json())["endpoints"] == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_dies_on_configured_signal(launch: Launch, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ngrok_standin.ENV_DIE_ON_SIGNAL, "USR1")
    proc, _api = await launch()
    assert proc.stdout is not None

    os.kill(proc.pid, signal.SIGUSR1)

    rest = (await asyncio.wait_for(proc.stdout.read(), timeout=10)).decode()
    assert await proc.wait() == 1
    assert "lvl=crit" in rest


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
async def test_sigterm_stops_cleanly(launch: Launch) -> None:
    proc, _api = await launch()

    proc.terminate()

    assert await asyncio.wait_for(proc.wait(), timeout=10) == 0
