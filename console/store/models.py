"""SQLAlchemy 2 ORM: the ledger tables. Dialect-neutral (SQLite by default, any URL works).

Timestamps are stored as timezone-naive UTC (``UtcDateTime`` converts at the boundary) so that
SQLite and PostgreSQL compare them the same way. Text columns take any string on every database:
PostgreSQL cannot store NUL (U+0000), so there it is written as U+FFFD (``_NulFree``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC and returns them aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


def _without_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


class _NulFree(TypeDecorator[str]):
    """TEXT for PostgreSQL, whose text types reject NUL: it becomes U+FFFD, the replacement
    character the webhook log already uses for bytes it cannot decode."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return _without_nul(value)


class _NulFreeString(TypeDecorator[str]):
    """VARCHAR for PostgreSQL, NUL written as U+FFFD (as :class:`_NulFree`)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return _without_nul(value)


def _str(length: int) -> String:
    """VARCHAR(length); NUL-free on PostgreSQL (SQLite keeps the plain type: no conversion)."""
    return String(length).with_variant(_NulFreeString(length), "postgresql")


def _text() -> Text:
    """TEXT; NUL-free on PostgreSQL."""
    return Text().with_variant(_NulFree(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base of the ledger schema."""


class Delivery(Base):
    """One outbound message (or one seen through callbacks from another tool)."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sid: Mapped[str | None] = mapped_column(_str(64), unique=True)
    to_number: Mapped[str] = mapped_column(_str(64))
    from_number: Mapped[str | None] = mapped_column(_str(64))
    messaging_service_sid: Mapped[str | None] = mapped_column(_str(64))
    body: Mapped[str | None] = mapped_column(_text())
    profile: Mapped[str] = mapped_column(_str(64), default="default")
    account_sid: Mapped[str | None] = mapped_column(_str(64))
    segments: Mapped[int] = mapped_column(Integer, default=0)
    encoding: Mapped[str] = mapped_column(_str(16), default="")
    status: Mapped[str] = mapped_column(_str(32))
    status_rank: Mapped[int] = mapped_column(Integer)
    send_state: Mapped[str] = mapped_column(_str(16))
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(_text())
    price: Mapped[str | None] = mapped_column(_str(32))
    price_unit: Mapped[str | None] = mapped_column(_str(8))
    batch_id: Mapped[str | None] = mapped_column(_str(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    final_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_deliveries_created", "created_at"),
        Index("ix_deliveries_status", "status", "created_at"),
        Index("ix_deliveries_to", "to_number"),
        Index("ix_deliveries_send_state", "send_state"),
        # Sort columns of the GUI's deliveries table (migration 0002): a page in any order is
        # read from an index instead of sorting the whole table.
        Index("ix_deliveries_rank", "status_rank"),
        Index("ix_deliveries_updated", "updated_at"),
        Index("ix_deliveries_error", "error_code"),
        Index("ix_deliveries_segments", "segments"),
    )


class DeliveryEvent(Base):
    """One observation of a delivery: append-only, deduplicated by ``dedup_key``."""

    __tablename__ = "delivery_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL")
    )
    message_sid: Mapped[str | None] = mapped_column(_str(64))
    source: Mapped[str] = mapped_column(_str(16))
    status: Mapped[str] = mapped_column(_str(32))
    applied: Mapped[bool] = mapped_column(Boolean)
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(_text())
    payload: Mapped[str] = mapped_column(_text())
    signature: Mapped[str | None] = mapped_column(_str(16))
    dedup_key: Mapped[str] = mapped_column(_str(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivery: Mapped[Delivery | None] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_events_delivery", "delivery_id", "id"),
        Index("ix_events_sid", "message_sid"),
    )


class InboundMessage(Base):
    """An inbound SMS."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_sid: Mapped[str] = mapped_column(_str(64), unique=True)
    from_number: Mapped[str] = mapped_column(_str(64))
    to_number: Mapped[str] = mapped_column(_str(64))
    body: Mapped[str] = mapped_column(_text())
    account_sid: Mapped[str | None] = mapped_column(_str(64))
    messaging_service_sid: Mapped[str | None] = mapped_column(_str(64))
    num_media: Mapped[int] = mapped_column(Integer, default=0)
    media_urls: Mapped[str] = mapped_column(_text(), default="[]")
    opt_out_type: Mapped[str | None] = mapped_column(_str(16))
    payload: Mapped[str] = mapped_column(_text())
    signature: Mapped[str | None] = mapped_column(_str(16))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_inbound_from", "from_number", "received_at"),)


class OptOut(Base):
    """The current opt-out state of a number (the inbound messages are its history)."""

    __tablename__ = "opt_outs"

    number: Mapped[str] = mapped_column(_str(64), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(Boolean)
    keyword: Mapped[str] = mapped_column(_str(32))
    message_sid: Mapped[str | None] = mapped_column(_str(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookRequest(Base):
    """A request the webhook server received (headers redacted), for the inspector."""

    __tablename__ = "webhook_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    method: Mapped[str] = mapped_column(_str(16))
    path: Mapped[str] = mapped_column(_text())
    query: Mapped[str] = mapped_column(_text())
    headers: Mapped[str] = mapped_column(_text())
    body: Mapped[str] = mapped_column(_text())
    remote: Mapped[str | None] = mapped_column(_str(128))
    status_code: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str | None] = mapped_column(_str(16))
    diagnosis: Mapped[str | None] = mapped_column(_text())
    checked_url: Mapped[str | None] = mapped_column(_text())
    response_body: Mapped[str] = mapped_column(_text())
    duration_ms: Mapped[float] = mapped_column(Float)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_requests_received", "received_at"),)
