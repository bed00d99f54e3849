"""``sms-console export`` and ``segments`` through the real entry point."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from console.domain.model import EventIn, EventSource, NewDelivery, SendState
from console.store.writer import Writer


def run_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )


async def _seed(writer: Writer) -> None:
    rec = await writer.add_delivery(NewDelivery(to="+14155550101", body="hello, world"))
    await writer.transition(
        rec.id,
        SendState.ACCEPTED,
        sid="SMexp1",
        event=EventIn(source=EventSource.API, status="queued"),
    )
    await writer.record_event(
        EventIn(
            source=EventSource.CALLBACK,
            status="undelivered",
            message_sid="SMexp1",
            error_code=30003,
        )
    )


async def test_export_jsonl_and_csv(writer: Writer, data_dir: Path, tmp_path: Path) -> None:
    await _seed(writer)
    out = run_cli("export", "--format", "jsonl", data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(records) == 1
    rec = records[0]
    assert (rec["sid"], rec["to"], rec["status"], rec["error_code"]) == (
        "SMexp1",
        "+14155550101",
        "undelivered",
        30003,
    )
    assert [e["status"] for e in rec["events"]] == ["queued", "undelivered"]
    assert rec["error_explained"].startswith("Handset unreachable: ")  # the plain words
    assert "What to do:" in rec["error_explained"]
    target = tmp_path / "out.csv"
    out = run_cli("export", "--format", "csv", "--out", str(target), "--json", data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"ok": True, "count": 1, "out": str(target)}
    with target.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["sid"] == "SMexp1" and rows[0]["body"] == "hello, world"
    assert rows[0]["error_explained"] == rec["error_explained"]
    assert len(json.loads(rows[0]["events"])) == 2


def test_export_to_unwritable_path_fails_with_reason(data_dir: Path) -> None:
    out = run_cli("export", "--out", "/proc/nope/x.csv", data_dir=data_dir)
    assert out.returncode != 0
    assert "cannot write" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_segments_command(data_dir: Path) -> None:
    out = run_cli("segments", "Hi 😀", "--json", data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    info = json.loads(out.stdout)
    assert info["encoding"] == "UCS-2" and info["segments"] == 1 and "😀" in info["ucs2_chars"]
