"""Benchmark: does the send pipeline hold the configured rate, and what does it cost per message?

The simulator runs in its own process (so it does not share this process's event loop or GIL)
and the console's real pipeline — ``Sender.send_bulk`` → ``TwilioGateway`` (twilio-python over
HTTP) → the ledger on SQLite (WAL, synchronous=FULL) — runs here. For each configured rate
(segments per second) a bulk of about ``--seconds`` worth of messages is sent (every fifth one
two segments long). Reported per rate:

- ``achieved_segments_per_s``: the segments of all messages but the last, divided by the time
  between the first and the last create call (the target is the configured rate, within ±3 %);
- ``duplicates``: messages the simulator holds more than once for the same recipient and body,
  plus ledger deliveries whose SID is not at the simulator (target 0).

``overhead_ms_per_message`` is the pipeline's own cost: unpaced single sends one after the other,
total time minus the time spent inside the create calls, per message (checks, three ledger
commits, bookkeeping). Prints one JSON object.

    python bench/send_pacing.py [--rates 1 10 100] [--seconds 10] [--overhead-messages 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from console.gateway.client import TwilioGateway
from console.gateway.resources import MessageInfo
from console.gateway.sender import Outgoing, Sender
from console.secrets import Credentials
from console.settings import Pacing
from console.simulator import DEMO_ACCOUNT
from console.store.db import sqlite_url, upgrade
from console.store.queries import Reader
from console.store.writer import Writer

FROM = "+14155550100"
TOLERANCE = 0.03
SIMULATOR = """
import asyncio
from console.simulator import DEMO_ACCOUNT, Simulator, SimulatorServer

async def main():
    async with SimulatorServer(Simulator(DEMO_ACCOUNT)) as server:
        print(server.base_url, flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""


class TimedGateway(TwilioGateway):
    """The real gateway, timing each create call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[float, float]] = []  # (start, end), perf_counter seconds

    async def create_message(self, **kwargs: Any) -> MessageInfo:
        start = time.perf_counter()
        try:
            return await super().create_message(**kwargs)
        finally:
            self.calls.append((start, time.perf_counter()))


def bodies(tag: str, count: int) -> list[str]:
    """Every fifth body is two GSM-7 segments long (161-306 characters)."""
    return [(f"{tag} #{i} " + "x" * 200) if i % 5 == 4 else f"{tag} #{i}" for i in range(count)]


def segments(body: str) -> int:
    return 2 if len(body) > 160 else 1


async def pipeline(url: str, base_url: str) -> tuple[Writer, Reader, TimedGateway]:
    writer = Writer(url)
    await writer.start()
    creds = Credentials(account_sid=DEMO_ACCOUNT.sid, auth_token=DEMO_ACCOUNT.auth_token)
    return writer, Reader(url), TimedGateway(creds, api_base_url=base_url, timeout=15.0)


def make_sender(writer: Writer, reader: Reader, gateway: TwilioGateway, rate: float) -> Sender:
    return Sender(
        writer,
        reader,
        gateway,
        pacing=Pacing(long_code=rate),
        status_callback=lambda: None,
        max_in_flight=8,
    )


async def paced_run(url: str, base_url: str, rate: float, seconds: float) -> dict[str, Any]:
    writer, reader, gateway = await pipeline(url, base_url)
    # enough messages that the first-to-last window lasts about ``seconds``
    count = max(3, round(seconds * rate / 1.2) + 1)
    texts = bodies(f"rate {rate:g}", count)
    items = [Outgoing(f"+1415555{3000 + i % 200}", t, FROM) for i, t in enumerate(texts)]
    job = await make_sender(writer, reader, gateway, rate).send_bulk(items)
    final = await job.wait()
    starts = sorted(start for start, _ in gateway.calls)
    window = starts[-1] - starts[0]
    # the last message's own segments are sent at the end of the window, not within it
    sent_segments = sum(segments(t) for t in texts) - segments(texts[-1])
    achieved = sent_segments / window if window > 0 else float("nan")
    listed = await gateway.list_messages(limit=count * 2 + 10)
    ours = [m for m in listed if m.body in set(texts)]
    doubled = sum(n - 1 for n in Counter((m.to, m.body) for m in ours).values())
    ledger_sids = {d.sid for d in reader.deliveries(limit=count * 2) if d.body in set(texts)}
    missing = len(ledger_sids - {m.sid for m in ours})
    await writer.close()
    reader.close()
    gateway.close()
    return {
        "configured_segments_per_s": rate,
        "messages": count,
        "segments": sum(segments(t) for t in texts),
        "window_s": round(window, 3),
        "achieved_segments_per_s": round(achieved, 3),
        "error_pct": round((achieved - rate) / rate * 100, 2),
        "within_3pct": abs(achieved - rate) <= TOLERANCE * rate,
        "accepted": final.done,
        "failed": final.failed + final.deferred + final.unknown,
        "duplicates": doubled + missing,
    }


async def overhead_run(url: str, base_url: str, count: int) -> dict[str, Any]:
    writer, reader, gateway = await pipeline(url, base_url)
    sender = make_sender(writer, reader, gateway, 1e9)  # effectively unpaced
    texts = bodies("overhead", count)
    start = time.perf_counter()
    for i, text in enumerate(texts):
        await sender.send(f"+1415555{4000 + i % 200}", text, from_=FROM)
    total = time.perf_counter() - start
    in_api = sum(end - begin for begin, end in gateway.calls)
    await writer.close()
    reader.close()
    gateway.close()
    return {
        "messages": count,
        "total_ms_per_message": round(total / count * 1000, 3),
        "api_call_ms_per_message": round(in_api / count * 1000, 3),
        "overhead_ms_per_message": round((total - in_api) / count * 1000, 3),
        "commits": writer.commits,
    }


async def main(args: argparse.Namespace) -> dict[str, Any]:
    simulator = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SIMULATOR, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert simulator.stdout is not None
        base_url = (await asyncio.wait_for(simulator.stdout.readline(), 60)).decode().strip()
        with tempfile.TemporaryDirectory() as tmp:
            url = sqlite_url(Path(tmp) / "bench.db")
            upgrade(url)
            overhead = await overhead_run(url, base_url, args.overhead_messages)
            rates = [await paced_run(url, base_url, r, args.seconds) for r in args.rates]
    finally:
        simulator.kill()
        await simulator.wait()
    return {
        "benchmark": "send_pacing",
        "target": "achieved rate within ±3 % of the configured rate; 0 duplicates",
        "rates": rates,
        "overhead": overhead,
        "all_within_target": all(r["within_3pct"] and r["duplicates"] == 0 for r in rates),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[1.0, 10.0, 100.0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--overhead-messages", type=int, default=200)
    print(json.dumps(asyncio.run(main(parser.parse_args())), indent=2))
