"""NgrokTunnel with the real pyngrok driving the ngrok stand-in: relay, watchdog, stop."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from console.tunnel.ngrok import NgrokTunnel
from console.tunnel.public_url import PublicUrlProvider
from console.tunnel.state import TunnelPhase, TunnelState
from tests.fakes import ngrok_standin

TOKEN = "2abcDEFtest_token_for_the_standin_0123456789"


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A per-test path to the stand-in (pyngrok keeps one process per binary path)."""
    for name in (*ngrok_standin.ALL_KNOBS, "NGROK_AUTHTOKEN", "PYNGROK_NGROK_PATH"):
        monkeypatch.delenv(name, raising=False)
    link = tmp_path / "bin" / "ngrok"
    link.parent.mkdir()
    link.symlink_to(ngrok_standin.WRAPPER)
    return str(link)


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[str, list[dict[str, object]]]]:
    """A local aiohttp server on 127.0.0.1 that records every request it gets."""
    seen: list[dict[str, object]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(
            {
                "method": request.method,
                "raw_path": request.raw_path,
                "headers": dict(request.headers),
                "body": await request.read(),
            }
        )
        return web.Response(status=201, text="<Response/>", headers={"X-Upstream": "yes"})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", seen
    await runner.cleanup()


@pytest.fixture
async def make_tunnel(tmp_path: Path, standin: str) -> AsyncIterator[Callable[..., NgrokTunnel]]:
    """Build NgrokTunnels on the stand-in; every one is stopped at teardown."""
    made: list[NgrokTunnel] = []

    def factory(port: int = 8080, **kwargs: object) -> NgrokTunnel:
        kwargs.setdefault("ngrok_path", standin)
        kwargs.setdefault("authtoken", TOKEN)
        tunnel = NgrokTunnel(port, tmp_path / "data", **kwargs)  # type: ignore[arg-type]
        made.append(tunnel)
        return tunnel

    yield factory
    for tunnel in made:
        await tunnel.stop()


def expect(tunnel: NgrokTunnel, wanted: Callable[[TunnelState], bool]) -> asyncio.Event:
    """An event set when the tunnel publishes a state matching ``wanted``."""
    event = asyncio.Event()

    def on_state(state: TunnelState) -> None:
        if wanted(state):
            event.set()

    tunnel.subscribe(on_state)
    return event


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


async def test_request_to_public_url_reaches_local_server(
    make_tunnel: Callable[..., NgrokTunnel], upstream: tuple[str, list[dict[str, object]]]
) -> None:
    local_url, seen = upstream
    tunnel = make_tunnel(port_of(local_url))
    assert isinstance(tunnel, PublicUrlProvider)

    state = await tunnel.start()

    assert state.phase is TunnelPhase.ONLINE, state.detail
    assert state.public_url is not None and state.public_url == tunnel.public_url
    assert state.public_url.startswith("http://127.0.0.1:")
    assert str(port_of(local_url)) in state.detail
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            # encoded=True: send the query exactly as written (yarl would decode %2F).
            URL(f"{state.public_url}/webhooks/twilio/status?a=1&b=%2Fx%20y", encoded=True),
            data=b"MessageSid=SM1&MessageStatus=delivered",
            headers={
                "X-Twilio-Signature": "c2lnbmF0dXJl",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        ) as response,
    ):
        assert response.status == 201
        assert response.headers["X-Upstream"] == "yes"
        assert await response.text() == "<Response/>"
    [request] = seen
    assert request["method"] == "POST"
    assert request["raw_path"] == "/webhooks/twilio/status?a=1&b=%2Fx%20y"
    assert request["body"] == b"MessageSid=SM1&MessageStatus=delivered"
    headers = request["headers"]
    assert isinstance(headers, dict)
    assert headers["X-Twilio-Signature"] == "c2lnbmF0dXJl"
    assert headers["Host"] == state.public_url.removeprefix("http://")


async def test_killed_agent_is_restarted_with_new_url(
    make_tunnel: Callable[..., NgrokTunnel], upstream: tuple[str, list[dict[str, object]]]
) -> None:
    local_url, seen = upstream
    tunnel = make_tunnel(port_of(local_url))
    first = await tunnel.start()
    assert first.phase is TunnelPhase.ONLINE, first.detail
    old_pid = tunnel.pid
    assert old_pid is not None
    reconnecting = expect(tunnel, lambda s: s.phase is TunnelPhase.RECONNECTING)
    back_online = expect(
        tunnel, lambda s: s.phase is TunnelPhase.ONLINE and s.public_url != first.public_url
    )

    os.kill(old_pid, signal.SIGKILL)

    await asyncio.wait_for(back_online.wait(), timeout=5)
    assert reconnecting.is_set()
    assert tunnel.pid not in (None, old_pid)
    new_url = tunnel.public_url
    assert new_url is not None and new_url != first.public_url
    async with aiohttp.ClientSession() as session, session.get(f"{new_url}/healthz") as response:
        assert response.status == 201
    assert [r["raw_path"] for r in seen] == ["/healthz"]


async def test_vanished_tunnel_is_recreated(make_tunnel: Callable[..., NgrokTunnel]) -> None:
    tunnel = make_tunnel()
    first = await tunnel.start()
    assert first.phase is TunnelPhase.ONLINE, first.detail
    back_online = expect(
        tunnel, lambda s: s.phase is TunnelPhase.ONLINE and s.public_url != first.public_url
    )
    reasons: list[str] = []
    tunnel.subscribe(
        lambda s: reasons.append(s.detail) if s.phase is TunnelPhase.RECONNECTING else None
    )

    async with (
        aiohttp.ClientSession() as session,
        session.delete(f"{tunnel.api_url}/api/endpoints/sms-console-8080") as response,
    ):
        assert response.status == 204

    await asyncio.wait_for(back_online.wait(), timeout=5)
    assert any("vanished" in reason for reason in reasons)


async def test_agent_dying_after_requests_is_restarted(
    make_tunnel: Callable[..., NgrokTunnel],
    upstream: tuple[str, list[dict[str, object]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ngrok_standin.ENV_DIE_AFTER, "1")
    local_url, seen = upstream
    tunnel = make_tunnel(port_of(local_url))
    first = await tunnel.start()
    assert first.phase is TunnelPhase.ONLINE, first.detail
    back_online = expect(
        tunnel, lambda s: s.phase is TunnelPhase.ONLINE and s.public_url != first.public_url
    )

    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{first.public_url}/one") as response,
    ):
        assert response.status == 201

    await asyncio.wait_for(back_online.wait(), timeout=5)
    assert len(seen) == 1


async def test_stop_kills_the_agent_and_reports_stopped(
    make_tunnel: Callable[..., NgrokTunnel],
) -> None:
    tunnel = make_tunnel()
    assert (await tunnel.start()).phase is TunnelPhase.ONLINE
    await tunnel.stop()  # warm up threads and imports before counting file descriptors
    fds_before = len(os.listdir("/proc/self/fd"))
    assert (await tunnel.start()).phase is TunnelPhase.ONLINE
    pid = tunnel.pid
    assert pid is not None
    stopped = expect(tunnel, lambda s: s.phase is TunnelPhase.STOPPED)

    await tunnel.stop()

    assert stopped.is_set()
    assert tunnel.public_url is None and tunnel.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert len(os.listdir("/proc/self/fd")) <= fds_before  # ngrok's stdout pipe was closed


async def test_reserved_domain_is_requested(make_tunnel: Callable[..., NgrokTunnel]) -> None:
    tunnel = make_tunnel(domain="https://My-App.ngrok-free.app/")

    state = await tunnel.start()

    assert state.phase is TunnelPhase.ONLINE, state.detail
    assert state.public_url == "https://my-app.ngrok-free.app"


async def test_invalid_domain_fails_at_start_saying_what_to_fix(
    make_tunnel: Callable[..., NgrokTunnel],
) -> None:
    tunnel = make_tunnel(domain="bad_name.ngrok-free.app")

    state = await tunnel.start()

    assert state.phase is TunnelPhase.FAILED
    assert "underscores" in state.detail and "Settings → Tunnel" in state.detail
    assert tunnel.pid is None
