"""Option values through the real entry point: unknown ones are refused by argparse with the
valid ones listed (exit 2, before anything runs), and ``--help`` says each default."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from console.domain.model import EventIn, EventSource, NewDelivery, SendState
from console.domain.status import Status
from console.store.writer import Writer

ROOT = Path(__file__).resolve().parents[2]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


def refused(out: subprocess.CompletedProcess[str], option: str, valid: tuple[str, ...]) -> None:
    """argparse's refusal: status 2, usage, the option named, every valid value listed."""
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert out.stdout == "" and "Traceback" not in out.stderr
    assert out.stderr.startswith("usage: ")
    error = out.stderr.strip().splitlines()[-1]
    assert f"argument {option}" in error, error
    for value in valid:
        assert value in error, (value, error)


def test_an_unknown_export_status_is_refused_with_the_valid_ones(data_dir: Path) -> None:
    out = run_cli("export", "--status", "bogus", data_dir=data_dir)
    refused(out, "--status", tuple(s.value for s in Status))
    assert "bogus" in out.stderr


def test_an_unknown_export_format_is_refused(data_dir: Path) -> None:
    refused(run_cli("export", "--format", "xml", data_dir=data_dir), "--format", ("csv", "jsonl"))


@pytest.mark.parametrize("where", ["before", "after"])
def test_an_unknown_log_level_is_refused_with_the_valid_ones(data_dir: Path, where: str) -> None:
    args = ["--log-level", "loud"]
    argv = [*args, "segments", "hi"] if where == "before" else ["segments", "hi", *args]
    refused(run_cli(*argv, data_dir=data_dir), "--log-level", LOG_LEVELS)


def test_a_log_level_is_accepted_in_any_case(data_dir: Path) -> None:
    out = run_cli("--log-level", "debug", "segments", "hi", "--json", data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["segments"] == 1


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_a_port_outside_the_tcp_range_is_refused(data_dir: Path, port: str) -> None:
    refused(run_cli("simulator", "--port", port, data_dir=data_dir), "--port", ("0", "65535"))


async def test_export_status_filters_and_ignores_case(writer: Writer, data_dir: Path) -> None:
    for i, final in enumerate(("delivered", "undelivered")):
        rec = await writer.add_delivery(NewDelivery(to=f"+1415555010{i}", body="hi"))
        await writer.transition(
            rec.id,
            SendState.ACCEPTED,
            sid=f"SMopt{i}",
            event=EventIn(source=EventSource.API, status="queued"),
        )
        await writer.record_event(
            EventIn(source=EventSource.CALLBACK, status=final, message_sid=f"SMopt{i}")
        )
    out = run_cli("export", "--status", "Undelivered", data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    assert [json.loads(line)["sid"] for line in out.stdout.splitlines()] == ["SMopt1"]
    out = run_cli("export", "--status", "delivered", "--status", "undelivered", data_dir=data_dir)
    assert sorted(json.loads(line)["sid"] for line in out.stdout.splitlines()) == [
        "SMopt0",
        "SMopt1",
    ]


def _help(data_dir: Path, *args: str) -> str:
    out = run_cli(*args, "--help", data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    return " ".join(out.stdout.split())  # argparse wraps lines wherever it likes


def test_help_says_the_defaults(data_dir: Path) -> None:
    top = _help(data_dir)
    assert "(default: INFO)" in top and "(default: 8080" in top
    export = _help(data_dir, "export")
    assert "(default: jsonl)" in export and "(default: standard output)" in export
    assert "(default: every status)" in export
    send = _help(data_dir, "send")
    assert "(default: 0, do not wait)" in send
    simulator = _help(data_dir, "simulator")
    assert "(default: 127.0.0.1)" in simulator
