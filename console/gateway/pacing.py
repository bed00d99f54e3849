"""Send pacing: a virtual-clock pacer per sender and backoff with full jitter.

Twilio's throughput limit is in *segments per second per sender* (FACTS.md): beyond it Twilio
queues, and queued messages fail after ten hours. :class:`Pacer` keeps one sender under its rate
by giving every message an ideal send time: the next message may go ``cost / rate`` seconds after
the previous one's *ideal* time, not after it actually went. Late wake-ups therefore never
accumulate into drift (``sleep(1 / rate)`` in a loop runs slower than the rate by the loop's own
overhead). A stall of up to ``catch_up`` seconds (default 0.5: a busy machine, a slow commit) is
made up by the next messages, so the rate holds over time; a longer one is not, so a sender idle
for a minute never bursts a minute's worth of messages. The largest burst above the schedule is
therefore ``catch_up × rate`` segments, which Twilio's per-sender queue absorbs in that time.

:class:`Backoff` gives the delays between retries of a request Twilio did not process (429/20429,
or a connection that was refused): exponential growth, capped, with "full jitter" (a uniform draw
between 0 and the cap) so that many senders backing off together do not retry in lockstep.

The paced queue of a bulk send, built on these, is :mod:`console.gateway.bulk`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from console.domain.phone import SenderKind, classify_sender
from console.settings import Pacing

Clock = Callable[[], float]
Sleeper = Callable[[float], Awaitable[None]]

__all__ = ["Backoff", "Clock", "Pacer", "Sleeper", "rate_for"]


def rate_for(sender: str, pacing: Pacing) -> float:
    """The configured rate (segments/s) of ``sender``: a number, short code, MG… SID or name."""
    kind = classify_sender(sender)
    rates = {
        SenderKind.LONG_CODE: pacing.long_code,
        SenderKind.TOLL_FREE: pacing.toll_free,
        SenderKind.SHORT_CODE: pacing.short_code,
        SenderKind.MESSAGING_SERVICE: pacing.messaging_service,
        SenderKind.ALPHANUMERIC: pacing.alphanumeric,
    }
    # An unrecognised sender is refused before sending; pace it like the slowest kind meanwhile.
    return rates.get(kind, min(rates.values()))


class Pacer:
    """Ideal send times for one sender at ``rate`` segments per second (first come, first served).

    ``acquire(cost)`` reserves the next slot at once (so concurrent callers keep their order) and
    then waits until the slot's time. A caller cancelled while waiting gives its slot back when
    no later slot was handed out meanwhile.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleeper = asyncio.sleep,
        catch_up: float = 0.5,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"a sending rate must be positive, got {rate}")
        if catch_up < 0:
            raise ValueError(f"catch_up cannot be negative, got {catch_up}")
        self._rate = rate
        self._clock = clock
        self._sleep = sleep
        self._catch_up = catch_up
        self._next: float | None = None

    @property
    def rate(self) -> float:
        """Segments per second."""
        return self._rate

    @rate.setter
    def rate(self, value: float) -> None:
        if value <= 0:
            raise ValueError(f"a sending rate must be positive, got {value}")
        self._rate = value

    def backlog(self) -> float:
        """Seconds until a new reservation could go (0 when the sender is idle)."""
        if self._next is None:
            return 0.0
        return max(0.0, self._next - self._clock())

    def reserve(self, cost: int) -> float:
        """Reserve the next slot for a message of ``cost`` segments; return its ideal time."""
        if cost < 1:
            cost = 1
        now = self._clock()
        # Idle (or stalled longer than catch_up): a fresh schedule from now, no burst credit.
        # On schedule or slightly late: keep the ideal time, so small lateness is made up.
        last = self._next
        slot = now if last is None or now - last > self._catch_up else last
        self._next = slot + cost / self._rate
        return slot

    async def acquire(self, cost: int) -> float:
        """Wait for this message's slot; return the slot's ideal time."""
        slot = self.reserve(cost)
        reserved_next = self._next
        delay = slot - self._clock()
        if delay > 0:
            try:
                await self._sleep(delay)
            except asyncio.CancelledError:
                if self._next == reserved_next:  # nobody reserved after us: give the slot back
                    self._next = slot
                raise
        return slot


@dataclass(slots=True)
class Backoff:
    """Delays between retries: ``uniform(0, min(cap, base * factor**attempt))`` (full jitter)."""

    base: float = 0.5
    factor: float = 2.0
    cap: float = 30.0
    attempts: int = 6
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        """Reject settings that could never retry sensibly."""
        if self.base <= 0 or self.factor < 1 or self.cap <= 0:
            raise ValueError("backoff needs base > 0, factor >= 1 and cap > 0")
        if self.attempts < 1:
            raise ValueError("backoff needs at least one attempt")

    def ceiling(self, retry: int) -> float:
        """The largest delay before retry number ``retry`` (0 for the first retry)."""
        return float(min(self.cap, self.base * self.factor**retry))

    def delay(self, retry: int) -> float:
        """A jittered delay before retry number ``retry``."""
        return self.rng.uniform(0.0, self.ceiling(retry))
