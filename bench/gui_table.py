"""Benchmark: the deliveries table over a million rows, and the GUI thread under a callback storm.

    QT_QPA_PLATFORM=offscreen python bench/gui_table.py [--rows 1000000] [--rate 2000]
                                                        [--seconds 10] [--db PATH]

1. Seeds a temporary SQLite database (the real schema, migrations included) with ``--rows``
   deliveries using plain ``executemany`` (indexes dropped during the load and rebuilt).
2. Opens the real :class:`~console.ui.deliveries.DeliveriesPanel` offscreen and times the first
   paint with rows, sorts by several columns, filters (status and free text) and a jump to the
   last row — each until the table has painted the new rows.
3. Streams ``--rate`` status callbacks per second for ``--seconds`` through the real
   :class:`~console.store.writer.Writer` on a :class:`~console.runtime.Runtime` thread
   (``writer.subscribe(bridge.publish)``; 10 % of the writes are new messages that appear at the
   top), while a 5 ms QTimer heartbeat on the GUI thread measures its own lateness.

Prints one JSON object. Targets: first paint ≤ 1 s, sort/filter ≤ 300 ms, stall ≤ 50 ms,
peak memory ≤ 400 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QApplication

from console.domain.model import EventIn, EventSource, NewDelivery, Verdict
from console.runtime import Bridge, Runtime
from console.store.db import sqlite_url, upgrade
from console.store.queries import DeliveryFilter, Reader
from console.store.writer import Writer
from console.ui.deliveries import DeliveriesPanel
from console.ui.launch import settle_heap
from console.ui.models.delivery_columns import Column

MIX = (
    ("delivered", 80, None, 84),
    ("undelivered", 70, 30003, 5),
    ("failed", 65, 30007, 3),
    ("sent", 40, None, 5),
    ("queued", 20, None, 3),
)


def seed(path: Path, rows: int) -> float:
    """Fill ``path`` with ``rows`` deliveries; returns seconds taken."""
    started = time.perf_counter()
    upgrade(sqlite_url(path))
    con = sqlite3.connect(path)
    indexes = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='deliveries' "
        "AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in indexes:
        con.execute(f"DROP INDEX {name}")
    rng = random.Random(1)
    weights = [w for *_, w in MIX]
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30)
    step = timedelta(days=30) / rows

    def batch() -> Any:
        for i in range(rows):
            status, rank, code, _ = rng.choices(MIX, weights)[0]
            ts = start + step * i
            yield (
                f"SM{i:032x}",
                f"+1415{rng.randrange(10**7):07d}",
                "+14155550100",
                f"Order {i} is on its way",
                "default",
                1,
                "GSM-7",
                status,
                rank,
                "accepted",
                code,
                ts,
                ts,
                ts if rank >= 65 else None,
            )

    con.executemany(
        "INSERT INTO deliveries (sid, to_number, from_number, body, profile, segments, "
        "encoding, status, status_rank, send_state, error_code, created_at, updated_at, "
        "final_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        batch(),
    )
    for _, sql in indexes:
        con.execute(sql)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return time.perf_counter() - started


class PaintProbe(QObject):
    """Notes when the table's viewport paints."""

    def __init__(self) -> None:
        super().__init__()
        self.painted = 0
        self.last = 0.0  # perf_counter() of the latest paint

    def eventFilter(self, watched: QObject, event: Any) -> bool:
        if isinstance(event, QPaintEvent):
            self.painted += 1
            self.last = time.perf_counter()
        return False


class Heartbeat:
    """A 5 ms timer on the GUI thread that records how late each tick is (its own stalls)."""

    def __init__(self, interval_ms: int = 5) -> None:
        self.interval = interval_ms
        self.ticks: list[tuple[float, float]] = []  # (time, lateness ms)
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._beat)
        self._last = time.perf_counter()

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def _beat(self) -> None:
        now = time.perf_counter()
        self.ticks.append((now, max(0.0, (now - self._last) * 1000 - self.interval)))
        self._last = now

    def lateness(self, since: float = 0.0) -> list[float]:
        return [late for at, late in self.ticks if at >= since] or [0.0]


def wait_until(app: QApplication, condition: Any, timeout: float = 60.0) -> None:
    """Run the event loop until ``condition()`` holds."""
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout
    timer = QTimer()
    timer.setInterval(1)

    def check() -> None:
        if condition() or time.perf_counter() > deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    if not condition():
        raise TimeoutError("the table did not get there in time")


def timed(app: QApplication, panel: DeliveriesPanel, probe: PaintProbe, action: Any) -> float:
    """Milliseconds from ``action()`` until the reloaded table has painted."""
    reloaded: list[float] = []
    panel.model.reloaded.connect(lambda: reloaded.append(time.perf_counter()))
    start = time.perf_counter()
    action()
    wait_until(app, lambda: bool(reloaded))
    panel.table.viewport().repaint()  # paint the new rows now (reads any page it needs)
    done = time.perf_counter()
    panel.model.reloaded.disconnect()
    panel.model.reloaded.connect(panel._after_reload)
    return round((done - start) * 1000, 1)


async def stream(writer: Writer, sids: list[str], rate: int, seconds: float) -> dict[str, Any]:
    """Callbacks (and 10 % new messages) at ``rate`` per second through the writer.

    Like webhook handlers, each write is awaited by its own small task and then forgotten, so
    the benchmark does not pile up results the app would not keep.
    """
    statuses = ("sending", "sent", "delivered", "undelivered")
    per_tick = max(1, int(rate * 0.01))
    in_flight: set[asyncio.Task[Any]] = set()
    failures: list[BaseException] = []

    async def one(write: Any) -> None:
        try:
            await write
        except Exception as exc:  # counted and reported, like a webhook answered 5xx
            failures.append(exc)

    def launch(write: Any) -> None:
        task = asyncio.ensure_future(one(write))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)

    loop = asyncio.get_running_loop()
    start = loop.time()
    sent = n = 0
    while loop.time() - start < seconds:
        for _ in range(per_tick):
            if n % 10 == 9:
                launch(writer.add_delivery(NewDelivery(to="+14155550123", body="new")))
            else:
                status = statuses[n % len(statuses)]
                launch(
                    writer.record_event(
                        EventIn(
                            source=EventSource.CALLBACK,
                            status=status,
                            message_sid=sids[(n // len(statuses)) % len(sids)],
                            error_code=30003 if status == "undelivered" else None,
                            signature=Verdict.VALID,
                            payload=json.dumps({"MessageStatus": status}),
                        )
                    )
                )
            n += 1
        sent += per_tick
        await asyncio.sleep(max(0.0, start + sent / rate - loop.time()))
    offered = loop.time() - start
    while in_flight:
        await asyncio.gather(*list(in_flight))
    drained = loop.time() - start
    return {
        "writes": sent,
        "failed_writes": len(failures),
        "offered_per_s": round(sent / offered),
        "committed_per_s": round(sent / drained),
        "commits": writer.commits,
        "drain_s": round(drained - offered, 2),
    }


def run(args: argparse.Namespace, db: Path) -> dict[str, Any]:
    """The whole benchmark against the seeded database ``db``."""
    url = sqlite_url(db)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    reader = Reader(url)
    bridge = Bridge()
    probe = PaintProbe()
    out: dict[str, Any] = {}

    start = time.perf_counter()
    panel = DeliveriesPanel(reader, bridge)
    panel.table.viewport().installEventFilter(probe)
    panel.resize(1280, 800)
    panel.show()
    loaded: list[float] = []
    panel.model.reloaded.connect(lambda: loaded.append(time.perf_counter()))
    wait_until(app, lambda: bool(loaded) and probe.last > loaded[0])
    painted = time.perf_counter()  # the paint with rows has run (the loop returned after it)
    out["first_paint_ms"] = round((painted - start) * 1000, 1)
    out["rows"] = panel.model.count

    table = panel.table
    heartbeat = Heartbeat()
    heartbeat.start()
    out["sort_ms"] = {
        "status": timed(
            app,
            panel,
            probe,
            lambda: table.sortByColumn(Column.STATUS, Qt.SortOrder.DescendingOrder),
        ),
        "to": timed(
            app, panel, probe, lambda: table.sortByColumn(Column.TO, Qt.SortOrder.AscendingOrder)
        ),
        "error": timed(
            app,
            panel,
            probe,
            lambda: table.sortByColumn(Column.ERROR, Qt.SortOrder.DescendingOrder),
        ),
        "segments": timed(
            app,
            panel,
            probe,
            lambda: table.sortByColumn(Column.SEGMENTS, Qt.SortOrder.AscendingOrder),
        ),
        "created_newest_first": timed(
            app,
            panel,
            probe,
            lambda: table.sortByColumn(Column.CREATED, Qt.SortOrder.DescendingOrder),
        ),
    }
    text_started: list[float] = []

    def search_number() -> None:
        text_started.append(time.perf_counter())
        panel.model.set_filter(DeliveryFilter(text="4155551"))

    out["filter_ms"] = {
        "status_failed": timed(
            app,
            panel,
            probe,
            lambda: panel.model.set_filter(
                DeliveryFilter(statuses=frozenset({"failed", "undelivered"}))
            ),
        ),
        "text_number": timed(app, panel, probe, search_number),
        "last_24h": timed(
            app,
            panel,
            probe,
            lambda: panel.model.set_filter(
                DeliveryFilter(since=datetime.now(UTC) - timedelta(days=1))
            ),
        ),
        "cleared": timed(app, panel, probe, lambda: panel.model.set_filter(DeliveryFilter())),
    }
    during_text = [late for at, late in heartbeat.ticks if at >= text_started[0]]
    out["gui_max_stall_during_text_filter_ms"] = round(max(during_text[:200] or [0.0]), 1)
    heartbeat.timer.stop()
    jump = time.perf_counter()
    table.scrollToBottom()
    table.viewport().repaint()
    out["jump_to_last_row_ms"] = round((time.perf_counter() - jump) * 1000, 1)
    table.scrollToTop()

    runtime = Runtime(name="bench-runtime")
    runtime.start()

    async def start_writer() -> Writer:
        w = Writer(url)
        await w.start()
        w.subscribe(bridge.publish)
        return w

    writer = runtime.submit(start_writer()).result(timeout=30)
    settle_heap()  # as the app does once its window shows
    newest = reader.deliveries(limit=6000)
    sids = [d.sid for d in newest if d.sid]
    resets: list[int] = []
    inserted: list[int] = []
    changed: list[int] = []
    panel.model.modelReset.connect(lambda: resets.append(1))
    panel.model.rowsInserted.connect(lambda _p, a, b: inserted.append(b - a + 1))
    panel.model.dataChanged.connect(lambda *_a: changed.append(1))

    heartbeat = Heartbeat()  # a fresh one: only the stream's ticks
    future = runtime.submit(stream(writer, sids, args.rate, args.seconds))
    heartbeat.start()
    wait_until(app, future.done, timeout=args.seconds * 20)
    settle = time.perf_counter() + 0.5  # let the bridge deliver the last batch
    wait_until(app, lambda: time.perf_counter() > settle)
    lateness = heartbeat.lateness()
    heartbeat.timer.stop()
    out["stream"] = future.result()
    out["stream"].update(
        {
            "gui_max_stall_ms": round(max(lateness), 1),
            "gui_p99_stall_ms": round(statistics.quantiles(lateness, n=100)[98], 1),
            "heartbeats": len(lateness),
            "model_resets": len(resets),
            "rows_inserted": sum(inserted),
            "insert_batches": len(inserted),
            "data_changed_signals": len(changed),
            "bridge_emissions": bridge.emissions,
        }
    )
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    runtime.submit(writer.close()).result(timeout=60)
    runtime.stop()
    panel.shutdown()
    reader.close()
    return out


def main() -> int:
    """Seed (unless --db names an existing database), measure, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rate", type=int, default=2000, help="callbacks per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gui-bench-") as tmp:
        db = args.db or Path(tmp) / "bench.db"
        seconds = 0.0 if db.exists() else seed(db, args.rows)
        result = {"seed_s": round(seconds, 1), **run(args, db)}
        result["targets"] = {
            "first_paint_ms": 1000,
            "sort_filter_ms": 300,
            "gui_max_stall_ms": 50,
            "peak_rss_mb": 400,
        }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
