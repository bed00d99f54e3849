"""``sms-console export``: deliveries with their events, as CSV or JSON Lines."""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TextIO

from console.cli import CommandError, emit
from console.domain.errors import explain
from console.domain.model import DeliveryRecord, EventRecord
from console.settings import Settings
from console.store.db import upgrade
from console.store.queries import DeliveryFilter, Reader

CSV_FIELDS = (
    "sid",
    "to",
    "from",
    "messaging_service_sid",
    "status",
    "error_code",
    "error_message",
    "error_explained",
    "segments",
    "encoding",
    "price",
    "price_unit",
    "send_state",
    "created_at",
    "updated_at",
    "final_at",
    "body",
    "events",
)


def explained(code: int | None) -> str | None:
    """The console's plain words for an error code: what it means and what to do."""
    info = explain(code) if code else None
    return None if info is None else f"{info.title}: {info.cause} What to do: {info.action}"


def delivery_dict(d: DeliveryRecord, events: Iterable[EventRecord]) -> dict[str, Any]:
    """One export record: a delivery and its events, JSON-ready."""
    return {
        "sid": d.sid,
        "to": d.to,
        "from": d.from_,
        "messaging_service_sid": d.messaging_service_sid,
        "status": d.status,
        "error_code": d.error_code,
        "error_message": d.error_message,
        "error_explained": explained(d.error_code),
        "segments": d.segments,
        "encoding": d.encoding,
        "price": d.price,
        "price_unit": d.price_unit,
        "send_state": d.send_state.value,
        "created_at": d.created_at.isoformat(),
        "updated_at": d.updated_at.isoformat(),
        "final_at": d.final_at.isoformat() if d.final_at else None,
        "body": d.body,
        "events": [
            {
                "source": e.source.value,
                "status": e.status,
                "applied": e.applied,
                "error_code": e.error_code,
                "signature": e.signature.value if e.signature else None,
                "received_at": e.received_at.isoformat(),
            }
            for e in events
        ],
    }


def write_export(
    rows: Iterator[tuple[DeliveryRecord, list[EventRecord]]], fmt: str, out: IO[str]
) -> int:
    """Write the records in ``fmt`` (csv or jsonl); returns how many were written."""
    count = 0
    writer = None
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
        writer.writeheader()
    for delivery, events in rows:
        record = delivery_dict(delivery, events)
        if writer is not None:
            record["events"] = json.dumps(record["events"])
            writer.writerow(record)
        else:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Export every delivery (optionally only some statuses) to a file or standard output."""
    upgrade(settings.db_url)
    reader = Reader(settings.db_url)
    flt = DeliveryFilter(statuses=frozenset(args.status))
    out_path: Path | None = args.out
    out: TextIO
    try:
        with contextlib.ExitStack() as stack:
            if out_path is not None:
                try:
                    out = stack.enter_context(out_path.open("w", encoding="utf-8", newline=""))
                except OSError as exc:
                    raise CommandError(
                        f"cannot write {out_path}: {exc.strerror}; choose another --out path"
                    ) from exc
            else:
                out = sys.stdout
            count = write_export(reader.iter_with_events(flt), args.format, out)
    finally:
        reader.close()
    if out_path is not None:
        emit(
            args,
            {"count": count, "out": str(out_path)},
            f"exported {count} deliveries to {out_path}",
        )
    return 0
