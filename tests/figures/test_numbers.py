"""Counts in the district's words (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grants.figures.numbers import chinese_count, chinese_numeral


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "〇"),
        (1, "一"),
        (3, "三"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (35, "三十五"),
        (99, "九十九"),
        (100, "100"),
    ],
)
def test_small_numbers_in_chinese_numerals(n, words):
    assert chinese_numeral(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "0"),
        (8765, "8765"),
        (9999, "9999"),
        (10_000, "1万"),
        (12_345, "1.2万余"),
        (12_000, "1.2万"),
        (20_000, "2万"),
        (150_000, "15万"),
        (150_001, "15万余"),
        (99_999, "9.9万余"),
        (100_000_000, "1亿"),
        (123_456_789, "1.2亿余"),
    ],
)
def test_large_counts_in_wan_rounded_down_with_yu(n, words):
    assert chinese_count(n) == words


@given(st.integers(min_value=10_000, max_value=10**11))
def test_wan_never_overstates_and_says_yu_when_it_leaves_something_out(n):
    words = chinese_count(n)
    unit = 10**8 if "亿" in words else 10**4
    number = float(words.rstrip("余").rstrip("万亿"))
    assert number * unit <= n < (number + 0.1) * unit + 1
    assert words.endswith("余") == (number * unit != n)
