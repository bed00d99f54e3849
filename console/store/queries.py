"""Read queries: short read-only sessions returning frozen records, paged for large tables.

The GUI, the CLI and the services read through a :class:`Reader`; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    and_,
    cast,
    column,
    extract,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session

from console.domain.model import (
    DeliveryRecord,
    EventRecord,
    InboundRecord,
    OptOutRecord,
    SendState,
    WebhookRequestRecord,
)
from console.store.db import make_reader_engine
from console.store.models import Delivery, DeliveryEvent, InboundMessage, OptOut, WebhookRequest
from console.store.records import (
    delivery_record,
    event_record,
    inbound_record,
    opt_out_record,
    request_record,
)

SortKey = Literal["created_at", "updated_at", "to", "status", "error_code", "segments", "id"]

_SORT_COLUMNS: dict[str, Any] = {
    "created_at": Delivery.created_at,
    "updated_at": Delivery.updated_at,
    "to": Delivery.to_number,
    "status": Delivery.status_rank,
    "error_code": Delivery.error_code,
    "segments": Delivery.segments,
    "id": Delivery.id,
}


_SEARCHED = (Delivery.to_number, Delivery.from_number, Delivery.body, Delivery.sid)
_NULLABLE_SORTS = frozenset({"error_code"})  # NULL sorts as the smallest value (as on SQLite)
_TEXT_SORTS = frozenset({"to"})

# PostgreSQL's side table of the searchable text (migration 0005): a delivery's to/from/body/sid
# joined by SEARCH_SEPARATOR, kept by triggers, with a pg_trgm index (when the server has it).
SEARCH_SEPARATOR = "\x1f"
_SEARCH = table(
    "delivery_search",
    column("delivery_id", Delivery.id.type),
    column("text", Delivery.body.type),  # NUL becomes U+FFFD, as it was stored
)
_TRIGRAM = 3  # the shortest needle a trigram index can serve


def _contains(col: Any, needle: str, dialect: str) -> ColumnElement[bool]:
    """``column`` holds ``needle`` (any case; ``%``, ``_`` and ``\\`` are plain characters).

    SQLite's LIKE already ignores ASCII case; elsewhere ``ilike`` (ILIKE on PostgreSQL).
    SQLite's LIKE stops reading its pattern at a NUL, so a needle with one is found with
    ``instr`` (its ``lower`` folds ASCII case only, as LIKE does).
    """
    if dialect == "sqlite" and "\x00" in needle:
        return func.instr(func.lower(col), func.lower(needle)) > 0
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    if dialect == "sqlite":
        return col.like(pattern, escape="\\")  # type: ignore[no-any-return]
    return col.ilike(pattern, escape="\\")  # type: ignore[no-any-return]


def _text_clause(needle: str, dialect: str) -> ColumnElement[bool]:
    """Deliveries whose to, from, body or SID holds ``needle`` (see :func:`_contains`).

    Three characters or more are looked up in an index: SQLite's FTS5 trigram table (but not a
    NUL, which FTS5 cannot parse), PostgreSQL's ``delivery_search`` table. Its rows join the
    four columns, so a needle holding the separator is checked against each column as well.
    Shorter needles scan the deliveries themselves.
    """
    per_column = or_(*(_contains(c, needle, dialect) for c in _SEARCHED))
    if len(needle) < _TRIGRAM:
        return per_column
    if dialect == "sqlite" and "\x00" not in needle:
        phrase = '"' + needle.replace('"', '""') + '"'  # an FTS5 string: any characters
        return Delivery.id.in_(
            select(literal_column("rowid"))
            .select_from(table("deliveries_fts"))
            .where(literal_column("deliveries_fts").op("MATCH")(phrase))
        )
    if dialect == "postgresql":
        found = Delivery.id.in_(
            select(_SEARCH.c.delivery_id).where(_contains(_SEARCH.c.text, needle, dialect))
        )
        return and_(found, per_column) if SEARCH_SEPARATOR in needle else found
    return per_column


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    """Which deliveries to show: by status, free text (number, body, SID), period and profile."""

    statuses: frozenset[str] = frozenset()
    text: str = ""
    since: datetime | None = None
    until: datetime | None = None
    profile: str | None = None

    def clauses(self, dialect: str = "sqlite") -> list[ColumnElement[bool]]:
        """The SQL conditions of this filter on a database of ``dialect`` (the text through a
        trigram index where it has three characters or more: see :func:`_text_clause`)."""
        out: list[ColumnElement[bool]] = []
        if self.statuses:
            out.append(Delivery.status.in_(sorted(self.statuses)))
        needle = self.text.strip()
        if needle:
            out.append(_text_clause(needle, dialect))
        if self.since is not None:
            out.append(Delivery.created_at >= self.since)
        if self.until is not None:
            out.append(Delivery.created_at < self.until)
        if self.profile:
            out.append(Delivery.profile == self.profile)
        return out


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts for the statistics panel."""

    by_status: dict[str, int]
    by_error: dict[int, int]
    total: int
    delivered: int
    failed: int
    buckets: list[tuple[datetime, int]]  # messages created per bucket start

    @property
    def delivery_rate(self) -> float | None:
        """Delivered over all that reached a final outcome (None with no final outcome yet)."""
        done = self.delivered + self.failed
        return self.delivered / done if done else None


def _bucket(dialect: str, seconds: int) -> ColumnElement[int]:
    """The number of the ``seconds``-long period ``created_at`` falls in (rounded down).

    SQLite's epoch is whole seconds already; PostgreSQL's EXTRACT has a fraction, which a CAST
    would round (59.6 s into the next minute), so it is floored first.
    """
    epoch = extract("epoch", Delivery.created_at)
    if dialect == "sqlite":
        return cast(epoch, Integer) // seconds
    return cast(func.floor(epoch / seconds), BigInteger)


class Reader:
    """Read-only access to the ledger."""

    def __init__(self, url: str) -> None:
        self.engine = make_reader_engine(url)
        self._dialect = self.engine.dialect.name

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def _where(self, flt: DeliveryFilter) -> list[ColumnElement[bool]]:
        return flt.clauses(self._dialect)

    def _session(self) -> Session:
        return Session(self.engine)

    # -- deliveries --------------------------------------------------------------------------
    def count_deliveries(self, flt: DeliveryFilter = DeliveryFilter()) -> int:
        """How many deliveries match."""
        with self._session() as s:
            q = select(func.count()).select_from(Delivery).where(and_(True, *self._where(flt)))
            return int(s.scalar(q) or 0)

    def deliveries(
        self,
        flt: DeliveryFilter = DeliveryFilter(),
        *,
        sort: str = "created_at",
        descending: bool = True,
        offset: int = 0,
        limit: int = 200,
    ) -> list[DeliveryRecord]:
        """One slice of the matching deliveries in the given order (id breaks ties)."""
        with self._session() as s:
            rows = s.scalars(self._ordered(flt, sort, descending).offset(offset).limit(limit)).all()
            return [delivery_record(r) for r in rows]

    def _ordered(self, flt: DeliveryFilter, sort: str, descending: bool) -> Select[Any]:
        """Deliveries in the order ``delivery_reads.sort_key`` assumes on every database: NULL
        error codes below every code, text in code-point order, the id breaking ties."""
        col = _SORT_COLUMNS[sort]
        if sort in _TEXT_SORTS and self._dialect == "postgresql":
            col = col.collate("C")  # byte order (UTF-8: code points), as SQLite's BINARY
        q = select(Delivery).where(and_(True, *self._where(flt)))
        if descending:
            first = col.desc()
            if sort in _NULLABLE_SORTS and self._dialect != "sqlite":
                first = first.nulls_last()
            return q.order_by(first, Delivery.id.desc())
        first = col.asc()
        if sort in _NULLABLE_SORTS and self._dialect != "sqlite":
            first = first.nulls_first()
        return q.order_by(first, Delivery.id.asc())

    def delivery(self, delivery_id: int) -> DeliveryRecord | None:
        """One delivery by id."""
        with self._session() as s:
            row = s.get(Delivery, delivery_id)
            return delivery_record(row) if row is not None else None

    def delivery_by_sid(self, sid: str) -> DeliveryRecord | None:
        """One delivery by its Twilio Message SID."""
        with self._session() as s:
            row = s.scalars(select(Delivery).where(Delivery.sid == sid)).first()
            return delivery_record(row) if row is not None else None

    def events(self, delivery_id: int) -> list[EventRecord]:
        """A delivery's events in the order they were recorded."""
        with self._session() as s:
            rows = s.scalars(
                select(DeliveryEvent)
                .where(DeliveryEvent.delivery_id == delivery_id)
                .order_by(DeliveryEvent.id)
            ).all()
            return [event_record(r) for r in rows]

    def events_by_sid(self, sid: str) -> list[EventRecord]:
        """Events recorded for a SID, attached or not."""
        with self._session() as s:
            rows = s.scalars(
                select(DeliveryEvent)
                .where(DeliveryEvent.message_sid == sid)
                .order_by(DeliveryEvent.id)
            ).all()
            return [event_record(r) for r in rows]

    def iter_with_events(
        self, flt: DeliveryFilter = DeliveryFilter(), *, chunk: int = 500
    ) -> Iterator[tuple[DeliveryRecord, list[EventRecord]]]:
        """Every matching delivery (oldest first) with its events, in chunks (for export)."""
        last_id = 0
        while True:
            with self._session() as s:
                rows = s.scalars(
                    select(Delivery)
                    .where(and_(Delivery.id > last_id, *self._where(flt)))
                    .order_by(Delivery.id)
                    .limit(chunk)
                ).all()
                if not rows:
                    return
                ids = [r.id for r in rows]
                events: dict[int, list[EventRecord]] = {i: [] for i in ids}
                for e in s.scalars(
                    select(DeliveryEvent)
                    .where(DeliveryEvent.delivery_id.in_(ids))
                    .order_by(DeliveryEvent.id)
                ):
                    assert e.delivery_id is not None
                    events[e.delivery_id].append(event_record(e))
                batch = [(delivery_record(r), events[r.id]) for r in rows]
            yield from batch
            last_id = ids[-1]

    def in_send_state(self, *states: SendState, limit: int = 10_000) -> list[DeliveryRecord]:
        """Deliveries in the given pipeline states, oldest first (resume and reconcile)."""
        with self._session() as s:
            rows = s.scalars(
                select(Delivery)
                .where(Delivery.send_state.in_([st.value for st in states]))
                .order_by(Delivery.id)
                .limit(limit)
            ).all()
            return [delivery_record(r) for r in rows]

    def open_deliveries(self, updated_before: datetime, limit: int = 1000) -> list[DeliveryRecord]:
        """Deliveries with a SID and no final status, not updated since ``updated_before``."""
        with self._session() as s:
            rows = s.scalars(
                select(Delivery)
                .where(
                    Delivery.sid.is_not(None),
                    Delivery.final_at.is_(None),
                    Delivery.updated_at < updated_before,
                )
                .order_by(Delivery.updated_at)
                .limit(limit)
            ).all()
            return [delivery_record(r) for r in rows]

    def unpriced_final(
        self,
        statuses: frozenset[str],
        *,
        finished_after: datetime,
        finished_before: datetime,
        limit: int = 1000,
    ) -> list[DeliveryRecord]:
        """Final deliveries with a SID and no price yet, finished in the window, oldest first."""
        with self._session() as s:
            rows = s.scalars(
                select(Delivery)
                .where(
                    Delivery.sid.is_not(None),
                    Delivery.price.is_(None),
                    Delivery.status.in_(sorted(statuses)),
                    Delivery.final_at >= finished_after,
                    Delivery.final_at < finished_before,
                )
                .order_by(Delivery.final_at)
                .limit(limit)
            ).all()
            return [delivery_record(r) for r in rows]

    def recent_recipients(self, limit: int = 20) -> list[str]:
        """The most recently used recipients, newest first, without repeats.

        Reads only the newest few hundred deliveries (by primary key), so it stays instant on
        a table of millions and can run on the GUI thread.
        """
        with self._session() as s:
            rows = s.scalars(
                select(Delivery.to_number)
                .where(Delivery.send_state != SendState.EXTERNAL.value)
                .order_by(Delivery.id.desc())
                .limit(limit * 25)
            )
            return list(dict.fromkeys(n for n in rows if n))[:limit]

    # -- inbound and opt-outs ----------------------------------------------------------------
    def conversations(self, limit: int = 500) -> list[tuple[str, InboundRecord, int]]:
        """The newest ``limit`` numbers that wrote in: (number, latest message, message count)."""
        with self._session() as s:
            latest = (
                select(InboundMessage.from_number, func.max(InboundMessage.id), func.count())
                .group_by(InboundMessage.from_number)
                .order_by(func.max(InboundMessage.id).desc())
                .limit(limit)
            )
            heads = s.execute(latest).all()
            rows = {
                r.id: r
                for r in s.scalars(
                    select(InboundMessage).where(InboundMessage.id.in_([h[1] for h in heads]))
                )
            }
            return [(number, inbound_record(rows[last]), int(n)) for number, last, n in heads]

    def inbound_from(self, number: str, limit: int = 500) -> list[InboundRecord]:
        """The newest ``limit`` inbound messages from a number, oldest first."""
        with self._session() as s:
            rows = s.scalars(
                select(InboundMessage)
                .where(InboundMessage.from_number == number)
                .order_by(InboundMessage.id.desc())
                .limit(limit)
            ).all()
            return [inbound_record(r) for r in reversed(rows)]

    def deliveries_to(self, number: str, limit: int = 500) -> list[DeliveryRecord]:
        """Messages sent to a number, oldest first (the outbound side of a conversation)."""
        with self._session() as s:
            rows = s.scalars(
                select(Delivery)
                .where(Delivery.to_number == number)
                .order_by(Delivery.id.desc())
                .limit(limit)
            ).all()
            return [delivery_record(r) for r in reversed(rows)]

    def opt_out(self, number: str) -> OptOutRecord | None:
        """The opt-out state of a number, if it ever opted out or in."""
        with self._session() as s:
            row = s.get(OptOut, number)
            return opt_out_record(row) if row is not None else None

    def is_opted_out(self, number: str) -> bool:
        """Whether the number has opted out (replied STOP) and not back in."""
        rec = self.opt_out(number)
        return rec is not None and rec.opted_out

    def opt_outs(self) -> list[OptOutRecord]:
        """Every number's opt-out state."""
        with self._session() as s:
            return [opt_out_record(r) for r in s.scalars(select(OptOut).order_by(OptOut.number))]

    # -- webhook requests --------------------------------------------------------------------
    def request(self, request_id: int) -> WebhookRequestRecord | None:
        """One logged webhook request by id (None once retention has dropped it)."""
        with self._session() as s:
            row = s.get(WebhookRequest, request_id)
            return request_record(row) if row is not None else None

    def requests(self, *, offset: int = 0, limit: int = 500) -> list[WebhookRequestRecord]:
        """Webhook requests, newest first."""
        with self._session() as s:
            rows = s.scalars(
                select(WebhookRequest)
                .order_by(WebhookRequest.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            return [request_record(r) for r in rows]

    def count_requests(self, verdict: str | None = None, since: datetime | None = None) -> int:
        """How many webhook requests are kept, optionally by verdict and time."""
        with self._session() as s:
            q = select(func.count()).select_from(WebhookRequest)
            if verdict is not None:
                q = q.where(WebhookRequest.verdict == verdict)
            if since is not None:
                q = q.where(WebhookRequest.received_at >= since)
            return int(s.scalar(q) or 0)

    # -- statistics --------------------------------------------------------------------------
    def stats(self, flt: DeliveryFilter = DeliveryFilter(), bucket_seconds: int = 3600) -> Stats:
        """Counts per status and error code, and messages per time bucket."""
        with self._session() as s:
            where = and_(True, *self._where(flt))
            by_status = {
                str(k): int(v)
                for k, v in s.execute(
                    select(Delivery.status, func.count()).where(where).group_by(Delivery.status)
                )
            }
            by_error = {
                int(k or 0): int(v)
                for k, v in s.execute(
                    select(Delivery.error_code, func.count())
                    .where(where, Delivery.error_code.is_not(None))
                    .group_by(Delivery.error_code)
                )
            }
            # Bucketed in SQL (created_at is stored as naive UTC): no row leaves the database.
            bucket = _bucket(self._dialect, bucket_seconds).label("bucket")
            rows = s.execute(
                select(bucket, func.count()).where(where).group_by(bucket).order_by(bucket)
            ).all()
        series = [
            (datetime.fromtimestamp(int(k) * bucket_seconds, UTC), int(n))
            for k, n in rows
            if k is not None
        ]
        delivered = by_status.get("delivered", 0) + by_status.get("read", 0)
        failed = sum(by_status.get(k, 0) for k in ("failed", "undelivered", "rejected"))
        return Stats(
            by_status=by_status,
            by_error=by_error,
            total=sum(by_status.values()),
            delivered=delivered,
            failed=failed,
            buckets=series,
        )
