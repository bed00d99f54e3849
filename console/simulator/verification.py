"""Caller-ID verification: ValidationRequests, their 6-digit codes, and their completion.

Twilio calls the number and the person types the code; the simulator instead completes a
pending verification after the scenario's ``verification_delay`` (or when a test calls
``Simulator.complete_verification``), adds the OutgoingCallerId and posts the signed status
callback (``VerificationStatus=success``, ``OutgoingCallerIdSid``) if one was given.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING

from console.simulator.callbacks import verification_params
from console.simulator.errors import bad_request
from console.simulator.ids import new_sid
from console.simulator.state import PendingVerification

if TYPE_CHECKING:
    from console.simulator.core import Simulator


class Verifications:
    """Pending ValidationRequests of one simulator."""

    def __init__(self, simulator: Simulator) -> None:
        """Work on ``simulator``'s state, tasks and webhook sender."""
        self._sim = simulator

    def request(
        self, phone: str, friendly_name: str | None, status_callback: str | None, method: str
    ) -> PendingVerification:
        """Start verifying ``phone``; refuse (21450) if it is already verified."""
        state = self._sim.state
        if state.caller_id(phone) is not None:
            raise bad_request(21450, "Phone number is already verified.")
        pending = PendingVerification(
            phone_number=phone,
            friendly_name=friendly_name or phone,
            validation_code=f"{secrets.randbelow(1_000_000):06d}",
            call_sid=new_sid("CA"),
            status_callback=status_callback,
            status_callback_method=method,
        )
        state.pending[phone] = pending
        delay = self._sim.scenario.verification_delay
        if delay is not None:
            self._sim.spawn(self._complete_later(phone, pending, delay))
        self._sim.touch()
        return pending

    async def _complete_later(self, phone: str, pending: PendingVerification, delay: float) -> None:
        await asyncio.sleep(delay)
        if self._sim.state.pending.get(phone) is pending:
            await self.complete(phone)

    async def complete(self, phone: str) -> str:
        """Complete the pending verification of ``phone``; return the new caller ID's SID."""
        state = self._sim.state
        pending = state.pending.pop(phone, None)
        if pending is None:
            raise KeyError(f"no verification of {phone} is pending; create a ValidationRequest")
        caller = state.add_caller_id(phone, pending.friendly_name)
        self._sim.touch()
        if pending.status_callback:
            params = verification_params(state.account_sid, pending.call_sid, phone, caller.sid)
            await self._sim.sender.post("verification", pending.status_callback, params)
            self._sim.touch()
        return caller.sid
