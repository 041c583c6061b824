"""Working days and name masking: pure functions, hand cases and properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grants.results.calendar import MAX_WORKING_DAYS, add_working_days, is_working_day, working_days_between
from grants.results.masking import mask_name

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


def test_weekends_are_skipped():
    friday = date(2026, 11, 27)
    assert add_working_days(friday, 1) == date(2026, 11, 30)  # Monday
    assert add_working_days(friday, 5) == date(2026, 12, 4)  # the next Friday
    assert add_working_days(date(2026, 11, 28), 1) == date(2026, 11, 30)  # from a Saturday


def test_holidays_are_skipped_and_worked_weekend_days_count():
    # National Day 2026: 10-01..10-08 off; Sunday 09-27 and Saturday 10-10 worked in exchange.
    holidays = {date(2026, 10, d) for d in range(1, 9)}
    worked = {date(2026, 9, 27), date(2026, 10, 10)}
    published = date(2026, 9, 25)  # a Friday
    assert add_working_days(published, 5, holidays=holidays, worked_weekend_days=worked) == date(2026, 10, 9)
    assert add_working_days(published, 6, holidays=holidays, worked_weekend_days=worked) == date(2026, 10, 10)
    assert add_working_days(published, 5) == date(2026, 10, 2)  # nothing marked: plain weekdays


@pytest.mark.parametrize("days", [0, -1, MAX_WORKING_DAYS + 1])
def test_window_length_out_of_range_is_refused(days):
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 2), days)


@given(days, st.integers(min_value=1, max_value=MAX_WORKING_DAYS), st.sets(days, max_size=20))
def test_the_end_is_a_working_day_with_exactly_n_working_days_after_the_start(start, n, holidays):
    end = add_working_days(start, n, holidays=holidays)
    assert end > start
    assert is_working_day(end, holidays=holidays)
    assert working_days_between(start, end, holidays=holidays) == n
    assert working_days_between(start, end - timedelta(days=1), holidays=holidays) == n - 1


@given(days, st.integers(min_value=1, max_value=MAX_WORKING_DAYS - 1))
def test_one_more_day_never_ends_earlier(start, n):
    assert add_working_days(start, n + 1) > add_working_days(start, n)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三明", "张*明"),
        ("李娜", "李*"),
        ("欧阳娜娜", "欧**娜"),
        ("王", "王"),
        ("John Smith", "J**n S***h"),
        ("  张 三 明 ", "张*明"),
        ("", ""),
    ],
)
def test_names_are_partly_masked(name, masked):
    assert mask_name(name) == masked


@given(st.text(min_size=3, max_size=12).filter(lambda s: " " not in s and s.strip() == s and s.isprintable()))
def test_a_masked_name_never_shows_its_middle(name):
    masked = mask_name(name)
    if len(masked) >= 3:
        assert set(masked[1:-1]) == {"*"}
