"""`sms-console serve`: headless server, one-line failures, clean shutdown on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from console.cli import main as cli_main
from console.commands import serve as serve_module
from console.commands.serve import ServeInfo, serve
from console.settings import Settings
from console.store.db import sqlite_url, upgrade
from console.store.queries import Reader
from console.tunnel.public_url import FixedPublicUrl, LocalOnly
from tests.fakes import ngrok_standin
from tests.fakes.keyrings import MemoryKeyring
from tests.integration.webhooks_support import (
    STATUS_PATH,
    TOKEN,
    free_port,
    sign,
    start_serve,
    status_params,
)


@pytest.fixture
def key_store(memory_keyring: MemoryKeyring, no_credential_env: None) -> MemoryKeyring:
    """An empty in-memory keyring, and no TWILIO_* overrides, for in-process runs."""
    return memory_keyring


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """`serve` configures logging (file + stderr); undo it after in-process runs."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def _one_line_failure(capsys: pytest.CaptureFixture[str], code: int) -> tuple[str, str]:
    """The single stderr line of a failed command, and its standard output."""
    out, err = capsys.readouterr()
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sms-console: ")
    return lines[0], out


@pytest.mark.usefixtures("key_store")
def test_without_auth_token_fails_saying_what_to_set(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(["serve", "--data-dir", str(data_dir), "--no-tunnel", "--json"])
    line, out = _one_line_failure(capsys, code)
    assert "has no Auth Token" in line and "TWILIO_AUTH_TOKEN" in line
    assert json.loads(out)["ok"] is False


@pytest.mark.usefixtures("key_store")
def test_api_key_only_fails_saying_webhooks_need_the_auth_token(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "1" * 32)
    monkeypatch.setenv("TWILIO_API_KEY", "SK" + "2" * 32)
    monkeypatch.setenv("TWILIO_API_SECRET", "secret")
    code = cli_main(["serve", "--data-dir", str(data_dir), "--no-tunnel"])
    line, _ = _one_line_failure(capsys, code)
    assert "API key but no Auth Token" in line and "TWILIO_AUTH_TOKEN" in line


def test_auth_token_from_the_keyring_profile(
    data_dir: Path,
    key_store: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The whole `run` path in-process: keyring token, ready line, a signed post, SIGINT."""
    key_store.set_password("sms-console", "default:auth_token", TOKEN)
    answers: list[int] = []
    tasks: list[asyncio.Task[None]] = []

    async def post_then_interrupt(local: str) -> None:
        params = status_params("SMkeyring", "sent")
        url = local + STATUS_PATH
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url, data=params, headers={"X-Twilio-Signature": sign(url, params)}
            ) as resp,
        ):
            answers.append(resp.status)
        signal.raise_signal(signal.SIGINT)

    def ready_printer(args: Any) -> Callable[[ServeInfo], None]:
        def ready(info: ServeInfo) -> None:
            print(json.dumps(info.payload()))
            tasks.append(
                asyncio.get_running_loop().create_task(post_then_interrupt(info.local_url))
            )

        return ready

    monkeypatch.setattr(serve_module, "_ready_printer", ready_printer)
    port = free_port()
    code = cli_main(
        [
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--public-url",
            f"http://127.0.0.1:{port}",
        ]
    )
    assert code == 0 and answers == [200]
    assert json.loads(capsys.readouterr().out)["public_url"] == f"http://127.0.0.1:{port}"


async def test_serve_opens_an_ngrok_tunnel_and_validates_against_it(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the tunnel on, serve starts ngrok (the stand-in, driven by the real pyngrok) and
    a callback signed for the tunnel's public URL, sent through it, is accepted and stored."""
    for name in (*ngrok_standin.ALL_KNOBS, "NGROK_AUTHTOKEN", "PYNGROK_NGROK_PATH"):
        monkeypatch.delenv(name, raising=False)
    link = tmp_path / "bin" / "ngrok"
    link.parent.mkdir()
    link.symlink_to(ngrok_standin.WRAPPER)
    upgrade(settings.db_url)
    tunneled = Settings(data_dir=settings.data_dir, port=0, ngrok_path=str(link))
    seen: list[ServeInfo] = []
    stop = asyncio.Event()
    answers: list[int] = []

    up = asyncio.Event()

    def ready(info: ServeInfo) -> None:
        seen.append(info)
        up.set()

    factory = serve_module.make_provider(tunneled, "2abcDEFtest_token_for_the_standin_0123")
    task = asyncio.create_task(serve(tunneled, factory, lambda: TOKEN, ready=ready, stop=stop))
    waiter = asyncio.create_task(up.wait())
    try:
        await asyncio.wait({task, waiter}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        [info] = seen
        assert info.tunnel.kind == "ngrok" and info.public_url is not None
        assert info.public_url != info.local_url
        url = info.public_url + STATUS_PATH
        params = status_params("SMtunnel", "delivered")
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url, data=params, headers={"X-Twilio-Signature": sign(url, params)}
            ) as resp,
        ):
            answers.append(resp.status)
    finally:
        stop.set()
        await task
    assert answers == [200]
    reader = Reader(tunneled.db_url)
    try:
        delivery = reader.delivery_by_sid("SMtunnel")
        assert delivery is not None and delivery.status == "delivered"
    finally:
        reader.close()


def test_bad_public_url_fails(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli_main(["serve", "--data-dir", str(data_dir), "--public-url", "ftp://x_y", "--json"])
    line, _ = _one_line_failure(capsys, code)
    assert "--public-url" in line


def test_port_in_use_fails(
    data_dir: Path,
    key_store: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "t")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = cli_main(["serve", "--data-dir", str(data_dir), "--no-tunnel", "--port", str(port)])
    line, _ = _one_line_failure(capsys, code)
    assert "choose another --port" in line


async def test_validation_off_serves_without_token_and_says_so(settings: Settings) -> None:
    upgrade(settings.db_url)
    dev = Settings(data_dir=settings.data_dir, port=0, validate_signatures=False)
    seen: list[ServeInfo] = []
    stop = asyncio.Event()

    def ready(info: ServeInfo) -> None:
        seen.append(info)
        stop.set()

    assert await serve(dev, LocalOnly(dev.local_url), lambda: None, ready=ready, stop=stop) == 0
    [info] = seen
    assert info.public_url is None and not info.validation
    assert "DISABLED" in info.text() and info.payload()["warnings"]
    assert info.local_url.startswith("http://127.0.0.1:") and not info.local_url.endswith(":0")


async def test_serve_reports_http_public_url_problem(settings: Settings) -> None:
    upgrade(settings.db_url)
    fixed = Settings(data_dir=settings.data_dir, port=0, public_url="http://127.0.0.1:9")
    seen: list[ServeInfo] = []
    stop = asyncio.Event()

    def ready(info: ServeInfo) -> None:
        seen.append(info)
        stop.set()

    await serve(fixed, FixedPublicUrl(fixed.public_url), lambda: "t", ready=ready, stop=stop)
    payload = seen[0].payload()
    assert payload["status_callback_url"] == "http://127.0.0.1:9" + STATUS_PATH
    assert any("https" in w for w in payload["warnings"])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_serve_runs_until_signal_and_stops_cleanly(
    tmp_path: Path, sig: signal.Signals
) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    proc, info = await start_serve(data_dir, port)
    try:
        assert info["ok"] is True and info["local_url"] == f"http://127.0.0.1:{port}"
        assert info["public_url"] == info["local_url"]
        assert info["status_callback_url"] == info["local_url"] + STATUS_PATH
        params = status_params("SMserve", "delivered")
        async with aiohttp.ClientSession() as session:
            async with session.post(
                info["status_callback_url"],
                data=params,
                headers={"X-Twilio-Signature": sign(info["status_callback_url"], params)},
            ) as resp:
                assert resp.status == 200
            async with session.get(info["local_url"] + "/healthz") as resp:
                health = await resp.json()
        assert health["ok"] is True and health["tunnel"]["kind"] == "fixed"
        assert health["database"]["ok"] is True
    finally:
        proc.send_signal(sig)
        code = await asyncio.wait_for(proc.wait(), timeout=30)
    assert code == 0
    reader = Reader(sqlite_url(data_dir / "console.db"))
    try:
        delivery = reader.delivery_by_sid("SMserve")
        assert delivery is not None and delivery.status == "delivered"
    finally:
        reader.close()
