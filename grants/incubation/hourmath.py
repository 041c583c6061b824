"""Volunteer hours arithmetic, pure: hours are stored in half hours (3 = 1.5 h), as money is in fen."""

from __future__ import annotations

from datetime import date


def hours_number(halves: int) -> str:
    """Half hours as hours for people: 25 → "12.5", 24 → "12", 0 → "0"."""
    if halves < 0:
        return "-" + hours_number(-halves)
    whole, half = divmod(int(halves), 2)
    return f"{whole}.5" if half else str(whole)


def format_hours(halves: int, unit: str = "小时") -> str:
    """Half hours with their unit: 25 → "12.5 小时" (the unit is given translated by the caller)."""
    return f"{hours_number(halves)} {unit}"


def calendar_year(day: date) -> tuple[date, date]:
    """The calendar year of a day, first and last day: a certificate's default period."""
    return date(day.year, 1, 1), date(day.year, 12, 31)


def years_between(first: date, last: date) -> list[int]:
    """Every calendar year from the first day's to the last day's, in order."""
    return list(range(first.year, last.year + 1)) if first <= last else []
