"""``Simulator``: one simulated Twilio account, its scenario, and the tasks that animate it.

The simulator is bound to the event loop it runs on. Every background task (message
lifecycles, callback deliveries, replies, verifications, scheduled inbound messages) is kept in
``_tasks`` and cancelled by ``aclose()``. Randomness that shapes outcomes comes from one
``random.Random(scenario.seed)``, drawn only when a message is accepted, so a seeded run is
deterministic; SIDs and codes come from the OS entropy source.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import zlib
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from aiohttp import web

from console.simulator.callbacks import CallbackSender, status_params
from console.simulator.config import DEMO_ACCOUNT, AccountConfig
from console.simulator.errors import DELIVERY_ERROR_MESSAGES
from console.simulator.ids import new_sid, new_token, utcnow
from console.simulator.inbound import receive_inbound
from console.simulator.scenario import DeliveryPlan, Scenario
from console.simulator.state import PRICE_PER_SEGMENT, MessageRecord, SimState, count_segments
from console.simulator.validation import CreateRequest
from console.simulator.verification import Verifications

log = logging.getLogger(__name__)


class Simulator:
    """A faithful offline Twilio account: state + scenario + signed webhooks (see module doc)."""

    def __init__(
        self, account: AccountConfig = DEMO_ACCOUNT, scenario: Scenario | None = None
    ) -> None:
        """Hold ``account``'s starting world and behave as ``scenario`` says (default: instant)."""
        self.account = account
        self.scenario = scenario or Scenario()
        self.state = SimState.from_config(account)
        self.rng = random.Random(self.scenario.seed)
        self.sender = CallbackSender(account.auth_token)
        self.verifications = Verifications(self)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._closing = asyncio.Event()
        self._started = False
        self._throttle_left = self.scenario.throttle_creates
        self._fail_left = self.scenario.fail_creates
        self._slow_left = self.scenario.slow_creates
        self._slow_delay = self.scenario.slow_create_delay

    # --- lifecycle ---------------------------------------------------------------------------
    def app(self) -> web.Application:
        """The aiohttp application serving the REST API (2010 + Messaging v1)."""
        from console.simulator.rest import build_app  # the REST layer sits on top of the core

        return build_app(self)

    async def start(self) -> None:
        """Begin scheduled activity (scenario inbound messages); idempotent."""
        if self._started:
            return
        self._started = True
        for item in self.scenario.inbound:
            self.spawn(self._inbound_later(item.after, item.from_, item.to, item.body))

    def begin_shutdown(self) -> None:
        """Release slow creates at once so the HTTP server can stop promptly."""
        self._closing.set()

    async def aclose(self) -> None:
        """Cancel every background task and close the webhook session."""
        self.begin_shutdown()
        while self._tasks:
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for _, future in self._waiters:
            future.cancel()
        await self.sender.close()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, strongly referenced until done."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulator task failed", exc_info=task.exception())
        self.touch()

    async def _inbound_later(self, delay: float, from_: str, to: str, body: str) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        await self.inject_inbound(from_, to, body)

    async def sleep_unless_closing(self, delay: float) -> None:
        """Wait ``delay`` seconds, or less if the simulator is shutting down."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), delay)

    # --- observation -------------------------------------------------------------------------
    def touch(self) -> None:
        """Wake ``wait_for`` callers whose condition now holds (called after every change)."""
        for predicate, future in list(self._waiters):
            if not future.done() and predicate():
                future.set_result(None)

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Return once ``predicate()`` is true (checked after each change); TimeoutError after
        ``within`` seconds otherwise."""
        if predicate():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(future, within)
        finally:
            self._waiters.remove(entry)

    async def wait_idle(self, within: float = 10.0) -> None:
        """Return once no background task is pending (all lifecycles and webhooks done)."""
        await self.wait_for(lambda: not self._tasks, within)

    @property
    def busy(self) -> bool:
        """True while any background task (lifecycle, webhook, timer) is pending."""
        return bool(self._tasks)

    def messages(self) -> list[MessageRecord]:
        """Copies of every message (outbound and inbound), oldest first."""
        return [replace(m) for m in self.state.messages.values()]

    def message(self, sid: str) -> MessageRecord:
        """A copy of message ``sid`` (KeyError if unknown)."""
        return replace(self.state.messages[sid])

    # --- API trouble on demand ---------------------------------------------------------------
    def throttle_next_creates(self, count: int) -> None:
        """The next ``count`` creates answer 429 (code 20429) without storing anything."""
        self._throttle_left = count

    def fail_next_creates(self, count: int) -> None:
        """The next ``count`` creates answer 500 (code 20500) before storing anything."""
        self._fail_left = count

    def slow_next_creates(self, count: int, delay: float) -> None:
        """The next ``count`` creates are stored and sent, but answered ``delay`` s later."""
        self._slow_left, self._slow_delay = count, delay

    def take_throttle(self) -> bool:
        """Consume one pending 429, if any."""
        if self._throttle_left > 0:
            self._throttle_left -= 1
            return True
        return False

    def take_failure(self) -> bool:
        """Consume one pending 500, if any."""
        if self._fail_left > 0:
            self._fail_left -= 1
            return True
        return False

    def take_slow(self) -> float:
        """Consume one pending slow answer; return its delay (0 when none)."""
        if self._slow_left > 0:
            self._slow_left -= 1
            return self._slow_delay
        return 0.0

    # --- outbound ----------------------------------------------------------------------------
    def accept_message(self, req: CreateRequest) -> MessageRecord:
        """Store a validated outbound message and start its lifecycle; return the record."""
        now = utcnow()
        via_service = req.service is not None
        num_media = len(req.media_urls)
        record = MessageRecord(
            sid=new_sid("MM" if num_media else "SM"),
            account_sid=self.state.account_sid,
            direction="outbound-api",
            from_=req.from_,
            to=req.to,
            body=req.body,
            status="accepted" if via_service else "queued",
            date_created=now,
            date_updated=now,
            date_sent=now,
            num_segments=0 if via_service and req.from_ is None else count_segments(req.body),
            num_media=num_media,
            messaging_service_sid=req.service.sid if req.service else None,
            status_callback=req.status_callback,
        )
        self.state.messages[record.sid] = record
        plan = self.scenario.plan(record.to, via_service=via_service, rng=self.rng)
        self.spawn(self._run_outbound(record.sid, plan))
        self.touch()
        return record

    def status_callback_url(self, m: MessageRecord) -> str | None:
        """Where ``m``'s status callbacks go: its own StatusCallback, else its service's."""
        if m.status_callback:
            return m.status_callback
        if m.messaging_service_sid:
            service = self.state.services.get(m.messaging_service_sid)
            return service.status_callback if service else None
        return None

    def _advance(self, m: MessageRecord, status: str, error_code: int | None) -> None:
        now = utcnow()
        m.status, m.date_updated = status, now
        if status == "queued" and m.from_ is None and m.messaging_service_sid:
            senders = self.state.services[m.messaging_service_sid].senders
            m.from_ = senders[zlib.crc32(m.to.encode()) % len(senders)]  # sticky per recipient
            m.num_segments = count_segments(m.body)
        if status in ("failed", "undelivered"):
            m.error_code = error_code
            m.error_message = DELIVERY_ERROR_MESSAGES.get(error_code or 0, "Unknown error")
        if m.is_final:
            charged = status != "failed"
            per = float(PRICE_PER_SEGMENT)
            m.price = f"-{per * m.num_segments:.5f}" if charged else "0.00000"
            m.price_unit = self.state.currency
            if charged:
                self.state.charge(m.price)
        self.touch()

    async def _run_outbound(self, sid: str, plan: DeliveryPlan) -> None:
        queue: asyncio.Queue[tuple[str, dict[str, str], str] | None] = asyncio.Queue()
        self.spawn(self._deliver_in_order(queue))
        held: list[tuple[str, dict[str, str], str]] = []
        for step in plan.steps:
            if step.delay > 0:
                await asyncio.sleep(step.delay)
            m = self.state.messages[sid]
            self._advance(m, step.status, plan.error_code)
            url = self.status_callback_url(m)
            if url is None:
                continue
            item = (url, status_params(m), new_token())
            batch = [item, item] if step.duplicate else [item]
            if plan.out_of_order:
                held.extend(batch)
            else:
                for entry in batch:
                    queue.put_nowait(entry)
        if held:
            for entry in self._disorder(held):
                queue.put_nowait(entry)
        queue.put_nowait(None)
        m = self.state.messages[sid]
        for delay, body in plan.follow_ups:
            if m.from_ is not None:
                self.spawn(self._inbound_later(delay, m.to, m.from_, body))

    @staticmethod
    def _disorder(
        items: list[tuple[str, dict[str, str], str]],
    ) -> list[tuple[str, dict[str, str], str]]:
        """Latest status first: the harshest realistic disorder (final before sent/sending)."""
        return list(reversed(items))

    async def _deliver_in_order(
        self, queue: asyncio.Queue[tuple[str, dict[str, str], str] | None]
    ) -> None:
        while (entry := await queue.get()) is not None:
            url, params, token = entry
            await self.sender.post("status", url, params, token)
            self.touch()

    # --- inbound ----------------------------------------------------------------------------
    async def inject_inbound(self, from_: str, to: str, body: str) -> str:
        """Receive an SMS from ``from_`` to owned number ``to``; post it signed; return its SID."""
        return await receive_inbound(self, from_, to, body)

    # --- verification ------------------------------------------------------------------------
    async def complete_verification(self, phone: str) -> str:
        """Finish the pending verification of ``phone`` now; return the OutgoingCallerId SID."""
        return await self.verifications.complete(phone)
