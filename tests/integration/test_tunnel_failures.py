"""NgrokTunnel start failures through the real pyngrok: each becomes FAILED with what to do."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from pyngrok import installer

from console.tunnel.ngrok import NgrokTunnel
from console.tunnel.state import TunnelPhase, TunnelState
from tests.fakes import ngrok_standin

START_TIMEOUT = 2.0


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
async def make_tunnel(tmp_path: Path) -> AsyncIterator[Callable[..., NgrokTunnel]]:
    """Build NgrokTunnels with a short start timeout; each is stopped at teardown."""
    made: list[NgrokTunnel] = []

    def factory(**kwargs: object) -> NgrokTunnel:
        kwargs.setdefault("start_timeout", START_TIMEOUT)
        tunnel = NgrokTunnel(8080, tmp_path / "data", **kwargs)  # type: ignore[arg-type]
        made.append(tunnel)
        return tunnel

    yield factory
    for tunnel in made:
        await tunnel.stop()


async def start_and_expect_failure(tunnel: NgrokTunnel) -> TunnelState:
    seen: list[TunnelState] = []
    tunnel.subscribe(seen.append)
    state = await tunnel.start()
    assert state.phase is TunnelPhase.FAILED, state.detail
    assert [s.phase for s in seen] == [TunnelPhase.STARTING, TunnelPhase.FAILED]
    assert state.public_url is None and tunnel.public_url is None and tunnel.pid is None
    return state


async def test_missing_auth_token_fails_with_4018_explained(
    standin: str, make_tunnel: Callable[..., NgrokTunnel], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ngrok_standin.ENV_REQUIRE_AUTH, "1")

    state = await start_and_expect_failure(make_tunnel(ngrok_path=standin, authtoken=None))

    assert state.error_code == "ERR_NGROK_4018"
    assert "auth token" in state.detail
    assert "dashboard.ngrok.com" in state.detail
    assert "Settings" in state.detail


async def test_session_limit_fails_with_108_explained(
    standin: str, make_tunnel: Callable[..., NgrokTunnel], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ngrok_standin.ENV_FAIL_WITH, "ERR_NGROK_108")

    state = await start_and_expect_failure(make_tunnel(ngrok_path=standin, authtoken="tok"))

    assert state.error_code == "ERR_NGROK_108"
    assert "Stop the other ngrok" in state.detail


async def test_rejected_token_echoed_by_ngrok_is_redacted(
    standin: str,
    make_tunnel: Callable[..., NgrokTunnel],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    monkeypatch.setenv(ngrok_standin.ENV_FAIL_WITH, "ERR_NGROK_107")
    token = "2revokedTOKEN_abcdefghijklmnopqrstu"

    state = await start_and_expect_failure(make_tunnel(ngrok_path=standin, authtoken=token))

    assert state.error_code == "ERR_NGROK_107"
    assert "Your authtoken: <ngrok-authtoken>" in caplog.text  # ngrok did echo it
    assert token not in caplog.text
    assert token not in state.detail


async def test_silent_binary_fails_within_the_start_timeout(
    standin: str,
    make_tunnel: Callable[..., NgrokTunnel],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    record = tmp_path / "record.jsonl"
    monkeypatch.setenv(ngrok_standin.ENV_SILENT, "1")
    monkeypatch.setenv(ngrok_standin.ENV_RECORD, str(record))

    tunnel = make_tunnel(ngrok_path=standin, authtoken="tok")
    state = await asyncio.wait_for(start_and_expect_failure(tunnel), timeout=START_TIMEOUT + 8)

    assert state.error_code is None
    assert f"within {START_TIMEOUT:g} s" in state.detail
    assert "start --none --log stdout" in state.detail
    [run] = [json.loads(line) for line in record.read_text().splitlines()]
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(run["pid"], 0)


async def test_missing_binary_path_fails_saying_what_to_do(
    make_tunnel: Callable[..., NgrokTunnel], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "ngrok"

    state = await start_and_expect_failure(make_tunnel(ngrok_path=str(missing)))

    assert str(missing) in state.detail
    assert "does not exist" in state.detail
    assert "--ngrok-path" in state.detail
    assert not missing.exists()  # pyngrok was not allowed to download into the user's path


async def test_non_executable_binary_fails(
    make_tunnel: Callable[..., NgrokTunnel], tmp_path: Path
) -> None:
    plain = tmp_path / "ngrok"
    plain.write_text("not a program\n")
    plain.chmod(0o644)

    state = await start_and_expect_failure(make_tunnel(ngrok_path=str(plain)))

    assert "is not executable" in state.detail


async def test_binary_that_is_not_ngrok_fails_with_its_output(
    make_tunnel: Callable[..., NgrokTunnel], tmp_path: Path
) -> None:
    impostor = tmp_path / "ngrok"
    impostor.write_text("#!/bin/sh\necho 'impostor: unknown command'\nexit 2\n")
    impostor.chmod(0o755)

    state = await start_and_expect_failure(make_tunnel(ngrok_path=str(impostor)))

    assert "never became ready" in state.detail
    assert "impostor: unknown command" in state.detail


async def test_failed_download_of_default_binary_says_install_ngrok(
    make_tunnel: Callable[..., NgrokTunnel],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # No internet here: pyngrok's download is pointed at a local port that refuses connections.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{closed_port}/ngrok-v3-stable-linux-amd64.tgz"
    monkeypatch.setattr(installer, "get_ngrok_cdn_url", lambda _version: url)
    default_path = tmp_path / "pyngrok-home" / "ngrok"
    monkeypatch.setenv("PYNGROK_NGROK_PATH", str(default_path))

    state = await start_and_expect_failure(make_tunnel(ngrok_path=None))

    assert "could not be downloaded" in state.detail
    assert "Connection refused" in state.detail
    assert "https://ngrok.com/download" in state.detail
    assert "--ngrok-path" in state.detail
    assert not default_path.exists()


async def test_failed_tunnel_can_be_started_again_once_fixed(
    standin: str, make_tunnel: Callable[..., NgrokTunnel], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ngrok_standin.ENV_FAIL_WITH, "ERR_NGROK_108")
    tunnel = make_tunnel(ngrok_path=standin, authtoken="tok")
    assert (await tunnel.start()).phase is TunnelPhase.FAILED

    monkeypatch.delenv(ngrok_standin.ENV_FAIL_WITH)
    state = await tunnel.start()

    assert state.phase is TunnelPhase.ONLINE, state.detail
    assert state.error_code is None


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts /proc/self/fd")
async def test_repeated_failed_starts_do_not_leak_file_descriptors(
    standin: str, make_tunnel: Callable[..., NgrokTunnel], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ngrok_standin.ENV_FAIL_WITH, "ERR_NGROK_108")
    tunnel = make_tunnel(ngrok_path=standin, authtoken="tok")
    assert (await tunnel.start()).phase is TunnelPhase.FAILED  # warm up threads and imports
    before = len(os.listdir("/proc/self/fd"))

    for _ in range(5):
        assert (await tunnel.start()).phase is TunnelPhase.FAILED

    assert len(os.listdir("/proc/self/fd")) <= before
