"""Render the operator panels (compose, bulk, inbox, inspector, settings, trial) offscreen.

    QT_QPA_PLATFORM=offscreen python scripts/screenshots_panels.py [--out docs/screenshots]

Starts the real console in demo mode (Core + the built-in simulator on a Runtime) in a temporary
data directory, with a keyring that stores nothing (the developer's keyring is never touched),
produces some traffic (messages, inbound replies, a STOP, a forged webhook), and saves each
panel in the light theme as ``<panel>.png`` and in the dark theme as ``<panel>-dark.png``. The
trial panel runs against a second, simulated *trial* account whose credentials are given the
headless way, through the ``TWILIO_*`` environment variables of this process.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import keyring
from keyring.backends import null
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from console.core import Core  # noqa: E402  # after the path setup above
from console.runtime import Bridge, Runtime  # noqa: E402
from console.secrets import ENV_VARS  # noqa: E402
from console.settings import Settings  # noqa: E402
from console.simulator.config import DEMO_ACCOUNT, DEMO_NUMBER_1  # noqa: E402
from console.simulator.core import Simulator  # noqa: E402
from console.simulator.scenario import Scenario  # noqa: E402
from console.simulator.server import SimulatorServer  # noqa: E402
from console.ui.bulk import BulkSendDialog  # noqa: E402
from console.ui.compose import ComposePanel  # noqa: E402
from console.ui.inbox import InboxPanel  # noqa: E402
from console.ui.inspector import InspectorPanel  # noqa: E402
from console.ui.settings_dialog import SettingsDialog  # noqa: E402
from console.ui.theme import apply_theme  # noqa: E402
from console.ui.trial_panel import TrialPanel  # noqa: E402

T = TypeVar("T")
TRIAL = replace(
    DEMO_ACCOUNT,
    sid="AC" + "5" * 32,
    auth_token="5" * 32,
    friendly_name="Acme support (trial)",
    type="Trial",
    verified_numbers=("+14155550150", "+14155550151"),
)
BULK_INPUT = (
    "phone,name,order\n"
    "+14155550123,Ada,1042\n"
    "+14155550124,Grace,1043\n"
    "415 555 0125,Linus,1044\n"
    "+1415555,Ken,1045\n"
    "+14155550188,Barbara,1046\n"
)


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Run the Qt event loop until ``condition()`` holds (checked every 50 ms) or time runs out."""
    if condition():
        return True
    loop = QEventLoop()
    deadline = time.monotonic() + timeout
    timer = QTimer()
    timer.setInterval(50)

    def check() -> None:
        if condition() or time.monotonic() > deadline:
            loop.quit()

    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    return condition()


class Session:
    """A Runtime and a Bridge, and the Core started on them."""

    def __init__(self) -> None:
        self.runtime = Runtime(name="shots-runtime")
        self.runtime.start()
        self.bridge = Bridge(interval_ms=50)
        self._core: Core | None = None

    @property
    def core(self) -> Core:
        """The started core."""
        assert self._core is not None, "start() first"
        return self._core

    def start(self, settings: Settings) -> None:
        """Build and start the core."""
        self._core = Core(
            settings, publish=self.bridge.publish, publish_state=self.bridge.publish_state
        )
        self.run(self._core.start())

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run a coroutine on the runtime and wait for its result."""
        return self.runtime.submit(coro).result(timeout=timeout)

    def close(self) -> None:
        """Stop the core and the runtime."""
        if self._core is not None:
            self.run(self._core.stop())
        self.runtime.stop()


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block (the TWILIO_* headless credentials)."""
    saved = {k: os.environ.get(k) for k in ENV_VARS.values()}
    for k in ENV_VARS.values():
        os.environ.pop(k, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


async def post_forged(url: str, signature: str | None) -> None:
    """A status callback Twilio did not sign, for the inspector."""
    form = {"MessageSid": "SM" + "e" * 32, "MessageStatus": "delivered", "To": "+14155550123"}
    headers = {"X-Twilio-Signature": signature} if signature else {}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url + "/webhooks/twilio/status", data=form, headers=headers) as response,
    ):
        await response.read()


def produce_traffic(s: Session) -> None:
    """Messages, replies, a STOP and forged webhooks, so that every panel has something."""
    sim_server = s.core.simulator
    assert sim_server is not None
    for to, body in (
        ("+14155550123", "Your order #1042 has shipped and arrives Thursday."),
        ("+14155550177", "Hi Sam, your appointment is confirmed for 10:30 tomorrow."),
        ("+14155550188", "Reminder: your table for two is booked for 19:00."),
    ):
        s.run(s.core.send(to, body))
    for sender, body in (
        ("+14155550177", "Great, thanks! Can I bring my daughter too?"),
        ("+14155550123", "Where can I track the parcel?"),
        ("+14155550188", "STOP"),
    ):
        s.run(sim_server.inject_inbound(sender, DEMO_NUMBER_1, body))
    s.run(s.core.reply("+14155550177", "Of course, see you both tomorrow."))
    url = s.core.state.server_url
    assert url is not None
    s.run(post_forged(url, "bm90IGEgcmVhbCBzaWduYXR1cmU="))
    s.run(post_forged(url, None))
    try:
        s.run(sim_server.simulator.wait_idle(within=25))  # replies and callbacks have landed
    except TimeoutError:
        print("the simulator is still busy; shooting anyway", file=sys.stderr)


def save(widget: QWidget, path: Path) -> None:
    """Render ``widget`` offscreen into ``path``."""
    widget.grab().save(str(path))
    print(f"saved {path}")


def shoot_demo(app: QApplication, s: Session, theme: str, out: Path) -> None:
    """The demo-account panels in one theme."""
    suffix = "" if theme == "light" else "-dark"
    apply_theme(app, theme)
    args = (s.core, s.runtime, s.bridge)

    compose = ComposePanel(*args)
    compose.resize(760, 460)
    compose.show()
    wait_until(lambda: compose.from_combo.count() > 1)
    compose.to_edit.setText("+1 415 555 0123")
    compose.from_combo.setCurrentIndex(1)
    compose.body_edit.setPlainText("Hi Ada, your parcel’s on its way — track it in the app.")
    save(compose, out / f"compose{suffix}.png")

    bulk = BulkSendDialog(*args)
    bulk.resize(960, 640)
    bulk.show()
    bulk.set_input(BULK_INPUT, "Hi {name}, order #{order} has shipped. Reply STOP to opt out.")
    wait_until(lambda: bulk.check_busy.isHidden())
    bulk.send()  # shown mid-job: progress, ETA and each row's outcome
    wait_until(lambda: bulk.progress is not None and bulk.progress.done >= 1)
    save(bulk, out / f"bulk{suffix}.png")
    bulk.cancel()
    wait_until(lambda: bulk.progress is not None and bulk.progress.state.value == "canceled")

    inbox = InboxPanel(*args)
    inbox.resize(980, 560)
    inbox.show()
    inbox.select_number("+14155550177")
    save(inbox, out / f"inbox{suffix}.png")

    inspector = InspectorPanel(*args)
    inspector.resize(1000, 640)
    inspector.show()
    rows = [inspector.model.record(r) for r in range(inspector.model.rowCount())]
    forged = next((r for r in rows if r.status_code == 403), None)
    if forged is not None:
        inspector.select_request(forged.id)
    save(inspector, out / f"inspector{suffix}.png")

    dialog = SettingsDialog(*args)
    dialog.show()
    wait_until(lambda: not dialog.working)
    save(dialog, out / f"settings{suffix}.png")
    for w in (compose, bulk, inbox, inspector, dialog):
        w.close()
        w.deleteLater()


def shoot_trial(app: QApplication, s: Session, theme: str, number: str, out: Path) -> None:
    """The trial panel in one theme, showing a verification code."""
    apply_theme(app, theme)
    panel = TrialPanel(s.core, s.runtime, s.bridge)
    panel.resize(720, 640)
    panel.show()
    wait_until(lambda: panel.trial is not None and not panel.working)
    panel.number_edit.setText(number)
    panel.name_edit.setText("Front desk")
    panel.verify()
    wait_until(lambda: panel.verification is not None)
    save(panel, out / f"trial{'' if theme == 'light' else '-dark'}.png")
    panel.close()
    panel.deleteLater()


def main() -> int:
    """Start the demo and the trial consoles, shoot every panel in both themes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    keyring.set_keyring(null.Keyring())  # type: ignore[no-untyped-call]  # untyped in keyring
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory(prefix="sms-console-panels-") as tmp, environment({}):
        demo = Session()
        try:
            demo.start(Settings(data_dir=Path(tmp) / "demo", demo=True, port=0, tunnel=False))
            produce_traffic(demo)
            for theme in ("light", "dark"):
                shoot_demo(app, demo, theme, args.out)
        finally:
            demo.close()

        trial = Session()
        server = SimulatorServer(Simulator(TRIAL, Scenario(verification_delay=None)))
        creds = {
            "TWILIO_ACCOUNT_SID": TRIAL.sid,
            "TWILIO_AUTH_TOKEN": TRIAL.auth_token,
            "TWILIO_FROM_NUMBER": TRIAL.numbers[0].phone_number,
        }
        try:
            base = trial.run(server.start())
            with environment(creds):
                trial.start(
                    Settings(data_dir=Path(tmp) / "trial", port=0, tunnel=False, api_base_url=base)
                )
            trial.run(trial.core.account_summary(refresh=True))
            shoot_trial(app, trial, "light", "+1 415 555 0160", args.out)
            shoot_trial(app, trial, "dark", "+1 415 555 0161", args.out)
        finally:
            trial.run(server.stop())
            trial.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
