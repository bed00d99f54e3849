"""The command line: global options, subcommands, and the contract every subcommand keeps.

Every subcommand takes ``--json``; it exits 0 on success, and non-zero with a one-line reason on
standard error (and ``{"ok": false, "error": …}`` on standard output with ``--json``) on failure.
Handlers live in :mod:`console.commands` and are imported only when their subcommand runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from console import __version__
from console.domain.status import Status
from console.settings import LOG_LEVELS, Settings, default_data_dir
from console.store.writer_lock import DatabaseInUse

log = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace, Settings], int]

# A reader that went away (``sms-console export | head``): the status of a process killed by
# SIGPIPE, which is what shells and `set -o pipefail` expect from the writer of a pipe.
EXIT_BROKEN_PIPE = 128 + 13

# subcommand -> "module:function" (imported lazily so `segments` does not pay for Qt or aiohttp)
HANDLERS: dict[str, str] = {
    "send": "console.commands.send:run",
    "serve": "console.commands.serve:run",
    "doctor": "console.commands.doctor:run",
    "export": "console.commands.export:run",
    "numbers": "console.commands.numbers:run_numbers",
    "verify": "console.commands.numbers:run_verify",
    "simulator": "console.commands.simulator:run",
    "segments": "console.commands.segments:run",
}


class CommandError(Exception):
    """A subcommand failed for a reason the user can act on (printed as one line)."""


STATUSES = tuple(s.value for s in Status)
EXPORT_FORMATS = ("csv", "jsonl")


def port_number(value: str) -> int:
    """An ``argparse`` type: a TCP port, 0 (any free port) to 65535."""
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a port: give a whole number from 0 to 65535 (0: any free port)"
        )
    return port


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    d: Any = argparse.SUPPRESS if suppress else None
    g = parser.add_argument_group("global options")
    g.add_argument(
        "--data-dir",
        type=Path,
        default=d,
        metavar="DIR",
        help="all state: DB, settings, logs (default: $SMS_CONSOLE_HOME, else the per-user "
        "data folder of the platform)",
    )
    g.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="use the built-in Twilio simulator instead of a real account",
    )
    g.add_argument(
        "--port",
        type=port_number,
        default=d,
        help="webhook server port, 0 for any free one (default: 8080, or the settings file's)",
    )
    g.add_argument(
        "--public-url",
        default=d,
        metavar="URL",
        help="fixed public base URL; disables the tunnel (default: none, start ngrok)",
    )
    g.add_argument(
        "--no-tunnel",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="do not start ngrok",
    )
    g.add_argument(
        "--ngrok-path",
        default=d,
        metavar="PATH",
        help="an ngrok binary you already have (default: pyngrok's own, fetched once)",
    )
    g.add_argument(
        "--api-base-url",
        default=d,
        metavar="URL",
        help="where Twilio's REST API lives: regional edge, proxy, simulator "
        "(default: Twilio itself)",
    )
    g.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=d,
        metavar="LEVEL",
        help=f"level of the log file, one of {', '.join(LOG_LEVELS)} (default: INFO)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (global options work before or after the subcommand)."""
    parser = argparse.ArgumentParser(
        prog="sms-console",
        description="Send SMS through Twilio and watch every delivery live.",
    )
    parser.add_argument("--version", action="version", version=f"sms-console {__version__}")
    parser.add_argument(
        "--self-test", action="store_true", help="check the whole installation headless and exit"
    )
    _global_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    common.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("send", parents=[common], help="send one SMS")
    p.add_argument("--to", required=True, help="recipient, E.164 (+14155550100) or national")
    p.add_argument("--body", required=True, help="message text")
    sender = p.add_mutually_exclusive_group()
    sender.add_argument(
        "--from", dest="from_", help="sender number (default: the profile's sender)"
    )
    sender.add_argument("--messaging-service", help="Messaging Service SID (MG…)")
    p.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to SECONDS for a final status (default: 0, do not wait)",
    )

    sub.add_parser("serve", parents=[common], help="run the webhook server (and tunnel) only")
    sub.add_parser("doctor", parents=[common], help="run the setup checklist")

    p = sub.add_parser("export", parents=[common], help="export deliveries with their events")
    p.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="jsonl",
        help="JSON Lines (one delivery per line) or CSV (default: jsonl)",
    )
    p.add_argument(
        "--out", type=Path, metavar="FILE", help="output file (default: standard output)"
    )
    p.add_argument(
        "--status",
        action="append",
        type=str.lower,
        choices=STATUSES,
        default=[],
        metavar="STATUS",
        help=f"only deliveries in this status, repeatable; one of {', '.join(STATUSES)} "
        "(default: every status)",
    )

    sub.add_parser("numbers", parents=[common], help="list verified caller IDs and owned numbers")
    p = sub.add_parser("verify", parents=[common], help="start verifying a caller ID")
    p.add_argument("number", help="the number to verify")
    p.add_argument("--name", default="", help="friendly name (default: none)")

    p = sub.add_parser(
        "simulator",
        parents=[common],
        help="run the offline Twilio on a port",
        description="Run the offline Twilio simulator on --port (default: the webhook "
        "server's port + 1, so 8081) until interrupted, for other tools to point at.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument(
        "--scenario",
        type=Path,
        metavar="FILE",
        help="scenario JSON file: outcomes, latency, replies (default: the demo scenario; "
        "format in console/simulator/scenario_json.py)",
    )

    p = sub.add_parser("segments", parents=[common], help="encoding and segment count of a text")
    p.add_argument("text", help="the message text")
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the data dir's file, overridden by this run's options."""
    data_dir = getattr(args, "data_dir", None) or default_data_dir()
    settings = Settings.load(Path(data_dir).expanduser())
    overrides: dict[str, Any] = {}
    if getattr(args, "demo", False):
        overrides["demo"] = True
    if getattr(args, "port", None) is not None:
        overrides["port"] = args.port
    if getattr(args, "public_url", None):
        overrides["public_url"] = args.public_url
        overrides["tunnel"] = False
    if getattr(args, "no_tunnel", False):
        overrides["tunnel"] = False
    if getattr(args, "ngrok_path", None):
        overrides["ngrok_path"] = args.ngrok_path
    if getattr(args, "api_base_url", None):
        overrides["api_base_url"] = args.api_base_url
    if getattr(args, "log_level", None):
        overrides["log_level"] = args.log_level
    return replace(settings, **overrides)


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    """Print a result: JSON with ``--json``, else the human text."""
    if getattr(args, "json", False):
        print(json.dumps({"ok": True, **payload}, default=str))
    else:
        print(text)


def fail(args: argparse.Namespace, reason: str, code: int = 1) -> int:
    """Report a failure as one line and return the exit status."""
    line = " ".join(reason.split())
    if getattr(args, "json", False):
        print(json.dumps({"ok": False, "error": line}))
    print(f"sms-console: {line}", file=sys.stderr)
    return code


def _silence_stdout() -> None:
    """Point standard output at the null device, so the interpreter's final flush cannot fail.

    Python's documented recipe for a closed pipe (library/signal.html, "Note on SIGPIPE").
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # not a real file (e.g. captured in-process)
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115  # lives until exit
    finally:
        os.close(devnull)


def quiet_on_closed_pipe(body: Callable[[], int]) -> int:
    """Run ``body`` and flush standard output; a reader that went away ends it quietly.

    Returns ``body``'s status, or :data:`EXIT_BROKEN_PIPE` (no traceback) when standard output
    is a pipe whose reader has closed. ``SystemExit`` (argparse's ``--help``) passes through
    once its output is flushed.
    """
    try:
        try:
            code = body()
        except SystemExit:
            sys.stdout.flush()
            raise
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        log.debug("standard output was closed by its reader; stopping")
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line; ``--help`` into a closed pipe exits quietly."""
    result: list[argparse.Namespace] = []

    def parse() -> int:
        result.append(build_parser().parse_args(argv))
        return 0

    code = quiet_on_closed_pipe(parse)
    if not result:
        raise SystemExit(code)
    return result[0]


def run_command(args: argparse.Namespace, settings: Settings) -> int:
    """Dispatch to the subcommand's handler (a closed standard output ends it quietly)."""
    module_name, func_name = HANDLERS[args.command].split(":")
    handler: Handler = getattr(importlib.import_module(module_name), func_name)

    def call() -> int:
        try:
            return handler(args, settings)
        except (CommandError, DatabaseInUse) as exc:
            return fail(args, str(exc))
        except KeyboardInterrupt:
            return 130

    return quiet_on_closed_pipe(call)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse and run a subcommand (the GUI path is in :mod:`console.app`)."""
    args = parse_args(argv)
    return run_command(args, settings_from_args(args))
