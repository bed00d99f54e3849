"""Desktop notifications when messages fail (QSystemTrayIcon.showMessage).

A message that turns failed, undelivered or rejected produces one notification per bridge batch
("3 messages failed"), at most once per delivery, and only for failures that just happened (a
restart that re-reads old failures stays quiet). Turned off by ``settings.notifications``; a
no-op where there is no system tray. :attr:`FailureNotifier.notified` carries what was (or
would have been) shown.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QSystemTrayIcon

from console.domain.model import DeliveryRecord
from console.ui.models.delivery_columns import display_number, error_text
from console.ui.widgets.status_style import is_failure

log = logging.getLogger(__name__)

RECENT = timedelta(minutes=2)
_REMEMBER = 5000


def failure_message(failed: list[DeliveryRecord]) -> tuple[str, str]:
    """Title and text of a notification about ``failed`` (non-empty)."""
    first = failed[0]
    reason = error_text(first.error_code) or first.status
    if len(failed) == 1:
        return "Message failed", f"To {display_number(first.to)}: {reason}"
    return (
        f"{len(failed)} messages failed",
        f"Latest to {display_number(first.to)}: {reason}",
    )


class FailureNotifier(QObject):
    """Turns new failures from ``bridge.deliveriesChanged`` into desktop notifications."""

    notified = Signal(str, str)  # title, text
    activated = Signal(int)  # the operator clicked the notification: the latest failure's id

    def __init__(
        self, tray: QSystemTrayIcon | None, enabled: bool, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._tray = tray
        self.enabled = enabled
        self._seen: deque[int] = deque(maxlen=_REMEMBER)
        self._seen_set: set[int] = set()
        self._last_id: int | None = None
        if tray is not None:
            tray.messageClicked.connect(self._clicked)

    def set_enabled(self, enabled: bool) -> None:
        """Turn notifications on or off (``settings.notifications``)."""
        self.enabled = enabled

    @Slot(object)
    def on_deliveries_changed(self, records: Iterable[DeliveryRecord]) -> None:
        """Notify about deliveries that just failed."""
        now = datetime.now(UTC)
        failed = [
            r
            for r in records
            if is_failure(r.status)
            and r.id not in self._seen_set
            and (r.final_at or r.updated_at) >= now - RECENT
        ]
        for rec in failed:
            self._remember(rec.id)
        if not failed or not self.enabled:
            return
        failed.sort(key=lambda r: r.updated_at, reverse=True)
        title, text = failure_message(failed)
        self._last_id = failed[0].id
        if self._tray is not None and self._tray.isVisible():
            self._tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Warning, 8000)
        log.debug("notification: %s — %s", title, text)
        self.notified.emit(title, text)

    def _remember(self, delivery_id: int) -> None:
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(delivery_id)
        self._seen_set.add(delivery_id)

    @Slot()
    def _clicked(self) -> None:
        if self._last_id is not None:
            self.activated.emit(self._last_id)
