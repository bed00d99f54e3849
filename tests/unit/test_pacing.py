"""The pacer keeps ideal send times per sender; backoff grows, caps and jitters."""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.gateway.pacing import Backoff, Pacer, rate_for
from console.settings import Pacing


class VirtualClock:
    """A clock that only moves when someone sleeps on it (optionally oversleeping)."""

    def __init__(self, start: float = 100.0, oversleep: float = 0.0) -> None:
        self.now = start
        self.oversleep = oversleep
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay + self.oversleep


async def run(pacer: Pacer, costs: list[int]) -> list[float]:
    return [await pacer.acquire(c) for c in costs]


async def test_single_segments_go_exactly_one_per_interval() -> None:
    clock = VirtualClock()
    pacer = Pacer(1.0, clock=clock, sleep=clock.sleep)
    slots = await run(pacer, [1] * 10)
    assert [s - 100.0 for s in slots] == [float(i) for i in range(10)]


async def test_a_message_costs_its_segments() -> None:
    clock = VirtualClock()
    pacer = Pacer(1.0, clock=clock, sleep=clock.sleep)
    slots = await run(pacer, [3, 1, 2, 1])
    assert [s - 100.0 for s in slots] == [0.0, 3.0, 4.0, 6.0]


async def test_late_wakeups_do_not_accumulate_into_drift() -> None:
    clock = VirtualClock(oversleep=0.004)  # every sleep returns 4 ms late
    pacer = Pacer(100.0, clock=clock, sleep=clock.sleep)
    slots = await run(pacer, [1] * 101)
    assert slots[-1] - slots[0] == pytest.approx(1.0)
    # the real clock is late by one oversleep at most, not by 100 of them
    assert clock.now - 100.0 == pytest.approx(1.0 + 0.004)


async def test_an_idle_sender_earns_no_burst() -> None:
    clock = VirtualClock()
    pacer = Pacer(10.0, clock=clock, sleep=clock.sleep)
    await run(pacer, [1, 1])
    clock.now += 60.0  # a minute without messages
    start = clock.now
    slots = await run(pacer, [1, 1, 1])
    assert [round(s - start, 9) for s in slots] == [0.0, 0.1, 0.2]


async def test_a_short_stall_is_made_up_a_long_one_is_not() -> None:
    clock = VirtualClock()
    pacer = Pacer(100.0, clock=clock, sleep=clock.sleep, catch_up=0.05)
    first = await pacer.acquire(1)
    clock.now += 0.03  # 30 ms stall: within catch_up, the ideal schedule is kept
    assert await pacer.acquire(1) == pytest.approx(first + 0.01)
    clock.now += 0.5  # a long stall starts a fresh schedule at "now"
    now = clock.now
    assert await pacer.acquire(1) == pytest.approx(now)


async def test_the_default_catch_up_makes_up_half_a_second_and_no_more() -> None:
    clock = VirtualClock()
    pacer = Pacer(100.0, clock=clock, sleep=clock.sleep)
    await pacer.acquire(1)
    clock.now += 0.3  # the loop was busy for 300 ms: 30 slots are overdue
    now = clock.now
    overdue = [pacer.reserve(1) for _ in range(30)]  # ideal times 0.01 … 0.30 s after the first
    assert all(slot <= now + 1e-9 for slot in overdue)  # all go at once: the lost time
    assert pacer.reserve(1) > now + 1e-9  # and no more: the schedule is back
    clock.now += 1.0  # a stall longer than catch_up: start afresh, no burst
    assert pacer.reserve(1) == clock.now and pacer.reserve(1) == pytest.approx(clock.now + 0.01)


async def test_reservations_keep_arrival_order() -> None:
    clock = VirtualClock()
    pacer = Pacer(2.0, clock=clock, sleep=clock.sleep)
    assert [pacer.reserve(1) - 100.0 for _ in range(4)] == [0.0, 0.5, 1.0, 1.5]
    assert pacer.backlog() == pytest.approx(2.0)


async def test_a_cancelled_wait_gives_its_slot_back() -> None:
    clock = VirtualClock()
    entered = asyncio.Event()
    forever: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def blocking_sleep(delay: float) -> None:
        entered.set()
        await forever

    pacer = Pacer(1.0, clock=clock, sleep=blocking_sleep)
    assert await pacer.acquire(1) == 100.0  # immediate, no sleep
    waiter = asyncio.create_task(pacer.acquire(1))
    await asyncio.wait_for(entered.wait(), 5)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert pacer.reserve(1) == 101.0  # the slot at 101 was handed back, not skipped


def test_rates_come_from_the_sender_kind() -> None:
    pacing = Pacing(long_code=1, toll_free=3, short_code=100, messaging_service=7, alphanumeric=2)
    assert rate_for("+14155550100", pacing) == 1
    assert rate_for("+18005550100", pacing) == 3
    assert rate_for("12345", pacing) == 100
    assert rate_for("MG" + "a" * 32, pacing) == 7
    assert rate_for("ACME", pacing) == 2
    assert rate_for("not a sender!", pacing) == 1  # pace unknown senders like the slowest kind


def test_invalid_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pacer(0)
    pacer = Pacer(1)
    with pytest.raises(ValueError, match="positive"):
        pacer.rate = -1


def test_backoff_grows_caps_and_jitters() -> None:
    backoff = Backoff(base=0.5, factor=2, cap=4, attempts=6, rng=random.Random(7))
    assert [backoff.ceiling(i) for i in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    draws = [backoff.delay(i) for i in range(6) for _ in range(50)]
    assert all(0 <= d <= 4.0 for d in draws)
    assert len(set(draws)) == len(draws)  # jittered, not lockstep
    with pytest.raises(ValueError, match="attempt"):
        Backoff(attempts=0)


@given(
    rate=st.floats(min_value=0.5, max_value=500),
    costs=st.lists(st.integers(min_value=1, max_value=10), min_size=2, max_size=60),
    oversleep=st.floats(min_value=0, max_value=0.001),
)
def test_segments_between_slots_never_exceed_the_rate(
    rate: float, costs: list[int], oversleep: float
) -> None:
    clock = VirtualClock(oversleep=oversleep)
    pacer = Pacer(rate, clock=clock, sleep=clock.sleep, catch_up=0.05)
    slots = asyncio.run(run(pacer, costs))
    assert slots == sorted(slots)
    for i in range(len(slots)):
        for j in range(i + 1, len(slots)):
            sent = sum(costs[i:j])
            assert sent <= rate * (slots[j] - slots[i]) + 1e-6
