"""Many rows at the driver's own speed, for sweeps that write thousands of rows per batch.

Through SQLAlchemy, an executemany spends more per row in Python (building and converting each row's parameters)
than the database spends storing the row. These helpers go around it: each column's values are converted here, by
the column type's own bind processing, then handed to the driver (COPY on PostgreSQL, the DB-API executemany on
SQLite). The outbox, `audit.record_many` and the reminder sweep's claim use them.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Dialect, Table, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import sqltypes
from sqlalchemy.types import TypeEngine


async def insert_rows(
    session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert many rows (tuples of the `columns`' values) in the caller's transaction: COPY on PostgreSQL, the
    DB-API executemany on SQLite. Every column must be given: no Python-side default is applied here."""
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql" and dialect.paramstyle != "qmark":
        await connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    quote = dialect.identifier_preparer.quote
    target = f"{dialect.identifier_preparer.format_table(table)} ({', '.join(quote(name) for name in columns)})"
    if dialect.name == "postgresql":
        await _copy(connection, table, target, columns, rows)
    else:
        marks = ", ".join(["?"] * len(columns))
        values = driver_values(dialect, table, columns, rows)
        await connection.exec_driver_sql(f"INSERT INTO {target} VALUES ({marks})", values)  # noqa: S608 (names from the table)


def driver_values(
    dialect: Dialect, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[tuple[Any, ...]]:
    """The rows as the driver takes them: each value converted as SQLAlchemy would bind it to its column."""
    return _converted_rows([table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns], rows)


async def _copy(
    connection: AsyncConnection, table: Table, target: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Binary COPY (psycopg's): no text escaping of the values (a mail body has many line breaks), half the work of
    a text COPY."""
    formats = [_copy_format(connection.dialect, table.c[name].type) for name in columns]
    driver = (await connection.get_raw_connection()).driver_connection  # psycopg's, in this transaction
    assert driver is not None
    async with driver.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([type_name for _, type_name in formats])
        for row in _converted_rows([processor for processor, _ in formats], rows):
            await copy.write_row(row)


def _copy_format(dialect: Dialect, column_type: TypeEngine[Any]) -> tuple[Callable[[Any], Any] | None, str]:
    """How a column's values go into a binary COPY: their conversion, and the type psycopg sends them as, which is
    SQLAlchemy's name for the column's type ("varchar(254)" is a varchar). JSON goes as its text, which is what
    binary JSON is: serialized here (with SQLAlchemy's serializer) once per distinct value, where psycopg would
    serialize each row's."""
    if isinstance(column_type, sqltypes.JSON):
        serialize = getattr(dialect, "_json_serializer", None) or json.dumps
        return (lambda value: None if value is None else serialize(value)), "text"
    impl = column_type.dialect_impl(dialect)
    return impl.bind_processor(dialect), dialect.type_compiler_instance.process(impl).split("(")[0].lower()


def _converted_rows(
    processors: Sequence[Callable[[Any], Any] | None], rows: Sequence[Sequence[Any]]
) -> list[tuple[Any, ...]]:
    by_column = zip(*rows, strict=True)
    return list(zip(*(_converted(p, values) for p, values in zip(processors, by_column, strict=True)), strict=True))


def _converted(processor: Callable[[Any], Any] | None, values: Sequence[Any]) -> Sequence[Any]:
    if processor is None:
        return values
    if len(set(map(id, values))) == len(values):
        return list(map(processor, values))
    # Values many rows share (the batch's timestamp, one `headers` dict) are converted once each: by identity,
    # which is unique among objects alive together, and `values` keeps them all alive.
    converted: dict[int, Any] = {}
    for value in values:
        if id(value) not in converted:
            converted[id(value)] = processor(value)
    return [converted[id(value)] for value in values]


def new_ids(count: int) -> list[uuid.UUID]:
    """`count` random (version 4) UUIDs as `uuid.uuid4()` makes them, from one read of the OS's random source:
    `uuid4` reads it once per id, and a sweep makes a few hundred thousand ids."""
    data = os.urandom(16 * count)
    return [
        uuid.UUID(int=int.from_bytes(data[start : start + 16]) & _UUID4_KEEP | _UUID4_SET)
        for start in range(0, 16 * count, 16)
    ]


_UUID4_KEEP = ~((0xF000 << 64) | (0xC000 << 48))  # the version and variant bits are cleared…
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)  # …and set: version 4, RFC 4122 variant
