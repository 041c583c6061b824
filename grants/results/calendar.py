"""Working days for objection windows: weekends skipped, the district's holidays skipped, and
weekend days worked in exchange (调休上班) counted. No Flask, no database.

>>> from datetime import date
>>> # Published on Friday 2026-09-25; National Day holidays 10-01..10-08; Sunday 09-27 and
>>> # Saturday 10-10 are worked in exchange. Five working days: 09-27, 09-28, 09-29, 09-30, 10-09.
>>> holidays = {date(2026, 10, d) for d in range(1, 9)}
>>> worked = {date(2026, 9, 27), date(2026, 10, 10)}
>>> add_working_days(date(2026, 9, 25), 5, holidays=holidays, worked_weekend_days=worked)
datetime.date(2026, 10, 9)
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

MAX_WORKING_DAYS = 30


def is_working_day(day: date, *, holidays: Collection[date] = (), worked_weekend_days: Collection[date] = ()) -> bool:
    if day in holidays:
        return False
    if day in worked_weekend_days:
        return True
    return day.weekday() < 5


def add_working_days(
    start: date, days: int, *, holidays: Collection[date] = (), worked_weekend_days: Collection[date] = ()
) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted).

    Raises: ValueError when ``days`` is not between 1 and MAX_WORKING_DAYS.
    """
    if not 1 <= days <= MAX_WORKING_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_WORKING_DAYS}: {days}")
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, holidays=holidays, worked_weekend_days=worked_weekend_days):
            counted += 1
    return day


def working_days_between(
    start: date, end: date, *, holidays: Collection[date] = (), worked_weekend_days: Collection[date] = ()
) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end ≤ start)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, holidays=holidays, worked_weekend_days=worked_weekend_days)
    return count
