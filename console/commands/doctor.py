"""``sms-console doctor``: the setup checklist, headless; exit 0 only when every check passes.

It starts the console's services as the window would (database, credentials, webhook server,
public URL, self-probe), runs :func:`console.doctor.checks.run_checks` through ``Core.doctor``
and prints one line per check with its fix. In demo mode it says, first, that the checks run
against the built-in simulator, not a Twilio account. A warning does not pass; a skip does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from typing import Any

from console.cli import CommandError
from console.doctor.result import ACTION_LABELS, CheckResult, all_passed, summary_line
from console.settings import Settings, configure_logging

MARKS = {"ok": "[ OK ]", "warn": "[WARN]", "fail": "[FAIL]", "skip": "[SKIP]"}
DEMO_NOTE = (
    "DEMO MODE: these checks run against the console's built-in Twilio simulator, not a real "
    "Twilio account. Configure credentials (Settings or TWILIO_* variables) to check your setup."
)


@dataclass(frozen=True, slots=True)
class Report:
    """One doctor run: the console's mode and public URL, its start-up warnings, the results."""

    mode: str
    public_url: str | None
    warnings: tuple[str, ...]
    results: list[CheckResult]

    @property
    def passed(self) -> bool:
        """Every check passed (ok or skipped)."""
        return all_passed(self.results)

    def reason(self) -> str:
        """One line naming the checks that did not pass."""
        bad = [r for r in self.results if not r.passed]
        names = ", ".join(r.id for r in bad)
        return f"{len(bad)} of {len(self.results)} checks did not pass ({names})"


async def diagnose(settings: Settings) -> Report:
    """Start the console, run the doctor, stop."""
    from console.core import Core  # imported here: the doctor module stays cheap to import

    core = Core(settings, resume=False)
    try:
        await core.start()
    except Exception as exc:
        await core.stop()
        raise CommandError(f"the console could not start: {exc}") from exc
    try:
        results = await core.doctor()
        return Report(core.state.mode, core.public_url, core.state.warnings, results)
    finally:
        await core.stop()


def render(report: Report) -> str:
    """The human report: the demo note, warnings, one block per check, the summary line."""
    lines = [DEMO_NOTE, ""] if report.mode == "demo" else []
    lines.append(
        f"SMS Console doctor ({report.mode} mode, public URL: {report.public_url or 'none'})"
    )
    lines += [f"Note: {w}" for w in report.warnings]
    for r in report.results:
        lines.append(f"{MARKS[r.state]} {r.title}: {r.finding}")
        if r.fix and not r.passed:
            where = f" [in the window: {ACTION_LABELS[r.action]}]" if r.action else ""
            lines.append(f"       Fix: {r.fix}{where}")
    lines.append(summary_line(report.results))
    return "\n".join(lines)


def payload(report: Report) -> dict[str, Any]:
    """The JSON report (``--json``)."""
    data: dict[str, Any] = {
        "ok": report.passed,
        "mode": report.mode,
        "demo": report.mode == "demo",
        "public_url": report.public_url,
        "warnings": list(report.warnings),
        "summary": summary_line(report.results),
        "checks": [r.to_dict() for r in report.results],
    }
    if report.mode == "demo":
        data["note"] = DEMO_NOTE
    if not report.passed:
        data["error"] = report.reason()
    return data


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the checklist; exit 0 only when every check passed."""
    configure_logging(settings)
    report = asyncio.run(diagnose(settings))
    if getattr(args, "json", False):
        print(json.dumps(payload(report), default=str))
    else:
        print(render(report))
    if report.passed:
        return 0
    print(f"sms-console: {report.reason()}", file=sys.stderr)
    return 1
