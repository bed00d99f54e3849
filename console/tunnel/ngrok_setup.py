"""Preparing an ngrok launch: the private config file, the binary, pyngrok's config, threads.

The auth token goes only into ``<data_dir>/ngrok/ngrok.yml`` (mode 0600, written atomically),
never onto ngrok's command line, into pyngrok's ``auth_token`` option or into logs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pyngrok import process
from pyngrok.conf import PyngrokConfig

from console.tunnel.ngrok_errors import TunnelStartError

T = TypeVar("T")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def write_private_config(data_dir: Path, authtoken: str | None) -> Path:
    """Write ngrok's v3 config with the auth token to ``<data_dir>/ngrok/ngrok.yml`` (0600)."""
    folder = data_dir / "ngrok"
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        folder.chmod(0o700)
    lines = [
        "# Written by SMS Console for its own ngrok agent. Holds the ngrok auth token: keep it",
        "# private (mode 0600). Edit the token in the console's settings, not here.",
        'version: "3"',
    ]
    if authtoken:
        # A JSON string is a valid YAML double-quoted scalar.
        lines += ["agent:", f"  authtoken: {json.dumps(authtoken)}"]
    target = folder / "ngrok.yml"
    fd, temp_name = tempfile.mkstemp(prefix=".ngrok-", suffix=".yml", dir=folder)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    return target


def normalise_domain(domain: str) -> str:
    """``https://Name.ngrok-free.app/`` → ``name.ngrok-free.app``; raises ValueError if invalid."""
    host = domain.strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
    if not _HOSTNAME.match(host):
        raise ValueError(
            f"{domain!r} is not a valid ngrok domain: give a hostname like "
            "'your-name.ngrok-free.app' (letters, digits, '-' and '.'; no underscores or path)"
        )
    return host


def check_binary(ngrok_path: str | None) -> None:
    """Fail clearly when a user-given ngrok path is not an executable file.

    pyngrok would otherwise try to *download* ngrok to that path.
    """
    if ngrok_path is None:
        return
    path = Path(ngrok_path)
    if not path.is_file() or not os.access(path, os.X_OK):
        reason = "is not executable" if path.is_file() else "does not exist"
        raise TunnelStartError(
            f"No usable ngrok at {ngrok_path} (it {reason}). Install ngrok from "
            "https://ngrok.com/download and give its path in Settings → Tunnel or with "
            "--ngrok-path; or clear the path to let the console download ngrok.",
            retryable=False,
        )


def make_pyngrok_config(
    ngrok_path: str | None, config_path: Path, region: str | None, startup_timeout: float
) -> PyngrokConfig:
    """A private PyngrokConfig: our config file, no auth token or API key on any command line."""
    config = PyngrokConfig(
        ngrok_path=ngrok_path,
        config_path=str(config_path),
        region=region,
        ngrok_version="v3",
        startup_timeout=max(1, round(startup_timeout + 0.5)),
        monitor_thread=True,  # keeps draining ngrok's stdout so the pipe never fills up
    )
    # PyngrokConfig falls back to NGROK_AUTHTOKEN / NGROK_API_KEY from the environment and
    # would then pass the token as --authtoken (visible in ps). The token lives in the file.
    config.auth_token = None
    config.api_key = None
    return config


def kill_registered_process(ngrok_path: str) -> None:
    """Kill the ngrok process pyngrok started for ``ngrok_path``, without pyngrok's lock.

    pyngrok holds a process-wide lock for the whole (possibly endless) startup read loop, so
    ``ngrok.kill()`` cannot interrupt a hung start. pyngrok registers the process before that
    loop (``process._current_processes``); killing it makes the loop read EOF and give up.
    """
    current = getattr(process, "_current_processes", {})
    ngrok_process = current.get(ngrok_path)
    if ngrok_process is not None and ngrok_process.proc.poll() is None:
        with contextlib.suppress(OSError):
            ngrok_process.proc.kill()


def registered_process(ngrok_path: str) -> process.NgrokProcess | None:
    """The NgrokProcess pyngrok keeps for ``ngrok_path``, if any (read without its lock)."""
    current: dict[str, process.NgrokProcess] = getattr(process, "_current_processes", {})
    return current.get(ngrok_path)


def release_output(proc: subprocess.Popen[str], monitor: threading.Thread | None = None) -> None:
    """Close the stdout pipe of an ngrok process that has exited.

    pyngrok never closes it and keeps the Popen alive (atexit), so every restart would leak a
    file descriptor. ``monitor`` (pyngrok's log reader thread) is joined first so nothing
    reads a closed file.
    """
    if proc.poll() is None:
        return
    if monitor is not None and monitor is not threading.current_thread():
        monitor.join(timeout=2.0)
    if proc.stdout is not None and not proc.stdout.closed:
        with contextlib.suppress(OSError, ValueError):
            proc.stdout.close()


def release_failed_start(exc: BaseException) -> None:
    """Close the pipes of ngrok processes that a failed pyngrok start left behind.

    pyngrok drops its handle to a process that failed to start, so the only reference left is
    in the frames of the exception's traceback (``_start_process``'s ``proc``).
    """
    tb = exc.__traceback__
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if isinstance(value, subprocess.Popen):
                release_output(value)
        tb = tb.tb_next


def run_in_daemon_thread(function: Callable[[], T], name: str) -> asyncio.Future[T]:
    """Run a blocking call in a fresh daemon thread and return a future on the running loop.

    Used for pyngrok's start, which can block forever on a silent binary: a daemon thread can
    never hold up interpreter exit or ``loop.shutdown_default_executor()`` the way an executor
    thread would.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]  # result is T when no error

    def runner() -> None:
        try:
            result = function()
        except BaseException as exc:
            outcome: tuple[T | None, BaseException | None] = (None, exc)
        else:
            outcome = (result, None)
        with contextlib.suppress(RuntimeError):  # the loop may be closed by now
            loop.call_soon_threadsafe(settle, *outcome)

    # An abandoned start may fail after nobody awaits it any more: mark its error as seen.
    future.add_done_callback(lambda done: None if done.cancelled() else done.exception())
    threading.Thread(target=runner, name=name, daemon=True).start()
    return future


class TokenRedactor(logging.Filter):
    """Replaces a secret in log records (ngrok echoes a rejected token in ERR_NGROK_107)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message if it contains the secret; always keep the record."""
        message = record.getMessage()
        if self._secret and self._secret in message:
            record.msg = message.replace(self._secret, "<ngrok-authtoken>")
            record.args = None
        return True
