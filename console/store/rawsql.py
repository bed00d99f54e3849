"""Driver-level statements for the writer's hot tables: SQL built once, run on the DBAPI cursor.

Every status callback costs the writer an INSERT into delivery_events and webhook_requests and
an INSERT or UPDATE of its delivery. Through SQLAlchemy Core each ``execute`` also builds an
execution context and converts every parameter in Python, which costs several times what SQLite
itself spends on the rows. On SQLite the writer instead runs multi-row statements straight on
the connection's DBAPI cursor (inside the batch's explicit transaction; the driver keeps them
prepared in its statement cache), still converting values with the columns' own SQLAlchemy
types so that the stored text is byte-for-byte what Core would have written (tested in
tests/integration/test_store_rawsql.py).

Other databases keep the Core path: :func:`for_dialect` returns None for them.

New ids come from ``cursor.lastrowid`` after a multi-row INSERT: one statement inserting ``n``
rows into a table with an INTEGER PRIMARY KEY gives them ``n`` consecutive rowids (max(rowid)+1
each; the single writer is the only connection that writes), and the last one names them all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect

T = TypeVar("T")
Converters = tuple[tuple[int, Callable[[Any], Any]], ...]  # (position, bind processor)


def _bind_processors(table: Table, names: Sequence[str], dialect: Dialect) -> Converters:
    """The positions of ``names`` whose type converts values before binding, with the converter."""
    out = []
    for i, name in enumerate(names):
        proc = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            out.append((i, proc))
    return tuple(out)


def _result_processors(table: Table, names: Sequence[str], dialect: Dialect) -> Converters:
    """The positions of ``names`` whose type converts fetched values, with the converter."""
    out = []
    for i, name in enumerate(names):
        proc = table.c[name].type.dialect_impl(dialect).result_processor(dialect, None)
        if proc is not None:
            out.append((i, proc))
    return tuple(out)


def _converted(procs: Converters, values: list[Any]) -> list[Any]:
    """``values`` with each converting column's value converted (None stays None), in place."""
    for i, proc in procs:
        value = values[i]
        if value is not None:
            values[i] = proc(value)
    return values


MAX_VARIABLES = 999  # SQLite's smallest compiled-in limit of parameters per statement
UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33, 0)  # UPDATE … FROM arrived in 3.33


class TableWriter:
    """INSERT (with the new ids) and UPDATE-by-id of one table, as prepared driver statements.

    Many rows go in one multi-row statement rather than an ``executemany``: the driver steps
    each statement once, releasing and re-taking the GIL around every step, and under load each
    re-take waits for the HTTP thread, so a batch costs a handful of steps instead of one per row.
    """

    def __init__(self, table: Table, dialect: Dialect) -> None:
        (key,) = table.primary_key.columns
        self._table = table
        self._dialect = dialect
        self._quote = dialect.identifier_preparer.quote
        self._name = dialect.identifier_preparer.format_table(table)
        self._key = key.name
        self.columns = tuple(c.name for c in table.columns if c is not key)
        self._procs = _bind_processors(table, self.columns, dialect)
        self._insert_head = (
            f"INSERT INTO {self._name} ({', '.join(self._quote(c) for c in self.columns)}) VALUES "
        )
        self._row_marks = f"({', '.join('?' for _ in self.columns)})"
        self._inserts: dict[int, str] = {}
        self._updates: dict[tuple[tuple[str, ...], int], str] = {}
        self._update_procs: dict[tuple[str, ...], Converters] = {}
        names = tuple(c.name for c in table.columns)
        self._select = f"SELECT {', '.join(self._quote(c) for c in names)} FROM {self._name}"
        self._results = _result_processors(table, names, dialect)

    @staticmethod
    def _cursor(conn: Connection) -> sqlite3.Cursor:
        cursor: sqlite3.Cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        return cursor

    def select_in(self, conn: Connection, column: str, values: Sequence[Any]) -> list[list[Any]]:
        """Every row (all columns, in table order) whose ``column`` is one of ``values``."""
        out: list[list[Any]] = []
        cursor = self._cursor(conn)
        try:
            for chunk in _chunks(values, MAX_VARIABLES):
                marks = ", ".join("?" for _ in chunk)
                sql = f"{self._select} WHERE {self._quote(column)} IN ({marks})"
                rows = cursor.execute(sql, tuple(chunk)).fetchall()
                out += [_converted(self._results, list(row)) for row in rows]
        finally:
            cursor.close()
        return out

    def present(self, conn: Connection, column: str, values: Sequence[str]) -> list[str]:
        """Which of ``values`` (of a text ``column``) the table holds."""
        col = self._quote(column)
        out: list[str] = []
        cursor = self._cursor(conn)
        try:
            for chunk in _chunks(values, MAX_VARIABLES):
                marks = ", ".join("?" for _ in chunk)
                sql = f"SELECT {col} FROM {self._name} WHERE {col} IN ({marks})"
                out += [value for (value,) in cursor.execute(sql, tuple(chunk))]
        finally:
            cursor.close()
        return out

    def insert(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert ``rows`` (every column but the key) and return their ids, in order."""
        names, procs = self.columns, self._procs
        ids: list[int] = []
        cursor = self._cursor(conn)
        try:
            for chunk in _chunks(rows, MAX_VARIABLES // len(names)):
                params: list[Any] = []
                for row in chunk:
                    params += _converted(procs, [row[n] for n in names])
                cursor.execute(self._insert_sql(len(chunk)), params)
                if cursor.rowcount != len(chunk) or cursor.lastrowid is None:
                    raise RuntimeError(
                        f"inserted {cursor.rowcount} of {len(chunk)} rows into {self._table.name}"
                    )
                last = cursor.lastrowid
                ids += range(last - len(chunk) + 1, last + 1)
        finally:
            cursor.close()
        return ids

    def _insert_sql(self, count: int) -> str:
        sql = self._inserts.get(count)
        if sql is None:
            sql = self._inserts[count] = self._insert_head + ", ".join([self._row_marks] * count)
        return sql

    def update(
        self, conn: Connection, columns: Iterable[str], rows: Sequence[tuple[int, Sequence[Any]]]
    ) -> None:
        """Set ``columns`` of each ``(id, values)`` row (values in the order of ``columns``;
        each id at most once)."""
        names = tuple(columns)
        procs = self._update_procs.get(names)
        if procs is None:
            procs = self._update_procs[names] = _bind_processors(self._table, names, self._dialect)
        cursor = self._cursor(conn)
        try:
            if not UPDATE_FROM:
                sql = self._update_sql(names, 0)
                cursor.executemany(sql, [(*_converted(procs, list(v)), k) for k, v in rows])
                return
            for chunk in _chunks(rows, MAX_VARIABLES // (len(names) + 1)):
                params: list[Any] = []
                for key, values in chunk:
                    params.append(key)
                    params += _converted(procs, list(values))
                cursor.execute(self._update_sql(names, len(chunk)), params)
        finally:
            cursor.close()

    def _update_sql(self, names: tuple[str, ...], count: int) -> str:
        """``count`` rows in one UPDATE … FROM a VALUES list (0: the one-row executemany form)."""
        sql = self._updates.get((names, count))
        if sql is None:
            q, key = self._quote, self._quote(self._key)
            if count == 0:
                sets = ", ".join(f"{q(n)} = ?" for n in names)
                sql = f"UPDATE {self._name} SET {sets} WHERE {key} = ?"
            else:  # SQLite names the columns of a VALUES list column1, column2, …
                row = f"({', '.join('?' for _ in range(len(names) + 1))})"
                sets = ", ".join(f"{q(n)} = v.column{i + 2}" for i, n in enumerate(names))
                sql = (
                    f"UPDATE {self._name} SET {sets} "
                    f"FROM (VALUES {', '.join([row] * count)}) AS v "
                    f"WHERE {self._name}.{key} = v.column1"
                )
            self._updates[(names, count)] = sql
        return sql


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + size]


class Writers:
    """The table writers of one dialect (built on first use, kept for the engine's life)."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._tables: dict[str, TableWriter] = {}

    def __getitem__(self, table: Table) -> TableWriter:
        found = self._tables.get(table.name)
        if found is None:
            found = self._tables[table.name] = TableWriter(table, self._dialect)
        return found


def for_dialect(dialect: Dialect) -> Writers | None:
    """The driver-level writers for this database, or None where the Core path is used."""
    if dialect.name != "sqlite" or dialect.paramstyle != "qmark":
        return None
    return Writers(dialect)
