"""大写金额: table of the cases banks get wrong, and a parser of the output back to fen."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grants.funding.capitals import DIGITS, MAX_FEN, fen_to_capitals


@pytest.mark.parametrize(
    ("fen", "words"),
    [
        (0, "零元整"),
        (1, "壹分"),
        (50, "伍角"),
        (55, "伍角伍分"),
        (100, "壹元整"),
        (1_000, "壹拾元整"),
        (10_050, "壹佰元伍角"),
        (10_001, "壹佰元零壹分"),
        (380_001, "叁仟捌佰元零壹分"),
        (1_200_000, "壹万贰仟元整"),
        (1_000_100, "壹万零壹元整"),
        (101_000, "壹仟零壹拾元整"),
        (100_000_000, "壹佰万元整"),
        (100_500_000, "壹佰万伍仟元整"),
        (10_050_000, "壹拾万零伍佰元整"),
        (1_000_000_100, "壹仟万零壹元整"),
        (10_000_000_100, "壹亿零壹元整"),
        (10_001_000_000, "壹亿零壹万元整"),
        (12_000_000_000, "壹亿贰仟万元整"),
        (1_234_567_890_123, "壹佰贰拾叁亿肆仟伍佰陆拾柒万捌仟玖佰零壹元贰角叁分"),
        (MAX_FEN, "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_capitals_of_tricky_amounts(fen, words):
    assert fen_to_capitals(fen) == words


@pytest.mark.parametrize("bad", [-1, MAX_FEN + 1, 1.5, "100", True])
def test_negative_huge_or_non_integer_amounts_are_refused(bad):
    with pytest.raises(ValueError):
        fen_to_capitals(bad)


_SMALL = {"拾": 10, "佰": 100, "仟": 1000}


def _section(text: str) -> int:
    """A group of up to four digits: '贰仟零伍' → 2005 (every digit carries its unit)."""
    total, digit = 0, None
    for char in text:
        if char == "零":
            assert digit is None, "零 right after a digit without a unit"
            continue
        if char in DIGITS:
            assert digit is None, "two digits in a row"
            digit = DIGITS.index(char)
        else:
            assert digit is not None and char in _SMALL, f"unit without digit in {text}"
            total += digit * _SMALL[char]
            digit = None
    return total + (digit or 0)


def parse_capitals(words: str) -> int:
    """The inverse of fen_to_capitals, written independently, strict about the form."""
    match = re.fullmatch(r"(?:(.+)元)?(?:(零)?([壹贰叁肆伍陆柒捌玖])角)?(?:零?([壹贰叁肆伍陆柒捌玖])分)?(整)?", words)
    assert match, words
    integer, _zero, jiao, fen, whole = match.groups()
    assert bool(whole) == (jiao is None and fen is None), "整 exactly when there are no 角 and 分"
    yuan = 0
    if integer and integer != "零":
        rest = integer
        if "亿" in rest:
            high, rest = rest.split("亿")
            yuan += _section(high) * 10**8
        if "万" in rest:
            middle, rest = rest.split("万")
            yuan += _section(middle) * 10**4
        yuan += _section(rest)
        assert not integer.startswith("零") and "零零" not in integer
    return yuan * 100 + (DIGITS.index(jiao) * 10 if jiao else 0) + (DIGITS.index(fen) if fen else 0)


@given(st.integers(min_value=0, max_value=10**12))
def test_parsing_the_capitals_gives_back_the_amount(fen):
    words = fen_to_capitals(fen)
    assert parse_capitals(words) == fen
    assert "零零" not in words
    assert fen == 0 or not words.startswith("零")


@given(st.integers(min_value=1, max_value=10**8), st.sampled_from([1, 10, 100, 10_000, 1_000_000]))
def test_amounts_with_many_zeros_round_trip(digits, scale):
    fen = min(digits * scale, MAX_FEN)
    assert parse_capitals(fen_to_capitals(fen)) == fen
