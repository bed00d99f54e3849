"""Benchmark: callbacks recorded through the single writer, group commit vs a commit per event.

Both runs use the real Writer on SQLite (WAL, synchronous=FULL) in a temporary directory, with
the same stream of status callbacks (4 statuses per message) offered with the same concurrency
(like webhooks in flight). The baseline is the same writer limited to one write per commit.
Prints one JSON object.

    python bench/ledger.py [--events 100000] [--baseline-events 100000] [--concurrency 256]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from console.domain.model import EventIn, EventSource
from console.store.db import sqlite_url, upgrade
from console.store.queries import Reader
from console.store.writer import Writer

STATUSES = ("queued", "sending", "sent", "delivered")


def events(n: int) -> list[EventIn]:
    """n callbacks: 4 lifecycle statuses for each of n/4 messages."""
    return [
        EventIn(
            source=EventSource.CALLBACK,
            status=STATUSES[i % 4],
            message_sid=f"SM{i // 4:032x}",
            to="+14155550100",
        )
        for i in range(n)
    ]


async def run(
    url: str, stream: list[EventIn], *, max_batch: int, concurrency: int
) -> dict[str, float]:
    writer = Writer(url, max_batch=max_batch)
    await writer.start()
    sem = asyncio.Semaphore(concurrency)

    async def one(ev: EventIn) -> None:
        async with sem:
            await writer.record_event(ev)

    start = time.perf_counter()
    await asyncio.gather(*(one(ev) for ev in stream))
    elapsed = time.perf_counter() - start
    commits = writer.commits
    await writer.close()
    return {
        "events": len(stream),
        "seconds": round(elapsed, 3),
        "events_per_s": round(len(stream) / elapsed, 1),
        "commits": commits,
        "events_per_commit": round(len(stream) / max(commits, 1), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--baseline-events", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name, n, batch in (
            ("commit_per_event", args.baseline_events, 1),
            ("group_commit", args.events, 2000),
        ):
            url = sqlite_url(Path(tmp) / f"{name}.db")
            upgrade(url)
            results[name] = asyncio.run(
                run(url, events(n), max_batch=batch, concurrency=args.concurrency)
            )
            reader = Reader(url)
            results[name]["deliveries"] = reader.count_deliveries()
            reader.close()
    print(
        json.dumps(
            {
                "benchmark": "ledger",
                "concurrency": args.concurrency,
                **results,
                "speedup": round(
                    results["group_commit"]["events_per_s"]
                    / results["commit_per_event"]["events_per_s"],
                    1,
                ),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
