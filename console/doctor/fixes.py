"""The doctor's fix actions that the running console performs (``Core.run_fix``).

Window actions (open Settings, the inspector, the trial panel) are the window's business; here
are the ones that act on services: point Twilio's webhooks at the console, restart the tunnel,
probe again. Each returns one line saying what happened (raises with what to do otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from console.doctor.probe import SelfProber
from console.doctor.result import (
    ACTION_LABELS,
    CONFIGURE_WEBHOOKS,
    PROBE_AGAIN,
    RESTART_TUNNEL,
    WINDOW_ACTIONS,
)
from console.gateway.account import AccountService
from console.tunnel.public_url import PublicUrlProvider


@dataclass(frozen=True, slots=True)
class FixTargets:
    """The running parts a fix may act on (``None`` when the console has no such part)."""

    account: AccountService | None
    provider: PublicUrlProvider | None
    prober: SelfProber | None
    public_url: str | None
    data_dir: Path


class FixUnavailable(RuntimeError):
    """The fix cannot run now; the message says why and what to do instead."""


async def apply_fix(action: str, targets: FixTargets) -> str:
    """Perform ``action``; returns what happened, in one line."""
    if action in WINDOW_ACTIONS:
        raise FixUnavailable(f"{ACTION_LABELS[action]!r} is done in the window, not here.")
    if action == CONFIGURE_WEBHOOKS:
        return await _configure_webhooks(targets)
    if action == RESTART_TUNNEL:
        return await _restart_tunnel(targets)
    if action == PROBE_AGAIN:
        return await _probe_again(targets)
    raise ValueError(f"unknown doctor action {action!r}")


async def _configure_webhooks(t: FixTargets) -> str:
    if t.account is None:
        raise FixUnavailable("The console is not connected to an account: check the credentials.")
    if not t.public_url:
        raise FixUnavailable(
            "There is no public URL to point Twilio at: start the tunnel or set a public URL."
        )
    result = await t.account.configure_webhooks(t.public_url, data_dir=t.data_dir)
    changed = len(result.changes)
    text = (
        f"Pointed {changed} webhook setting(s) at {t.public_url} (status callback "
        f"{result.status_url}); the previous values are saved in {result.backup_path}."
        if changed
        else f"Every webhook already points at {t.public_url}; nothing changed."
    )
    return " ".join([text, *result.warnings])


async def _restart_tunnel(t: FixTargets) -> str:
    if t.provider is None:
        raise FixUnavailable("The console is not running: there is no tunnel to restart.")
    await t.provider.stop()
    state = await t.provider.start()
    if state.is_online:
        return f"The public URL is {state.public_url} again; a self-probe is on its way."
    return f"The tunnel is {state.phase.value}: {state.detail}"


async def _probe_again(t: FixTargets) -> str:
    if t.prober is None or not t.public_url:
        raise FixUnavailable("There is no public URL to probe: start the tunnel or set one.")
    result = await t.prober.probe(t.public_url)
    if result.ok:
        latency = f" in {result.latency_ms:.0f} ms" if result.latency_ms is not None else ""
        return f"A signed request through {result.public_url} reached the console{latency}."
    return f"{result.error} {result.advice}".strip()
