"""Geometry of the judge-bias chart: each judge's mean total against the round's mean.

Pure (no Flask, no database): the template draws the SVG from these numbers, so the chart needs
no script and no library, and prints as it shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

ROW_HEIGHT = 28
LABEL_WIDTH = 120
BAR_WIDTH = 360
PADDING = 8


@dataclass(frozen=True)
class Bar:
    label: str
    mean: float
    y: int
    width: float
    difference: float  # judge mean − round mean
    lenient: bool


@dataclass(frozen=True)
class BiasChart:
    bars: list[Bar]
    round_mean: float
    mean_x: float
    width: int
    height: int
    label_width: int = LABEL_WIDTH
    bar_height: int = ROW_HEIGHT - 10


def judge_bias(judges: Sequence[tuple[str, float]], round_mean: float, max_total: float) -> BiasChart:
    """Bars of length mean / max_total, in the order given, and the x of the round-mean line."""
    scale = BAR_WIDTH / max_total if max_total > 0 else 0.0
    bars = [
        Bar(
            label=label,
            mean=value,
            y=PADDING + i * ROW_HEIGHT,
            width=round(max(0.0, min(value, max_total)) * scale, 1),
            difference=value - round_mean,
            lenient=value >= round_mean,
        )
        for i, (label, value) in enumerate(judges)
    ]
    return BiasChart(
        bars=bars,
        round_mean=round_mean,
        mean_x=round(LABEL_WIDTH + min(round_mean, max_total) * scale, 1),
        width=LABEL_WIDTH + BAR_WIDTH + 70,
        height=2 * PADDING + max(1, len(bars)) * ROW_HEIGHT,
    )
