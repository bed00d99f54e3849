"""``sms-console simulator``: the offline Twilio on a port, for other tools to point at."""

from __future__ import annotations

import argparse

from console.settings import Settings
from console.simulator.standalone import main as simulator_main


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the simulator until interrupted (port from --port, default 8080 + 1)."""
    if getattr(args, "port", None) is None:
        args.port = settings.port + 1
    return simulator_main(args)
