"""Shared pieces for the operator panels' GUI tests: a demo console, an in-memory keyring, records.

``demo_console`` starts the real services in demo mode — a :class:`~console.core.Core` with the
built-in simulator behind it, on a :class:`~console.runtime.Runtime`, publishing through a
:class:`~console.runtime.Bridge` — and stops them afterwards, with an in-memory keyring from
:mod:`tests.fakes.keyrings` installed meanwhile, so the developer's keyring is never touched.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine, Generator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import keyring
import keyring.backend
import keyring.errors
import pytest

from console.domain.model import (
    DeliveryRecord,
    InboundRecord,
    SendState,
    Verdict,
    WebhookRequestRecord,
)
from console.runtime import Bridge, Runtime
from console.secrets import ENV_VARS
from console.settings import Settings
from console.simulator.config import AccountConfig
from tests.fakes.keyrings import MemoryKeyring, installed_keyring

if TYPE_CHECKING:
    from console.core import Core

T = TypeVar("T")
T0 = datetime(2026, 1, 2, 10, 0, tzinfo=UTC)
TIMEOUT_MS = 20_000


@dataclass
class DemoConsole:
    """The running services a panel is built on."""

    core: Core
    runtime: Runtime
    bridge: Bridge
    settings: Settings
    server: Any = None  # the SimulatorServer of a simulated live console

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
        """Run a coroutine on the runtime and return its result (test set-up only)."""
        return self.runtime.submit(coro).result(timeout=timeout)

    @property
    def simulator(self) -> Any:
        """The simulator playing Twilio (demo mode, or the simulated live account)."""
        server = self.server or self.core.simulator
        assert server is not None, "no simulator runs behind this console"
        return server.simulator


def clear_twilio_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove the TWILIO_*/NGROK_* overrides so the keyring alone decides."""
    for var in ENV_VARS.values():
        monkeypatch.delenv(var, raising=False)


def demo_settings(data_dir: Path, **changes: Any) -> Settings:
    """Settings for a demo console on a free port, no tunnel."""
    base = Settings(data_dir=data_dir, demo=True, port=0, tunnel=False)
    return replace(base, **changes)


@contextlib.contextmanager
def demo_console(settings: Settings) -> Iterator[DemoConsole]:
    """Start Core (demo mode), Runtime and Bridge; stop them after the block."""
    from console.core import Core  # imported late: the model tests need no services

    runtime = Runtime(name="test-runtime")
    runtime.start()
    bridge = Bridge(interval_ms=20)
    core = Core(settings, publish=bridge.publish, publish_state=bridge.publish_state)
    try:
        runtime.submit(core.start()).result(timeout=30)
        yield DemoConsole(core, runtime, bridge, settings)
    finally:
        with contextlib.suppress(Exception):
            runtime.submit(core.stop()).result(timeout=30)
        runtime.stop()
        bridge.deleteLater()


def running_demo(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: keyring.backend.KeyringBackend | None = None,
    settings: Settings | None = None,
) -> Generator[DemoConsole, None, None]:
    """A fixture body: a keyring (in-memory unless given) and a demo console for one test."""
    clear_twilio_env(monkeypatch)
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    with (
        installed_keyring(backend or MemoryKeyring()),
        demo_console(settings or demo_settings(data)) as console,
    ):
        yield console


@contextlib.contextmanager
def simulated_live_console(
    data_dir: Path, account: AccountConfig, backend: MemoryKeyring, **changes: Any
) -> Iterator[DemoConsole]:
    """A live-mode Core whose Twilio is a simulator serving ``account`` (e.g. a trial one).

    The account's credentials are put in ``backend`` (the keyring in use) first, as the
    settings dialog would; the core reads them from there like in production.
    """
    from console.core import Core
    from console.secrets import Credentials, SecretStore
    from console.simulator.core import Simulator
    from console.simulator.scenario import Scenario
    from console.simulator.server import SimulatorServer

    runtime = Runtime(name="test-runtime")
    runtime.start()
    bridge = Bridge(interval_ms=20)
    server = SimulatorServer(Simulator(account, Scenario(verification_delay=None)))
    core: Core | None = None
    try:
        base = runtime.submit(server.start()).result(timeout=10)
        creds = Credentials(
            account_sid=account.sid,
            auth_token=account.auth_token,
            from_number=account.numbers[0].phone_number,
        )
        with installed_keyring(backend):
            runtime.submit(SecretStore().save("default", creds)).result(timeout=10)
            settings = replace(
                Settings(data_dir=data_dir, port=0, tunnel=False, api_base_url=base), **changes
            )
            core = Core(settings, publish=bridge.publish, publish_state=bridge.publish_state)
            runtime.submit(core.start()).result(timeout=30)
            console = DemoConsole(core, runtime, bridge, settings)
            console.server = server
            yield console
    finally:
        if core is not None:
            with contextlib.suppress(Exception):
                runtime.submit(core.stop()).result(timeout=30)
        with contextlib.suppress(Exception):
            runtime.submit(server.stop()).result(timeout=30)
        runtime.stop()
        bridge.deleteLater()


def wait_for(qtbot: Any, condition: Callable[[], bool], timeout: int = TIMEOUT_MS) -> None:
    """``qtbot.waitUntil`` for a boolean condition."""
    qtbot.waitUntil(condition, timeout=timeout)


# -- records for model tests -------------------------------------------------------------------
def request_record(
    rid: int,
    *,
    status: int = 200,
    verdict: Verdict | None = Verdict.VALID,
    diagnosis: str | None = None,
    path: str = "/webhooks/twilio/status",
    body: str = "MessageSid=SM1&MessageStatus=delivered",
) -> WebhookRequestRecord:
    """A webhook request as the store returns it."""
    return WebhookRequestRecord(
        id=rid,
        method="POST",
        path=path,
        query="",
        headers=(("Content-Type", "application/x-www-form-urlencoded"),),
        body=body,
        remote="127.0.0.1",
        status_code=status,
        verdict=verdict,
        diagnosis=diagnosis,
        checked_url="https://example.test" + path,
        response_body="",
        duration_ms=1.5,
        received_at=T0 + timedelta(seconds=rid),
    )


def inbound_record(iid: int, from_: str, body: str = "hello") -> InboundRecord:
    """An inbound message as the store returns it."""
    return InboundRecord(
        id=iid,
        message_sid=f"SM{iid:032x}",
        from_=from_,
        to="+15005550006",
        body=body,
        account_sid=None,
        messaging_service_sid=None,
        num_media=0,
        media_urls=(),
        opt_out_type=None,
        received_at=T0 + timedelta(minutes=iid),
    )


def delivery_record(did: int, to: str, status: str = "queued", **changes: Any) -> DeliveryRecord:
    """A delivery as the store returns it."""
    rec = DeliveryRecord(
        id=did,
        sid=None,
        to=to,
        from_="+15005550006",
        messaging_service_sid=None,
        body=f"message {did}",
        profile="default",
        account_sid=None,
        segments=1,
        encoding="GSM-7",
        status=status,
        status_rank=0,
        send_state=SendState.ACCEPTED,
        error_code=None,
        error_message=None,
        price=None,
        price_unit=None,
        batch_id=None,
        created_at=T0 + timedelta(minutes=did, seconds=30),
        updated_at=T0 + timedelta(minutes=did, seconds=30),
        final_at=None,
    )
    return replace(rec, **changes)


def unnamed_controls(root: Any) -> list[str]:
    """Focusable controls under ``root`` without an accessible name (Qt's inner parts excepted).

    The line edit inside a spin box or an editable combo box, a tab widget's tab bar,
    scroll bars, and the popups of combo boxes and completers (separate windows) belong to a
    named control and are reached through it.
    """
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import (
        QAbstractSpinBox,
        QComboBox,
        QScrollBar,
        QTabBar,
        QTabWidget,
        QWidget,
    )

    missing: list[str] = []
    for w in root.findChildren(QWidget):
        if not w.focusPolicy() & Qt.FocusPolicy.TabFocus or isinstance(w, QScrollBar):
            continue
        if w.window() is not root.window():
            continue
        parent = w.parentWidget()
        if isinstance(parent, QAbstractSpinBox | QComboBox) or (
            isinstance(w, QTabBar) and isinstance(parent, QTabWidget)
        ):
            continue
        if not w.accessibleName():
            missing.append(f"{type(w).__name__} {getattr(w, 'text', str)()!r}")
    return missing
