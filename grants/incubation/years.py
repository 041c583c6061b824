"""The calendar year or month (Asia/Shanghai) of a stored UTC time, as SQL, so figures group by year
or month in one query."""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class local_year(FunctionElement):  # an SQL function, named as one
    """local_year(column): the year in China of a naive-UTC timestamp column."""

    type = Integer()
    inherit_cache = True
    name = "local_year"


@compiles(local_year, "postgresql")
def _postgresql(element, compiler, **kw) -> str:
    (column,) = element.clauses
    # Literal zone names (no bound parameters), so GROUP BY repeats exactly the selected expression.
    sql = compiler.process(column, **kw)
    return f"CAST(EXTRACT(YEAR FROM ({sql} AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Shanghai') AS INTEGER)"


@compiles(local_year, "sqlite")
def _sqlite(element, compiler, **kw) -> str:
    (column,) = element.clauses
    # SQLite knows no time zones; China has kept UTC+8 without daylight saving since 1991.
    return f"CAST(strftime('%Y', {compiler.process(column, **kw)}, '+8 hours') AS INTEGER)"


class local_month(FunctionElement):
    """local_month(column): the month in China of a naive-UTC timestamp column, as yyyymm (202607)."""

    type = Integer()
    inherit_cache = True
    name = "local_month"


@compiles(local_month, "postgresql")
def _postgresql_month(element, compiler, **kw) -> str:
    (column,) = element.clauses
    sql = compiler.process(column, **kw)
    return f"CAST(to_char(({sql} AT TIME ZONE 'UTC') AT TIME ZONE 'Asia/Shanghai', 'YYYYMM') AS INTEGER)"


@compiles(local_month, "sqlite")
def _sqlite_month(element, compiler, **kw) -> str:
    (column,) = element.clauses
    return f"CAST(strftime('%Y%m', {compiler.process(column, **kw)}, '+8 hours') AS INTEGER)"
