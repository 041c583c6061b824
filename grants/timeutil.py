"""Time: stored in UTC, shown in Asia/Shanghai."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# Set only by as_of(): the demo replays a past year through the services, whose rules and stamps
# (an activity logged within 30 days, the time a row was recorded) then read that moment.
_AS_OF: ContextVar[datetime | None] = ContextVar("as_of", default=None)


def now() -> datetime:
    return _AS_OF.get() or datetime.now(UTC)


@contextmanager
def as_of(moment: datetime) -> Iterator[None]:
    """Within the block, now() and today() answer ``moment`` (an aware datetime)."""
    token = _AS_OF.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _AS_OF.reset(token)


def today() -> date:
    """Today's date in Beijing (a date a user types is a local date)."""
    return now().astimezone(LOCAL_TZ).date()


def to_local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TZ)


def local_to_utc(value: datetime) -> datetime:
    """Interpret a naive datetime entered by a user as Asia/Shanghai time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(UTC)


def local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ).astimezone(UTC)


def year_days(year: int) -> tuple[date, date]:
    """The calendar year as a half-open range of dates [1 January, next 1 January), for stored dates."""
    return date(year, 1, 1), date(year + 1, 1, 1)


def local_year_bounds(year: int) -> tuple[datetime, datetime]:
    """The calendar year in Beijing as a half-open UTC range [1 January 00:00, next 1 January 00:00)."""
    first, after = year_days(year)
    return local_day_start(first), local_day_start(after)


def format_deadline(value: datetime | None) -> str:
    """The end of a period as people say it, the one form used everywhere (pages, notices,
    refusals): a period ending at local midnight ends at "24:00" of the day before."""
    if value is None:
        return ""
    local = to_local(value)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return (local - timedelta(days=1)).strftime("%Y-%m-%d") + " 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def format_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return to_local(value).strftime(fmt)
