"""``sms-console --self-test``: prove an installation works, headless, in a throw-away data dir.

Steps (one line each, ``ok``/``FAIL``): migrate a fresh database, find a keyring backend, start the
services in demo mode (webhook server + built-in simulator), send one message through the real
twilio library, receive its signed callbacks until a final status, render the main window
offscreen. Exit status 0 only if every step worked. Nothing touches the user's own data dir, and
the self-test never goes live (demo mode is forced).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from console.settings import Settings

STEP_TIMEOUT = 30.0


class _Steps:
    """Runs and reports the steps; stops at the first failure."""

    def __init__(self) -> None:
        self.failed = False

    def run(self, name: str, step: Callable[[], str]) -> bool:
        if self.failed:
            print(f"skip {name}", flush=True)
            return False
        started = time.perf_counter()
        try:
            detail = step()
        except Exception as exc:  # a self-test reports every failure as a line, then exits 1
            self.failed = True
            print(f"FAIL {name}: {type(exc).__name__}: {exc}", flush=True)
            return False
        print(f"ok   {name}: {detail} ({time.perf_counter() - started:.2f} s)", flush=True)
        return True


def _keyring_step() -> str:
    """The keyring's backends are installed and discoverable (a bundle must collect them)."""
    from importlib.metadata import entry_points

    import keyring

    plugins = sorted(ep.name for ep in entry_points(group="keyring.backends"))
    if not plugins:
        raise RuntimeError(
            "keyring finds no backend plugins: the installation lacks keyring's entry points"
        )
    active = keyring.get_keyring()
    name = f"{type(active).__module__}.{type(active).__name__}"
    usable = "fail" not in type(active).__module__
    note = "" if usable else " (no usable keyring here now: use the TWILIO_* variables)"
    return f"backends {', '.join(plugins)}; active {name}{note}"


def run_self_test(settings: Settings) -> int:
    """Run every step; returns the exit status (0 only if all passed)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    steps = _Steps()
    with tempfile.TemporaryDirectory(prefix="sms-console-selftest-") as tmp:
        test_settings = replace(
            Settings(data_dir=Path(tmp)), demo=True, port=0, tunnel=False, notifications=False
        )
        ctx: dict[str, Any] = {}
        steps.run("database", lambda: _database(test_settings))
        steps.run("keyring", _keyring_step)
        steps.run("services", lambda: _start(test_settings, ctx))
        steps.run("send", lambda: _send(ctx))
        steps.run("callbacks", lambda: _callbacks(ctx))
        steps.run("window", lambda: _window(ctx, Path(tmp)))
        _stop(ctx)
    print("self-test passed" if not steps.failed else "self-test FAILED", flush=True)
    return 1 if steps.failed else 0


def _database(settings: Settings) -> str:
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, text

    from console.store.db import alembic_config, upgrade

    upgrade(settings.db_url)
    engine = create_engine(settings.db_url)
    with engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(settings.db_url)).get_current_head()
    if version != head:
        raise RuntimeError(f"database at {version}, expected {head}")
    return f"migrated to {version}"


def _start(settings: Settings, ctx: dict[str, Any]) -> str:
    from console.core import Core
    from console.runtime import Bridge, Runtime
    from console.ui.gc_guard import GuiGarbageCollector
    from console.ui.launch import application

    ctx["app"] = application()
    ctx["gc"] = GuiGarbageCollector()
    ctx["gc"].install()
    runtime = Runtime()
    runtime.start()
    ctx["runtime"] = runtime
    bridge = Bridge()
    ctx["bridge"] = bridge
    core = Core(settings, publish=bridge.publish, publish_state=bridge.publish_state)
    ctx["core"] = core
    runtime.submit(core.start()).result(timeout=STEP_TIMEOUT)
    return f"{core.state.mode} mode, webhook server {core.state.server_url}"


def _send(ctx: dict[str, Any]) -> str:
    core = ctx["core"]
    record = ctx["runtime"].submit(core.send("+14155550142", "self-test")).result(STEP_TIMEOUT)
    if not record.sid:
        raise RuntimeError(f"no SID: {record.send_state}")
    ctx["delivery"] = record
    return f"accepted as {record.sid}"


def _callbacks(ctx: dict[str, Any]) -> str:
    import asyncio

    core, record = ctx["core"], ctx["delivery"]

    async def final() -> Any:
        ready = asyncio.Event()
        assert core.writer is not None
        core.writer.subscribe(lambda _change: ready.set())
        async with asyncio.timeout(STEP_TIMEOUT):
            while (d := core.reader.delivery(record.id)) is None or d.final_at is None:
                ready.clear()
                await ready.wait()
        return d

    delivery = ctx["runtime"].submit(final()).result(STEP_TIMEOUT + 5)
    signed = [e for e in core.reader.events(record.id) if e.signature is not None]
    if not signed or any(e.signature.value != "valid" for e in signed):
        raise RuntimeError("callbacks were not received with valid signatures")
    return f"{len(signed)} signed callbacks, final status {delivery.status}"


def _window(ctx: dict[str, Any], tmp: Path) -> str:
    from console.ui.main_window import MainWindow

    window = MainWindow(ctx["core"], ctx["runtime"], ctx["bridge"])
    ctx["window"] = window
    window.resize(1200, 800)
    pixmap = window.grab()
    if pixmap.isNull() or pixmap.width() < 100:
        raise RuntimeError("the main window rendered an empty picture")
    path = tmp / "window.png"
    if not pixmap.save(str(path)):
        raise RuntimeError("the rendered window could not be saved")
    return f"rendered {pixmap.width()}x{pixmap.height()} offscreen"


def _stop(ctx: dict[str, Any]) -> None:
    window = ctx.get("window")
    if window is not None:
        window.close()
    runtime, core = ctx.get("runtime"), ctx.get("core")
    if runtime is not None:
        if core is not None:
            try:
                runtime.submit(core.stop()).result(timeout=STEP_TIMEOUT)
            except Exception as exc:  # report, but the steps already decided the outcome
                print(f"warn stopping the services: {exc}", file=sys.stderr, flush=True)
        runtime.stop()
    if ctx.get("gc") is not None:
        ctx["gc"].uninstall()
