"""Composition root: parse the command line, then run a subcommand, the self-test or the window.

This is the only place that knows every service; it builds them and hands them to the window.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from console.cli import parse_args, quiet_on_closed_pipe, run_command, settings_from_args
from console.secrets import withhold_from_children
from console.settings import configure_logging


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``sms-console`` and ``python main.py``."""
    withhold_from_children()  # no child process (a browser, ngrok) inherits a token
    args = parse_args(argv)
    settings = settings_from_args(args)
    configure_logging(settings)
    if args.command:
        return run_command(args, settings)
    if args.self_test:
        from console.selftest import run_self_test

        return quiet_on_closed_pipe(lambda: int(run_self_test(settings)))
    from console.ui.launch import run_gui

    return int(run_gui(settings))


if __name__ == "__main__":
    sys.exit(main())
