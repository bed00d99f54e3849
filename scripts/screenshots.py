"""Render the documentation screenshots from a seeded demo database.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots.py [--out docs/screenshots]

Seeds a temporary data directory with a day of realistic history (deliveries with their API
and callback events, written with plain SQL so they can be back-dated), starts the real console
in demo mode (Core + the built-in simulator), sends a few messages live, selects a failure, and
saves ``main-light.png``, ``main-dark.png``, ``timeline.png`` and ``stats.png`` (plus dark
variants of the panels, ``timeline-dark.png`` and ``stats-dark.png``, for review).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from console.settings import Settings  # noqa: E402  # after the path setup above
from console.store.db import sqlite_url, upgrade  # noqa: E402
from console.ui.launch import GuiApp, application  # noqa: E402
from console.ui.main_window import MainWindow  # noqa: E402
from console.ui.theme import apply_theme  # noqa: E402

OUTCOMES = (
    ("delivered", None, 80),
    ("undelivered", 30003, 5),
    ("undelivered", 30007, 4),
    ("undelivered", 30006, 2),
    ("failed", 30008, 2),
    ("failed", 21610, 1),
    ("sent", None, 4),
    ("queued", None, 2),
)
RANKS = {"queued": 20, "sent": 40, "failed": 65, "undelivered": 70, "delivered": 80}
BODIES = (
    "Your appointment is confirmed for tomorrow at 10:30.",
    "Your order #{n} has shipped and arrives Thursday.",
    "Your verification code is {n}.",
    "Reminder: your table for two is booked for 19:00.",
    "Thanks for your feedback! Reply STOP to opt out.",
)


def seed_history(db: Path, count: int = 420, seed: int = 7) -> None:
    """Back-dated deliveries over the last 24 hours, each with its API and callback events."""
    upgrade(sqlite_url(db))
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    con = sqlite3.connect(db)
    weights = [w for *_, w in OUTCOMES]
    for i in range(count):
        status, code, _ = rng.choices(OUTCOMES, weights)[0]
        created = now - timedelta(seconds=rng.uniform(600, 86_000) * (1 - rng.random() ** 3))
        sid = "SM" + hashlib.md5(f"hist{i}".encode()).hexdigest()
        to = f"+1415555{rng.randrange(10_000):04d}"
        body = rng.choice(BODIES).format(n=rng.randrange(1000, 9999))
        final = created + timedelta(seconds=rng.uniform(1, 6))
        cur = con.execute(
            "INSERT INTO deliveries (sid, to_number, from_number, body, profile, account_sid, "
            "segments, encoding, status, status_rank, send_state, error_code, error_message, "
            "price, price_unit, created_at, updated_at, final_at) "
            "VALUES (?, ?, '+14155550100', ?, 'default', 'ACdemo', 1, 'GSM-7', ?, ?, "
            "'accepted', ?, NULL, ?, 'USD', ?, ?, ?)",
            (
                sid,
                to,
                body,
                status,
                RANKS[status],
                code,
                "-0.00790" if status != "queued" else None,
                created,
                final,
                final if RANKS[status] >= 65 else None,
            ),
        )
        delivery_id = cur.lastrowid
        steps: list[tuple[str, str, int | None, datetime]] = [("api", "queued", None, created)]
        if status != "queued":
            steps.append(("callback", "sent", None, created + timedelta(seconds=0.8)))
        if RANKS[status] >= 65:
            steps.append(("callback", status, code, final))
        for source, st, err, at in steps:
            payload = (
                {"sid": sid, "status": st, "to": to}
                if source == "api"
                else {
                    "MessageSid": sid,
                    "MessageStatus": st,
                    "To": to,
                    "ErrorCode": str(err or ""),
                    "AccountSid": "ACdemo",
                    "ApiVersion": "2010-04-01",
                }
            )
            con.execute(
                "INSERT INTO delivery_events (delivery_id, message_sid, source, status, applied, "
                "error_code, error_message, payload, signature, dedup_key, received_at) "
                "VALUES (?, ?, ?, ?, 1, ?, NULL, ?, ?, ?, ?)",
                (
                    delivery_id,
                    sid,
                    source,
                    st,
                    err,
                    json.dumps(payload),
                    "valid" if source == "callback" else None,
                    hashlib.sha256(f"{sid}|{source}|{st}".encode()).hexdigest(),
                    at,
                ),
            )
    con.commit()
    con.close()


def save(widget: QWidget, path: Path) -> None:
    """Render ``widget`` offscreen into ``path``."""
    widget.grab().save(str(path))
    print(f"saved {path}")


class Shooter:
    """Drives the running window through the scenes and saves the screenshots."""

    def __init__(self, app: QApplication, session: GuiApp, out: Path) -> None:
        self.app, self.session, self.out = app, session, out
        self.window: MainWindow | None = None

    def started(self, window: MainWindow) -> None:
        self.window = window
        core = self.session.core
        assert core is not None
        numbers = ("+14155550123", "+14155550188", "+447911123456", "+14155550177")
        for i, to in enumerate(numbers):
            body = f"Hi! Your pickup code is {4200 + i}."
            self.session.bridge.call(self.session.runtime, core.send(to, body))
        QTimer.singleShot(9000, self.shoot)

    def shoot(self) -> None:
        window = self.window
        assert window is not None
        window.deliveries.table.setFocus()
        window.deliveries.next_failure()
        window.docks["stats"].raise_()
        QTimer.singleShot(1500, self.shoot_light)

    def shoot_light(self) -> None:
        window = self.window
        assert window is not None
        save(window, self.out / "main-light.png")
        save(window.timeline, self.out / "timeline.png")
        window.stats.resize(760, 620)
        save(window.stats, self.out / "stats.png")
        apply_theme(self.app, "dark")
        QTimer.singleShot(800, self.shoot_dark)

    def shoot_dark(self) -> None:
        window = self.window
        assert window is not None
        save(window, self.out / "main-dark.png")
        save(window.timeline, self.out / "timeline-dark.png")
        save(window.stats, self.out / "stats-dark.png")
        self.app.quit()


def main() -> int:
    """Seed, run, shoot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sms-console-shots-") as tmp:
        data = Path(tmp)
        seed_history(data / "console.db")
        settings = Settings(data_dir=data, demo=True, port=0, theme="light", notifications=False)
        app = application()
        session = GuiApp(settings, app)
        shooter = Shooter(app, session, args.out)
        session.started.connect(shooter.started)
        session.failed.connect(lambda text: (print(text, file=sys.stderr), app.exit(1)))
        session.start()
        code = app.exec()
        session.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
