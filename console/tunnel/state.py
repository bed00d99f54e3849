"""The state of the public URL (ngrok tunnel, fixed URL or none) as plain, frozen values.

Every provider in ``console.tunnel`` describes itself with a :class:`TunnelState`; the GUI, the
health endpoint and the doctor show it, and the sender reads ``public_url`` from the newest one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

logger = logging.getLogger(__name__)

TunnelKind = Literal["ngrok", "fixed", "local"]


class TunnelPhase(StrEnum):
    """Where a public-URL provider is in its life."""

    STARTING = "starting"
    ONLINE = "online"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    STOPPED = "stopped"
    LOCAL_ONLY = "local_only"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TunnelState:
    """One observation of a provider: phase, the public base URL (if any) and why.

    ``public_url`` is a base URL without trailing slash (``https://host``) and is set only while
    the provider can receive callbacks (phase ``ONLINE``). ``detail`` is human text that says what
    happened and, for failures, what to do. ``error_code`` carries ngrok's code
    (``ERR_NGROK_4018``) when there is one.
    """

    kind: TunnelKind
    phase: TunnelPhase
    public_url: str | None = None
    detail: str = ""
    error_code: str | None = None
    since: datetime = field(default_factory=_utc_now)

    @property
    def is_online(self) -> bool:
        """True when Twilio can reach the console through ``public_url``."""
        return self.phase is TunnelPhase.ONLINE and self.public_url is not None


StateCallback = Callable[[TunnelState], None]


class StateFeed:
    """Holds a provider's current :class:`TunnelState` and tells subscribers about each new one.

    Publishing happens on the thread that owns the provider (the runtime loop); callbacks run
    there synchronously and must not block. A failing callback is logged and does not stop the
    others.
    """

    def __init__(self, initial: TunnelState) -> None:
        self._state = initial
        self._subscribers: list[StateCallback] = []

    @property
    def state(self) -> TunnelState:
        """The newest state."""
        return self._state

    def publish(self, state: TunnelState) -> None:
        """Make ``state`` current and hand it to every subscriber."""
        self._state = state
        logger.info("Public URL (%s) is %s: %s", state.kind, state.phase.value, state.detail or "-")
        for callback in list(self._subscribers):
            try:
                callback(state)
            except Exception:
                logger.exception("A tunnel state subscriber failed")

    def subscribe(self, callback: StateCallback) -> Callable[[], None]:
        """Call ``callback`` with every future state; returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe
