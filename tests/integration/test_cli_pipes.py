"""Commands writing to a closed pipe (``sms-console export | head``) stop quietly.

Standard output is the write end of a pipe whose read end is already closed, so the first write
(unbuffered, ``PYTHONUNBUFFERED=1``) or the flush at the end (buffered) meets EPIPE. The command
must end with the conventional status 141 (128 + SIGPIPE) or 0, and print no traceback and no
"Exception ignored" from the interpreter's shutdown flush.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import EXIT_BROKEN_PIPE
from console.domain.model import EventIn, EventSource, NewDelivery, SendState
from console.store.writer import Writer
from tests.integration.test_doctor_support import closed_port

ROOT = Path(__file__).resolve().parents[2]
NO_KEYRING = "keyring.backends.fail.Keyring"


def run_into_closed_pipe(*args: str, data_dir: Path, unbuffered: bool) -> tuple[int, str]:
    """Run ``main.py ARGS`` with standard output a pipe nobody reads; (status, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "NGROK_"))}
    env.pop("PYTHONUNBUFFERED", None)
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    env.update(SMS_CONSOLE_HOME=str(data_dir), PYTHON_KEYRING_BACKEND=NO_KEYRING)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "main.py", *args],
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
            cwd=ROOT,
            env=env,
        )
    finally:
        os.close(write_end)
    return proc.returncode, proc.stderr


async def _seed(writer: Writer, count: int) -> None:
    for i in range(count):
        rec = await writer.add_delivery(NewDelivery(to=f"+1415555{i:04d}", body="x" * 200))
        await writer.transition(
            rec.id,
            SendState.ACCEPTED,
            sid=f"SMpipe{i}",
            event=EventIn(source=EventSource.API, status="queued"),
        )


COMMANDS = [
    pytest.param(("export",), id="export-jsonl"),
    pytest.param(("export", "--format", "csv"), id="export-csv"),
    pytest.param(("segments", "hello"), id="segments"),
    pytest.param(("segments", "hello", "--json"), id="segments-json"),
    pytest.param(("numbers", "--demo"), id="numbers"),
    pytest.param(("numbers", "--demo", "--json"), id="numbers-json"),
    pytest.param(("doctor", "--demo", "--json", "--port", "PORT"), id="doctor-json"),
    pytest.param(("--help",), id="help"),
    pytest.param(("export", "--help"), id="export-help"),
]


@pytest.mark.parametrize("unbuffered", [True, False], ids=["unbuffered", "buffered"])
@pytest.mark.parametrize("args", COMMANDS)
async def test_a_closed_pipe_ends_the_command_quietly(
    writer: Writer, data_dir: Path, args: tuple[str, ...], unbuffered: bool
) -> None:
    await _seed(writer, 20)
    argv = [str(closed_port()) if a == "PORT" else a for a in args]
    code, stderr = run_into_closed_pipe(*argv, data_dir=data_dir, unbuffered=unbuffered)
    assert "Traceback" not in stderr, stderr
    assert "BrokenPipeError" not in stderr and "Exception ignored" not in stderr, stderr
    assert code in (0, EXIT_BROKEN_PIPE), (code, stderr)
