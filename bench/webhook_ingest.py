"""Benchmark: status callbacks ingested by the console vs a bare aiohttp handler, same load.

(a) ``bare``: an aiohttp handler that reads the body and answers 200.
(b) ``console``: the real ``POST /webhooks/twilio/status`` — signature validated with twilio's
    RequestValidator, event and request-log entry persisted durably by the group-committing
    Writer on SQLite (WAL, synchronous=FULL), every commit published to the Qt Bridge.

Both servers run in a :class:`~console.runtime.Runtime` thread while a QCoreApplication runs
in the main thread (as in the app). The load generator is this script in a separate process
(``--client``, started with QProcess): an aiohttp client, N concurrent connections, signed
form bodies prepared before the clock starts, a warm-up, then a count- and time-bounded run on
127.0.0.1. Prints one JSON object.

    python bench/webhook_ingest.py [--requests 20000] [--seconds 15] [--concurrency 32]
        [--without-store]   # also (c): the same endpoint with writes resolved at once
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from PySide6.QtCore import QCoreApplication, QEventLoop, QProcess, QProcessEnvironment, QTimer
from sqlalchemy import text
from twilio.request_validator import RequestValidator

# Run from a checkout: import the console next to this script, not a stale installed copy.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from console.runtime import Bridge, Runtime
from console.store.db import make_writer_engine, sqlite_url, upgrade
from console.store.queries import Reader
from console.store.writer import Writer
from console.webhooks.app import STATUS_PATH, WebhookServer

TOKEN_ENV = "BENCH_WEBHOOK_TOKEN"
WARMUP = 500


# -- load generator (child process) -------------------------------------------------------------
def _requests(url: str, token: str, count: int, tag: str) -> list[tuple[bytes, str]]:
    """Signed form bodies: two callbacks (sent, delivered) per message, all distinct."""
    validator = RequestValidator(token)
    out = []
    for i in range(count):
        sid = f"SM{tag}{i // 2:x}"
        status = ("sent", "delivered")[i % 2]
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": "AC" + "0" * 32,
            "From": "+14155550100",
            "To": "+14155550199",
            "ApiVersion": "2010-04-01",
        }
        out.append((urlencode(params).encode(), validator.compute_signature(url, params)))
    return out


async def _drive(
    session: aiohttp.ClientSession,
    url: str,
    bodies: list[tuple[bytes, str]],
    concurrency: int,
    seconds: float,
) -> dict[str, Any]:
    latencies: list[float] = []
    failures: dict[str, int] = {}
    ok = 0
    next_index = iter(range(len(bodies)))
    start = time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        for i in next_index:
            if time.perf_counter() > deadline:
                return
            body, signature = bodies[i]
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
            }
            nonlocal ok
            t0 = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, OSError) as exc:
                failures[type(exc).__name__] = failures.get(type(exc).__name__, 0) + 1
                continue
            latencies.append(time.perf_counter() - t0)
            if status == 200:
                ok += 1
            else:
                failures[str(status)] = failures.get(str(status), 0) + 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    failed = sum(failures.values())

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

    return {
        "requests": ok + failed,
        "ok": ok,
        "failed": failed,
        "failures": failures,
        "seconds": round(elapsed, 3),
        "requests_per_s": round(ok / elapsed, 1),
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": round(ordered[-1] * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }


async def _client(args: argparse.Namespace) -> dict[str, Any]:
    token = os.environ[TOKEN_ENV]
    url = args.client
    warm = _requests(url, token, WARMUP, args.tag + "w")
    bodies = _requests(url, token, args.requests, args.tag + "m")
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        warmup = await _drive(session, url, warm, args.concurrency, 30.0)
        result = await _drive(session, url, bodies, args.concurrency, args.seconds)
    result["warmup_ok"] = warmup["ok"]
    return result


# -- servers (runtime thread) -------------------------------------------------------------------
async def _start_bare(runtime: Runtime) -> str:
    async def handler(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200, text="")

    app = web.Application()
    app.router.add_post(STATUS_PATH, handler)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    runtime.add_cleanup(runner.cleanup)
    return f"http://127.0.0.1:{runner.addresses[0][1]}"


async def _start_console(
    runtime: Runtime, url: str, bridge: Bridge, token: str
) -> tuple[str, Writer]:
    writer = Writer(url)
    await writer.start()
    writer.subscribe(bridge.publish)
    base: list[str] = []
    server = WebhookServer(
        writer, auth_token=lambda: token, public_url=lambda: base[0] if base else None, port=0
    )
    base.append(await server.start())
    runtime.add_cleanup(writer.close)
    runtime.add_cleanup(server.stop)
    return base[0], writer


class _NoStore(Writer):
    """(c) with ``--without-store``: every write resolves at once, nothing is stored. Not a
    console configuration: it shows what the HTTP and validation work alone leaves of (a)."""

    def _submit(self, op: Any, args: Any, convert: Any, **_kw: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


async def _start_without_store(runtime: Runtime, url: str, token: str) -> str:
    writer = _NoStore(url)
    base: list[str] = []
    server = WebhookServer(
        writer, auth_token=lambda: token, public_url=lambda: base[0] if base else None, port=0
    )
    base.append(await server.start())
    runtime.add_cleanup(server.stop)
    return base[0]


# -- orchestration (main thread, Qt event loop running) ---------------------------------------
def _load(url: str, args: argparse.Namespace, token: str, tag: str) -> dict[str, Any]:
    """Run the load generator process while this thread's Qt event loop keeps running."""
    proc = QProcess()
    env = QProcessEnvironment.systemEnvironment()
    env.insert(TOKEN_ENV, token)
    proc.setProcessEnvironment(env)
    proc.setProgram(sys.executable)
    proc.setArguments(
        [
            str(Path(__file__).resolve()),
            "--client",
            url,
            "--requests",
            str(args.requests),
            "--seconds",
            str(args.seconds),
            "--concurrency",
            str(args.concurrency),
            "--tag",
            tag,
        ]
    )
    loop = QEventLoop()
    proc.finished.connect(loop.quit)
    proc.start()
    loop.exec()
    if proc.exitCode() != 0:
        raise RuntimeError(bytes(proc.readAllStandardError().data()).decode())
    result: dict[str, Any] = json.loads(bytes(proc.readAllStandardOutput().data()).decode())
    return result


def _wait_for(bridge: Bridge, condition: Any, timeout_ms: int = 10_000) -> bool:
    """Let the Qt loop run until ``condition()`` holds after a bridge flush, or time runs out."""
    loop = QEventLoop()
    bridge.flushed.connect(lambda: loop.quit() if condition() else None)
    QTimer.singleShot(timeout_ms, loop.quit)
    if not condition():
        loop.exec()
    return bool(condition())


def _thread_cpu() -> dict[str, float]:
    """CPU seconds used so far by each named thread of this process (Linux /proc; else {})."""
    out: dict[str, float] = {}
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for thread in threading.enumerate():
        try:
            stat = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        name = thread.name.rstrip("_0123456789") or thread.name
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _measured(run: Any, requests: Any) -> dict[str, Any]:
    """Run ``run()`` and add the server process's CPU per request, in total and by thread."""
    cpu, threads = time.process_time(), _thread_cpu()
    result: dict[str, Any] = run()
    served = requests(result)
    after = _thread_cpu()
    result["server_cpu_ms_per_request"] = round((time.process_time() - cpu) * 1000 / served, 3)
    result["server_cpu_ms_per_request_by_thread"] = {
        name: round((after[name] - threads.get(name, 0.0)) * 1000 / served, 3)
        for name in after
        if after[name] - threads.get(name, 0.0) > 0
    }
    return result


def _synchronous(url: str) -> str:
    """The synchronous pragma of a writer connection (2 = FULL)."""
    engine = make_writer_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text("PRAGMA synchronous")).scalar()
    engine.dispose()
    return {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(int(value or 0), str(value))


def _served(result: dict[str, Any]) -> int:
    return max(1, int(result["requests"]) + int(result["warmup_ok"]))


def _median(results: list[dict[str, Any]]) -> dict[str, float]:
    """The median of each figure over the rounds."""
    keys = (
        "requests_per_s",
        "p50_ms",
        "p90_ms",
        "p99_ms",
        "max_ms",
        "mean_ms",
        "server_cpu_ms_per_request",
    )
    return {k: round(statistics.median(r[k] for r in results), 2) for k in keys}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="alternating a/b rounds")
    parser.add_argument(
        "--switch-interval", type=float, default=None, help="sys.setswitchinterval (seconds)"
    )
    parser.add_argument(
        "--without-store",
        action="store_true",
        help="also run (c): the console endpoint with every write resolved at once (no database)",
    )
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="", help=argparse.SUPPRESS)  # unique SIDs per run
    args = parser.parse_args()
    if args.client:
        if not args.tag:
            parser.error("--client needs --tag (SIDs must be unique across runs)")
        print(json.dumps(asyncio.run(_client(args))))
        return 0

    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    app = QCoreApplication(sys.argv[:1])
    token = os.urandom(16).hex()
    runtime = Runtime("bench-runtime")
    runtime.start()
    bridge = Bridge()
    bridged = {"events": 0, "emissions": 0}
    bridge.eventsAdded.connect(
        lambda batch: bridged.__setitem__("events", bridged["events"] + len(batch))
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = sqlite_url(Path(tmp) / "console.db")
        upgrade(url)
        try:
            bare_base = runtime.submit(_start_bare(runtime)).result(timeout=30)
            console_base, writer = runtime.submit(
                _start_console(runtime, url, bridge, token)
            ).result(timeout=30)
            bare_store = (
                runtime.submit(_start_without_store(runtime, url, token)).result(timeout=30)
                if args.without_store
                else None
            )
            bares, consoles, storeless = [], [], []
            acked = 0
            for r in range(args.rounds):  # alternate, so that both see the same machine load
                bares.append(
                    _measured(
                        lambda r=r: _load(bare_base + STATUS_PATH, args, token, f"a{r}"), _served
                    )
                )
                commits_before, emissions_before = writer.commits, bridge.emissions
                result = _measured(
                    lambda r=r: _load(console_base + STATUS_PATH, args, token, f"b{r}"), _served
                )
                result["commits"] = writer.commits - commits_before
                result["bridge_emissions"] = bridge.emissions - emissions_before
                consoles.append(result)
                acked += result["ok"] + result["warmup_ok"]
                if bare_store is not None:
                    storeless.append(
                        _measured(
                            lambda r=r: _load(bare_store + STATUS_PATH, args, token, f"c{r}"),
                            _served,
                        )
                    )
            _wait_for(bridge, lambda: bridged["events"] >= acked)
        finally:
            runtime.stop()
        reader = Reader(url)
        stored = reader.count_requests(verdict="valid")
        with reader.engine.connect() as conn:
            events = int(conn.execute(text("SELECT count(*) FROM delivery_events")).scalar() or 0)
        reader.close()
        synchronous = _synchronous(url)
    del app
    bare, console = _median(bares), _median(consoles)
    for result in consoles:
        result["writes_per_commit"] = round(2 * result["ok"] / max(result["commits"], 1), 1)
        result["bridge_emissions_per_s"] = round(result["bridge_emissions"] / result["seconds"], 1)
    ratio = console["requests_per_s"] / bare["requests_per_s"]
    without_store: dict[str, Any] = {}
    if storeless:
        c = _median(storeless)
        without_store = {
            "rounds": storeless,
            "median": c,
            "ratio_over_bare": round(c["requests_per_s"] / bare["requests_per_s"], 3),
        }
    failed = sum(r["failed"] for r in bares + consoles)
    lost = max(0, acked - events)
    print(
        json.dumps(
            {
                "concurrency": args.concurrency,
                "rounds": {"bare": bares, "console": consoles},
                "median": {"bare": bare, "console": console},
                "ratio_console_over_bare": round(ratio, 3),
                **({"without_store": without_store} if without_store else {}),
                "durability": {
                    "acknowledged": acked,
                    "events_stored": events,
                    "lost": lost,
                    "request_log_entries": stored,
                    "bridge_events_received": bridged["events"],
                },
                "targets": {
                    "ratio_at_least_0_5": ratio >= 0.5,
                    "p99_under_25ms": console["p99_ms"] < 25,
                    "zero_failed_or_lost": failed == 0 and lost == 0,
                },
                "environment": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "sqlite": sqlite3.sqlite_version,
                    "synchronous": synchronous,
                    "aiohttp": aiohttp.__version__,
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
