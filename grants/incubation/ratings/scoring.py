"""The arithmetic of star rating: points in half points (an integer, as money is in fen), the mean of
the panel's totals as an exact fraction, the cut-offs, the indicator system as text, expiry.

No Flask, no database: property-tested in tests/incubation/test_rating_scoring.py.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

STARS = (3, 4, 5)  # 三星, 四星, 五星; 0 = below the three-star cut-off (not rated)
VALID_YEARS = 3  # a group's stars are current for three years from the day they became final
POINTS_RE = re.compile(r"^\s*(\d{1,3})(?:\.(0|5))?\s*$")


class IndicatorError(ValueError):
    """A line of the indicator text that cannot be read: ``line`` is its number (1-based)."""

    def __init__(self, line: int, problem: str):
        super().__init__(f"{line}: {problem}")
        self.line, self.problem = line, problem


@dataclass(frozen=True)
class Cutoffs:
    """The least total (in half points) for three, four and five stars."""

    three: int
    four: int
    five: int

    def problem(self, total_max: int) -> str | None:
        """Why these cut-offs cannot be used with an indicator system worth ``total_max``, or None."""
        if not 0 < self.three < self.four < self.five:
            return "order"
        if self.five > total_max:
            return "above_total"
        return None


@dataclass(frozen=True)
class Line:
    indicator: str  # 一级指标, e.g. 党建引领
    name: str  # 二级指标
    max_halves: int


DEFAULT_CUTOFFS = Cutoffs(three=140, four=160, five=180)  # ≥ 70 / 80 / 90 points


def parse_points(text: str) -> int | None:
    """'7.5' → 15 half points; None for anything else (negative, a third decimal, 7.3, words)."""
    match = POINTS_RE.match(text or "")
    if not match:
        return None
    return int(match.group(1)) * 2 + (1 if match.group(2) == "5" else 0)


def format_halves(halves: int | None) -> str:
    """15 → '7.5', 14 → '7'."""
    if halves is None:
        return ""
    whole, half = divmod(halves, 2)
    return f"{whole}.5" if half else str(whole)


def format_fraction(value: Fraction | None) -> str:
    """A mean in half points shown in points with one decimal, rounded half up (display only)."""
    if value is None:
        return ""
    tenths = math.floor(value * 5 + Fraction(1, 2))  # half points → tenths of a point: × 5
    whole, rest = divmod(tenths, 10)
    return f"{whole}.{rest}"


def total(points: dict[int, int]) -> int:
    return sum(points.values())


def stars_for(score: Fraction | int, cutoffs: Cutoffs) -> int:
    """The stars a total (or a mean) in half points earns: exact comparison, no float."""
    score = Fraction(score)
    if score >= cutoffs.five:
        return 5
    if score >= cutoffs.four:
        return 4
    if score >= cutoffs.three:
        return 3
    return 0


def mean(totals: list[int]) -> Fraction | None:
    """The mean of the assessors' totals (half points) as an exact fraction; None without a total."""
    return Fraction(sum(totals), len(totals)) if totals else None


def proposed_stars(totals: list[int], cutoffs: Cutoffs) -> int | None:
    """The cut-offs applied to the mean of the panel's totals; None before any assessor scored."""
    value = mean(totals)
    return None if value is None else stars_for(value, cutoffs)


@dataclass(frozen=True)
class Spread:
    """How far the assessors disagree: lowest, highest, range (half points) and the population
    standard deviation in points (display only)."""

    low: int
    high: int
    range: int
    std_points: float


def spread(totals: list[int]) -> Spread | None:
    if not totals:
        return None
    mu = Fraction(sum(totals), len(totals))
    variance = sum((Fraction(t) - mu) ** 2 for t in totals) / len(totals)
    return Spread(min(totals), max(totals), max(totals) - min(totals), math.sqrt(variance) / 2)


def check_points(points: dict[int, int], maxima: dict[int, int]) -> list[int]:
    """The criteria whose points are missing, negative or above their maximum."""
    return [cid for cid, most in maxima.items() if not (isinstance(points.get(cid), int) and 0 <= points[cid] <= most)]


def parse_indicators(text: str) -> list[Line]:
    """The indicator system from text, one sub-indicator a line: ``一级指标 | 二级指标 | 分值``
    (points in whole or half points); blank lines are skipped.

    Raises: IndicatorError naming the line and the problem ("format", "points", "duplicate", "empty").
    """
    lines: list[Line] = []
    seen: set[tuple[str, str]] = set()
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.replace("｜", "|").split("|")]
        if len(parts) != 3 or not parts[0] or not parts[1] or len(parts[0]) > 40 or len(parts[1]) > 60:
            raise IndicatorError(number, "format")
        halves = parse_points(parts[2])
        if not halves:
            raise IndicatorError(number, "points")
        if (parts[0], parts[1]) in seen:
            raise IndicatorError(number, "duplicate")
        seen.add((parts[0], parts[1]))
        lines.append(Line(parts[0], parts[1], halves))
    if not lines:
        raise IndicatorError(0, "empty")
    return lines


def indicators_text(lines: list[Line] | tuple[Line, ...]) -> str:
    return "\n".join(f"{line.indicator} | {line.name} | {format_halves(line.max_halves)}" for line in lines)


def expires_on(final_on: date) -> date:
    """The first day the stars are no longer current: three years after they became final
    (29 February → 1 March)."""
    try:
        return final_on.replace(year=final_on.year + VALID_YEARS)
    except ValueError:
        return date(final_on.year + VALID_YEARS, 3, 1)


def is_current(final_on: date, on: date) -> bool:
    return final_on <= on < expires_on(final_on)
