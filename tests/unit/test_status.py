"""The status lifecycle: forward-only rank, finality, order- and duplicate-independence."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from console.domain import status
from console.domain.status import Status

# Realistic callback sequences Twilio can send for one message, in lifecycle order.
SEQUENCES = [
    [Status.QUEUED, Status.SENDING, Status.SENT, Status.DELIVERED],
    [Status.ACCEPTED, Status.QUEUED, Status.SENDING, Status.SENT, Status.UNDELIVERED],
    [Status.QUEUED, Status.FAILED],
    [Status.SCHEDULED, Status.CANCELED],
    [Status.QUEUED, Status.SENT, Status.DELIVERED, Status.READ],
    [Status.ACCEPTED, Status.QUEUED, Status.SENDING, Status.SENT, Status.PARTIALLY_DELIVERED],
]


def test_every_twilio_status_is_known() -> None:
    expected = {
        "queued",
        "accepted",
        "scheduled",
        "sending",
        "sent",
        "delivered",
        "undelivered",
        "failed",
        "canceled",
        "read",
        "partially_delivered",
        "receiving",
        "received",
    }
    assert status.TWILIO_STATUSES == expected
    for value in expected:
        assert status.parse(value) is Status(value)


def test_parse_unknown_and_empty() -> None:
    assert status.parse("bogus") is None
    assert status.parse("") is None
    assert status.parse(None) is None
    assert status.parse(" Delivered ") is Status.DELIVERED


def test_late_sent_never_overwrites_final() -> None:
    for final in (Status.DELIVERED, Status.UNDELIVERED, Status.FAILED):
        assert status.advance(final, Status.SENT) is final
        assert status.advance(final, Status.QUEUED) is final


def test_finality_and_failure() -> None:
    assert status.is_final(Status.DELIVERED)
    assert status.is_final(Status.UNDELIVERED)
    assert not status.is_final(Status.SENT)
    assert not status.is_final(Status.PENDING)
    assert status.is_failure(Status.FAILED)
    assert status.is_failure(Status.REJECTED)
    assert not status.is_failure(Status.DELIVERED)


def test_ranks_follow_the_lifecycle() -> None:
    for seq in SEQUENCES:
        ranks = [status.rank(s) for s in seq]
        assert ranks == sorted(ranks), seq
    assert status.rank(Status.PENDING) < status.rank(Status.ACCEPTED)


def test_derive_with_nothing_known_is_pending() -> None:
    assert status.derive([]) is Status.PENDING
    assert status.derive([None, None]) is Status.PENDING


@given(
    seq=st.sampled_from(SEQUENCES),
    data=st.data(),
)
def test_any_permutation_or_duplication_gives_the_ordered_result(
    seq: list[Status], data: st.DataObject
) -> None:
    ordered = status.derive(seq)
    assert ordered is seq[-1]
    duplicated = data.draw(
        st.lists(st.sampled_from(seq), min_size=0, max_size=3 * len(seq)), label="extra"
    )
    shuffled = data.draw(st.permutations(seq + duplicated), label="observed")
    assert status.derive(shuffled) is ordered


@given(st.lists(st.sampled_from(list(Status)), min_size=1, max_size=12), st.randoms())
def test_derive_is_order_independent_for_any_statuses(observed: list[Status], rnd: object) -> None:
    shuffled = observed[:]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]  # hypothesis Random
    assert status.derive(shuffled) is status.derive(observed)
    assert status.derive(observed + observed) is status.derive(observed)
