"""Charts of the figures as SVG, drawn on the server: no script, no library, nothing from outside.

Pure (no Flask, no database): numbers and words in, SVG markup out. Every chart is an image with a
name (``role="img"``, ``<title>``) and a description listing each value (``<desc>``), so a screen
reader reads what the bars show; the page puts a table of the same numbers beside it. The drawing
is 360 units wide (a phone's width at 1:1, text stays readable) and scales with the page through its
viewBox, so it never makes a phone scroll sideways. Colours are attributes, not styles (the app's
Content-Security-Policy allows no inline style), so the same SVG also prints in a PDF.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 360
PAD = 4
FONT = 12
SMALL = 11
INK = "#1f2328"
MUTED = "#57606a"
AXIS = "#8c959f"
COLOURS = ("#b23a2e", "#0969da", "#1a7f37", "#9a6700")
LABEL_HEIGHT = 16  # a category's name, on its own line above its bars
BAR_HEIGHT = 14
BAR_GAP = 3
GROUP_GAP = 8
VALUE_ROOM = 96  # right of the longest bar: its value (¥123,456.78 fits)
LEGEND_HEIGHT = 20
COLUMNS_HEIGHT = 140  # the plot of a column chart, without its labels


@dataclass(frozen=True)
class Series:
    """One measure drawn for every category (its bars share a colour and a legend entry)."""

    name: str
    values: Sequence[int]
    colour: str = COLOURS[0]


def _clean(words: str) -> str:
    """The words escaped, without characters XML cannot hold (controls, U+FFFE …): one stray
    character in a name must not break the whole image."""
    kept = "".join(" " if ch < " " or "\ud800" <= ch <= "\udfff" or ch in "\ufffe\uffff" else ch for ch in words)
    return escape(kept)


def _text(x: float, y: float, words: str, *, size: int = FONT, fill: str = INK, anchor: str = "start") -> str:
    return f'<text x="{x:g}" y="{y:g}" font-size="{size}" fill="{fill}" text-anchor="{anchor}">{_clean(words)}</text>'


def _svg(chart_id: str, title: str, description: str, height: float, body: list[str]) -> Markup:
    ident = escape(chart_id)
    # Every word in it went through _clean(), which escapes (labels, values, title, description): safe markup.
    return Markup(  # noqa: S704
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" viewBox="0 0 {WIDTH} {height:g}" '
        f'aria-labelledby="{ident}-title {ident}-desc" id="{ident}">'
        f'<title id="{ident}-title">{_clean(title)}</title><desc id="{ident}-desc">{_clean(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _describe(labels: Sequence[str], series: Sequence[Series], value_text: Callable[[int], str]) -> str:
    parts = []
    for i, label in enumerate(labels):
        values = [f"{s.name} {value_text(s.values[i])}" if len(series) > 1 else value_text(s.values[i]) for s in series]
        parts.append(f"{label}: {', '.join(values)}")
    return "; ".join(parts)


def _legend(series: Sequence[Series]) -> list[str]:
    body, x = [], 0.0
    for s in series:
        body.append(f'<rect x="{x:g}" y="4" width="10" height="10" fill="{s.colour}"/>')
        body.append(_text(x + 14, 13, s.name, size=SMALL))
        x += 14 + len(s.name) * SMALL + 12
    return body


def bars(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    value_text: Callable[[int], str] = str,
) -> Markup:
    """Horizontal bars, one group per label, one bar per series in the group: each label on its own
    line (long names of communities and editions stay whole on a phone), each value at its bar's end."""
    top = LEGEND_HEIGHT if len(series) > 1 else 0
    body = _legend(series) if len(series) > 1 else []
    largest = max((v for s in series for v in s.values), default=0)
    room = WIDTH - VALUE_ROOM
    group = LABEL_HEIGHT + len(series) * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP
    for i, label in enumerate(labels):
        y = top + i * group
        body.append(_text(0, y + LABEL_HEIGHT - 4, label))
        for j, s in enumerate(series):
            value = s.values[i]
            bar_y = y + LABEL_HEIGHT + j * (BAR_HEIGHT + BAR_GAP)
            length = round(room * value / largest, 1) if largest > 0 and value > 0 else 0
            if length:
                body.append(
                    f'<rect x="0" y="{bar_y:g}" width="{max(length, 1):g}" height="{BAR_HEIGHT}" fill="{s.colour}"/>'
                )
            body.append(_text(length + 4, bar_y + BAR_HEIGHT - 3, value_text(value), size=SMALL, fill=MUTED))
    height = top + max(1, len(labels)) * group
    return _svg(chart_id, title, _describe(labels, series, value_text), height, body)


def columns(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[int],
    *,
    ticks: Sequence[tuple[int, str]] = (),
    value_text: Callable[[int], str] = str,
    colour: str = COLOURS[1],
) -> Markup:
    """Vertical columns in order (months): ``ticks`` names some columns under the axis (index, words);
    the largest value is written at the top, and every value on its column when there are few."""
    count = max(1, len(values))
    largest = max(values, default=0)
    plot_top, plot_bottom = 18, 18 + COLUMNS_HEIGHT
    step = (WIDTH - 2 * PAD) / count
    width = max(step * 0.7, 1)
    body = [
        f'<line x1="{PAD}" y1="{plot_bottom}" x2="{WIDTH - PAD}" y2="{plot_bottom}" stroke="{AXIS}" stroke-width="1"/>'
    ]
    if largest > 0:
        body.append(
            f'<line x1="{PAD}" y1="{plot_top}" x2="{WIDTH - PAD}" y2="{plot_top}" stroke="{AXIS}" '
            'stroke-width="0.5" stroke-dasharray="3 3"/>'
        )
        body.append(_text(PAD, plot_top - 4, value_text(largest), size=SMALL, fill=MUTED))
    for i, value in enumerate(values):
        x = PAD + i * step + (step - width) / 2
        height = round(COLUMNS_HEIGHT * value / largest, 1) if largest > 0 else 0
        if height > 0:
            body.append(
                f'<rect x="{x:.1f}" y="{plot_bottom - height:.1f}" width="{width:.1f}" height="{height:g}" '
                f'fill="{colour}"/>'
            )
        if count <= 12 and value > 0 and value != largest:
            body.append(
                _text(
                    x + width / 2, plot_bottom - height - 3, value_text(value), size=SMALL, fill=MUTED, anchor="middle"
                )
            )
    for index, words in ticks:
        x = PAD + index * step + step / 2
        body.append(f'<line x1="{x:.1f}" y1="{plot_bottom}" x2="{x:.1f}" y2="{plot_bottom + 3}" stroke="{AXIS}"/>')
        anchor = "start" if x < 24 else "end" if x > WIDTH - 24 else "middle"  # the words stay inside
        body.append(_text(x, plot_bottom + 15, words, size=SMALL, fill=MUTED, anchor=anchor))
    description = "; ".join(f"{label}: {value_text(value)}" for label, value in zip(labels, values, strict=True))
    return _svg(chart_id, title, description, plot_bottom + 20, body)
