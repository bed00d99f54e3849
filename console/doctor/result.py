"""What one doctor check found: a state, a one-line finding, a fix, and an action where one exists.

``CheckResult`` is a frozen dataclass that crosses threads (runtime → GUI) and is printed by
``sms-console doctor``. Actions are names the window (or ``Core.run_fix``) knows how to perform.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

CheckState = Literal["ok", "warn", "fail", "skip"]
STATES: Final[tuple[CheckState, ...]] = ("ok", "warn", "fail", "skip")

# Actions performed by the running console (``Core.run_fix``).
CONFIGURE_WEBHOOKS: Final = "configure_webhooks"
RESTART_TUNNEL: Final = "restart_tunnel"
PROBE_AGAIN: Final = "probe_again"
# Actions performed by the window (the doctor panel asks the main window to open something).
OPEN_SETTINGS: Final = "open_settings"
OPEN_INSPECTOR: Final = "open_inspector"
VERIFY_NUMBER: Final = "verify_number"

CORE_ACTIONS: Final = frozenset({CONFIGURE_WEBHOOKS, RESTART_TUNNEL, PROBE_AGAIN})
WINDOW_ACTIONS: Final = frozenset({OPEN_SETTINGS, OPEN_INSPECTOR, VERIFY_NUMBER})

#: Button text of each action.
ACTION_LABELS: Final[dict[str, str]] = {
    CONFIGURE_WEBHOOKS: "Configure webhooks",
    RESTART_TUNNEL: "Restart tunnel",
    PROBE_AGAIN: "Probe again",
    OPEN_SETTINGS: "Open Settings",
    OPEN_INSPECTOR: "Open inspector",
    VERIFY_NUMBER: "Verify a number",
}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check (``fix`` is empty when there is nothing to do)."""

    id: str
    title: str
    state: CheckState
    finding: str
    fix: str = ""
    action: str | None = None

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"check state must be one of {STATES}, not {self.state!r}")
        if self.action is not None and self.action not in ACTION_LABELS:
            raise ValueError(f"unknown doctor action {self.action!r}")

    @property
    def passed(self) -> bool:
        """True unless the check failed or warned (a skipped check does not block)."""
        return self.state in ("ok", "skip")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``sms-console doctor --json``)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check function returns; the runner adds the check's id and title."""

    state: CheckState
    finding: str
    fix: str = ""
    action: str | None = None

    def as_result(self, check_id: str, title: str) -> CheckResult:
        """The full result of check ``check_id``."""
        return CheckResult(check_id, title, self.state, self.finding, self.fix, self.action)


def ok(finding: str) -> Outcome:
    """A passed check."""
    return Outcome("ok", finding)


def warn(finding: str, fix: str = "", action: str | None = None) -> Outcome:
    """Works, but something deserves attention."""
    return Outcome("warn", finding, fix, action)


def fail(finding: str, fix: str = "", action: str | None = None) -> Outcome:
    """Broken: the fix says what to do."""
    return Outcome("fail", finding, fix, action)


def skip(finding: str) -> Outcome:
    """Not applicable here (or blocked by another check that already says why)."""
    return Outcome("skip", finding)


def all_passed(results: Iterable[CheckResult]) -> bool:
    """True when every check passed (``doctor`` exits 0 only then)."""
    return all(r.passed for r in results)


def counts(results: Sequence[CheckResult]) -> dict[str, int]:
    """How many checks are in each state."""
    return {state: sum(1 for r in results if r.state == state) for state in STATES}


def summary_line(results: Sequence[CheckResult]) -> str:
    """``12 checks: 9 ok, 1 warning, 2 failed`` (states with no check left out)."""
    c = counts(results)
    names = {"ok": "ok", "warn": "warning", "fail": "failed", "skip": "skipped"}
    parts = [
        f"{c[s]} {names[s]}" + ("s" if s == "warn" and c[s] != 1 else "") for s in STATES if c[s]
    ]
    return f"{len(results)} checks: " + ", ".join(parts)
