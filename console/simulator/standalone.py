"""``sms-console simulator``: the offline Twilio on a port, for other tools to point at.

It serves the account named by ``TWILIO_ACCOUNT_SID`` / ``TWILIO_AUTH_TOKEN`` when both are set
(the token is never printed), otherwise the public demo account (whose SID and token it prints).
``TWILIO_FROM_NUMBER`` becomes an owned SMS-capable sender, and ``TWILIO_MESSAGING_SERVICE_SID``
(when set) is the SID of the simulated Messaging Service. Status callbacks go wherever each
message's StatusCallback (or its Messaging Service's) points.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Callable
from typing import Any

from console.secrets import from_environment
from console.simulator.config import DEMO_ACCOUNT, AccountConfig
from console.simulator.core import Simulator
from console.simulator.scenario import Scenario, demo_scenario
from console.simulator.scenario_json import ScenarioError, load_scenario
from console.simulator.server import SimulatorServer
from console.simulator.validation import e164


def account_for(
    account_sid: str | None,
    auth_token: str | None,
    from_number: str | None,
    messaging_service_sid: str | None = None,
) -> AccountConfig:
    """The account to simulate: the given credentials (demo holdings) or the demo account."""
    account = DEMO_ACCOUNT
    if messaging_service_sid:
        account = account.with_service_sid(messaging_service_sid)
    if account_sid and auth_token:
        account = account.with_credentials(
            account_sid, auth_token, "Simulated account (offline Twilio simulator)"
        )
    if from_number:
        number = e164(from_number)
        if number is None:
            raise ValueError(f"TWILIO_FROM_NUMBER {from_number!r} is not a valid E.164 number")
        account = account.owning(number)
    return account


async def serve_simulator(
    host: str,
    port: int,
    *,
    account_sid: str | None,
    auth_token: str | None,
    from_number: str | None,
    scenario: Scenario | None,
    on_ready: Callable[[SimulatorServer], None] | None = None,
    messaging_service_sid: str | None = None,
) -> None:
    """Serve the simulator until cancelled; ``on_ready`` is called once it is listening.

    ``messaging_service_sid`` (``TWILIO_MESSAGING_SERVICE_SID``) renames the demo Messaging
    Service so a console configured with that SID finds it.
    """
    account = account_for(account_sid, auth_token, from_number, messaging_service_sid)
    server = SimulatorServer(Simulator(account, scenario or demo_scenario()))
    await server.start(host, port)
    try:
        if on_ready is not None:
            on_ready(server)
        await asyncio.Event().wait()  # until cancelled
    finally:
        await server.stop()


def describe(server: SimulatorServer, *, demo: bool) -> dict[str, Any]:
    """What a client needs to point at the simulator (the token only for the demo account)."""
    sim = server.simulator
    state = sim.state
    return {
        "base_url": server.base_url,
        "account_sid": state.account_sid,
        "auth_token": state.auth_token if demo else None,
        "demo": demo,
        "account_type": state.type,
        "numbers": [n.phone_number for n in state.numbers.values()],
        "messaging_services": [s.sid for s in state.services.values()],
        "verified_numbers": [c.phone_number for c in state.caller_ids.values()],
    }


def _print_ready(server: SimulatorServer, *, demo: bool, as_json: bool) -> None:
    info = describe(server, demo=demo)
    if as_json:
        print(json.dumps(info), flush=True)
        return
    lines = [f"Twilio simulator listening on {info['base_url']} (Ctrl+C to stop)"]
    lines.append(f"  account SID : {info['account_sid']} ({info['account_type']})")
    if demo:
        lines.append(f"  auth token  : {info['auth_token']}  (public demo credentials)")
    else:
        lines.append("  auth token  : the one in TWILIO_AUTH_TOKEN")
    lines.append(f"  numbers     : {', '.join(info['numbers'])}")
    lines.append(f"  services    : {', '.join(info['messaging_services'])}")
    print("\n".join(lines), flush=True)


def main(args: argparse.Namespace) -> int:
    """Run ``sms-console simulator --port N [--host H] [--scenario FILE] [--json]``."""
    as_json = bool(getattr(args, "json", False))
    host = getattr(args, "host", None) or "127.0.0.1"
    port = int(getattr(args, "port", None) or 0)
    env = from_environment()  # the entry point took these out of os.environ
    sid = env.account_sid or None
    token = env.auth_token or None
    from_number = env.from_number or None
    service_sid = env.messaging_service_sid or None
    demo = not (sid and token)
    try:
        path = getattr(args, "scenario", None)
        scenario = load_scenario(path) if path else demo_scenario()
        account_for(sid, token, from_number, service_sid)
    except (ScenarioError, ValueError) as exc:
        return _fail(str(exc), as_json)

    def ready(server: SimulatorServer) -> None:
        _print_ready(server, demo=demo, as_json=as_json)

    coro = serve_simulator(
        host,
        port,
        account_sid=sid,
        auth_token=token,
        from_number=from_number,
        scenario=scenario,
        on_ready=ready,
        messaging_service_sid=service_sid,
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(coro)
    except OSError as exc:
        return _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", as_json)
    return 0


def _fail(reason: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"ok": False, "error": reason}), flush=True)
    else:
        print(f"simulator: {reason}", file=sys.stderr, flush=True)
    return 2
