"""The standalone simulator: serve_simulator() in-process and ``main(args)`` as a real process."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from pathlib import Path

import pytest
from twilio.base.exceptions import TwilioRestException

from console.simulator import DEMO_ACCOUNT, Scenario
from console.simulator.server import SimulatorServer
from console.simulator.standalone import main, serve_simulator
from tests.helpers_openapi import assert_all_conform
from tests.integration.simulator_harness import RewritingHttpClient, twilio_client

REPO_ROOT = str(Path(__file__).resolve().parents[2])
SID = "AC" + "5" * 32
TOKEN = "5" * 32
SERVICE_SID = "MG" + "5" * 32


async def test_serve_simulator_serves_the_given_account_and_sender() -> None:
    ready: asyncio.Future[SimulatorServer] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve_simulator(
            "127.0.0.1",
            0,
            account_sid=SID,
            auth_token=TOKEN,
            from_number="+14155550142",
            scenario=Scenario(),
            on_ready=ready.set_result,
            messaging_service_sid=SERVICE_SID,
        )
    )
    server = await asyncio.wait_for(ready, 10)
    assert server.base_url is not None
    client = twilio_client(server.base_url, SID, TOKEN)
    try:
        numbers = await asyncio.to_thread(client.incoming_phone_numbers.list)
        assert "+14155550142" in [n.phone_number for n in numbers]
        sent = await asyncio.to_thread(
            client.messages.create, to="+14155550123", from_="+14155550142", body="hi"
        )
        assert sent.account_sid == SID
        services = await asyncio.to_thread(client.messaging.v1.services.list)
        assert [x.sid for x in services] == [SERVICE_SID]
        via = await asyncio.to_thread(
            client.messages.create, to="+14155550123", messaging_service_sid=SERVICE_SID, body="x"
        )
        assert via.status == "accepted"
        demo_client = twilio_client(server.base_url)  # the demo token is not this account's
        with pytest.raises(TwilioRestException) as refused:
            await asyncio.to_thread(demo_client.api.v2010.account.fetch)
        assert refused.value.code == 20003
        assert isinstance(demo_client.http_client, RewritingHttpClient)
        demo_client.http_client.close()
        assert isinstance(client.http_client, RewritingHttpClient)
        assert_all_conform(client.http_client.exchanges)
    finally:
        assert isinstance(client.http_client, RewritingHttpClient)
        client.http_client.close()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_main_refuses_a_bad_scenario_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_FROM_NUMBER", raising=False)
    args = argparse.Namespace(port=0, host=None, scenario=str(tmp_path / "nope.json"), json=True)
    assert main(args) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and "cannot read scenario file" in out["error"]


def test_main_refuses_an_invalid_messaging_service_sid(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TWILIO_FROM_NUMBER", raising=False)
    monkeypatch.setenv("TWILIO_MESSAGING_SERVICE_SID", "MG-not-a-sid")
    assert main(argparse.Namespace(port=0, scenario=None, json=True)) == 2
    assert "Messaging Service SID" in json.loads(capsys.readouterr().out)["error"]


def test_main_refuses_an_invalid_from_number(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "12345")
    assert main(argparse.Namespace(port=0, scenario=None, json=False)) == 2
    err = capsys.readouterr().err
    assert err.startswith("simulator: ") and "TWILIO_FROM_NUMBER" in err


async def test_main_runs_as_a_process_until_interrupted() -> None:
    """``sms-console simulator --port 0 --json``: one JSON line when ready, exit 0 on Ctrl+C."""
    code = (
        "import argparse, sys\n"
        "from console.simulator.standalone import main\n"
        "sys.exit(main(argparse.Namespace(port=0, host='127.0.0.1', scenario=None, json=True)))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": REPO_ROOT}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        info = json.loads(line)
        assert info["demo"] is True
        assert (info["account_sid"], info["auth_token"]) == (
            DEMO_ACCOUNT.sid,
            DEMO_ACCOUNT.auth_token,
        )
        client = twilio_client(info["base_url"])
        try:
            account = await asyncio.to_thread(client.api.v2010.account.fetch)
            assert account.sid == DEMO_ACCOUNT.sid
        finally:
            assert isinstance(client.http_client, RewritingHttpClient)
            client.http_client.close()
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 20) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
