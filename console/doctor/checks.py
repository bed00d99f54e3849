"""The setup checklist of the seed, automated: every check with a state, a finding and a fix.

``run_checks(ctx)`` runs :data:`CHECKS` concurrently, each under its own time limit, and returns
one :class:`~console.doctor.result.CheckResult` per check in checklist order. A check that times
out or raises becomes a failed result saying so: the doctor itself never hangs or crashes.

Public API::

    CHECKS: tuple[Check, ...]                       # the checklist, in order
    async run_checks(ctx, checks=CHECKS) -> list[CheckResult]
    CheckResult(id, title, state, finding, fix, action)   # console.doctor.result
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from console.doctor import checks_account as account
from console.doctor import checks_local as local
from console.doctor import checks_url as url
from console.doctor.context import DoctorContext
from console.doctor.result import CheckResult, Outcome, fail

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the checklist: what it is called, what it waits on, how it runs."""

    id: str
    title: str
    run: Callable[[DoctorContext], Awaitable[Outcome]]
    waits_on: str  # named when the check runs out of time


CHECKS: tuple[Check, ...] = (
    Check("credentials", "Twilio credentials", account.credentials, "the Twilio API"),
    Check("auth_token", "Auth Token for webhook signatures", account.auth_token, "the Twilio API"),
    Check("sender", "Sender (From number or Messaging Service)", account.sender, "the Twilio API"),
    Check("account", "Account type", account.account, "the Twilio API"),
    Check("trial_recipients", "Trial: verified recipients", account.trial_recipients,
          "the Twilio API"),
    Check("trial_bodies", "Trial: template bodies", account.trial_bodies, "the Twilio API"),
    Check("public_url_https", "Public URL uses HTTPS", url.public_url_https, "the tunnel"),
    Check("public_url_hostname", "Public URL has a valid host name", url.public_url_hostname,
          "the tunnel"),
    Check("public_url_public", "Public URL is not local", url.public_url_public, "the tunnel"),
    Check("self_probe", "Self-probe through the public URL", url.self_probe, "the public URL"),
    Check("signatures", "Recent webhook signatures", local.signatures, "the database"),
    Check("callback_routing", "Status callback Twilio will use", url.callback_routing,
          "the Twilio API"),
    Check("keyring", "OS keyring", local.keyring, "the OS keyring"),
    Check("database", "Database writable", local.database, "the database"),
)  # fmt: skip


async def _guarded(ctx: DoctorContext, check: Check) -> CheckResult:
    """Run one check under its time limit; a timeout or crash becomes a failed result."""
    try:
        async with asyncio.timeout(ctx.check_timeout):
            outcome = await check.run(ctx)
    except TimeoutError:
        outcome = fail(
            f"The check did not finish within {ctx.check_timeout:g} s: {check.waits_on} did not "
            "answer.",
            f"Check that {check.waits_on} is reachable, then run the doctor again.",
        )
    except Exception as exc:
        log.exception("doctor check %s crashed", check.id)
        outcome = fail(f"The check could not run: {type(exc).__name__}: {exc}")
    return outcome.as_result(check.id, check.title)


async def run_checks(ctx: DoctorContext, checks: Sequence[Check] = CHECKS) -> list[CheckResult]:
    """Run ``checks`` concurrently (shared Twilio reads) and return results in order."""
    try:
        results = await asyncio.gather(*(_guarded(ctx, c) for c in checks))
    finally:
        ctx.lookups.close()
    for r in results:
        log.info("doctor: %s %s — %s", r.state.upper(), r.id, r.finding)
    return list(results)
