"""Inbound SMS: store it, track STOP/START opt-outs, post it signed, send TwiML replies.

The webhook goes to the Messaging Service's ``inbound_request_url`` when the number is in a
service (unless the service defers to the number with ``use_inbound_webhook_on_number``),
otherwise to the number's ``sms_url``; with no URL the message is only stored, as Twilio does.
A STOP-type keyword opts the sender out of that number and of its whole service (error 21610 on
later sends) until a START-type keyword.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from console.simulator.callbacks import inbound_params
from console.simulator.ids import new_sid, utcnow
from console.simulator.scenario import opt_out_type
from console.simulator.state import PRICE_PER_SEGMENT, MessageRecord, count_segments
from console.simulator.twiml import reply_bodies
from console.simulator.validation import CreateRequest

if TYPE_CHECKING:
    from console.simulator.core import Simulator

log = logging.getLogger(__name__)


async def receive_inbound(sim: Simulator, from_: str, to: str, body: str) -> str:
    """Receive an SMS from ``from_`` to owned number ``to``; return its SID."""
    state = sim.state
    number = state.number(to)
    if number is None:
        raise ValueError(f"{to} is not a number this simulated account owns")
    service = state.service_of(to)
    now = utcnow()
    record = MessageRecord(
        sid=new_sid("SM"),
        account_sid=state.account_sid,
        direction="inbound",
        from_=from_,
        to=to,
        body=body,
        status="received",
        date_created=now,
        date_updated=now,
        date_sent=now,
        num_segments=count_segments(body),
        messaging_service_sid=service.sid if service else None,
        price=f"-{PRICE_PER_SEGMENT}",
        price_unit=state.currency,
    )
    state.messages[record.sid] = record
    kind = opt_out_type(body)
    keys = {(from_, to)} | ({(from_, service.sid)} if service else set())
    if kind == "STOP":
        state.opted_out |= keys
    elif kind == "START":
        state.opted_out -= keys
    sim.touch()
    url = number.sms_url
    if service is not None and not service.use_inbound_webhook_on_number:
        url = service.inbound_request_url
    if not url:
        log.info("inbound message %s stored; no inbound URL is configured for %s", record.sid, to)
        return record.sid
    delivery = await sim.sender.post("inbound", url, inbound_params(record, kind))
    sim.touch()
    if delivery.status is not None and delivery.status < 300:
        for text in reply_bodies(delivery.text):
            _reply(sim, record, text)
    return record.sid


def _reply(sim: Simulator, inbound: MessageRecord, text: str) -> None:
    """Send a TwiML <Message> reply back to the sender (direction outbound-reply)."""
    if inbound.from_ is None:
        return
    record = sim.accept_message(CreateRequest(inbound.from_, inbound.to, None, text, None, ()))
    record.direction = "outbound-reply"
    record.messaging_service_sid = inbound.messaging_service_sid
