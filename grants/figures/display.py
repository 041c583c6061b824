"""The charts of a page of figures, in the visitor's language: the figures as the pure chart module's
input (labels, series, formatted values). No query."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from grants.figures import charts
from grants.figures.charts import COLOURS, Series
from grants.figures.queries import STAR_LEVELS, Figures, MonthCount
from grants.incubation.ratings.states import stars_label
from grants.incubation.states import group_kind_label
from grants.money import format_fen


def star_level_label(level: int) -> str:
    return stars_label(level) if level else _("无星级")


def month_label(month: MonthCount) -> str:
    return _("%(year)d年%(month)d月", year=month.year, month=month.month)


def helpers() -> dict:
    """What the figures templates call besides the figures."""
    return {"month_label": month_label, "star_level_label": star_level_label}


def _month_ticks(months: list[MonthCount]) -> list[tuple[int, str]]:
    """Which columns are named under the axis: each month of one year, else each January (and the first)."""
    if len(months) <= 12:  # the months' numbers (the chart's name says they are months)
        return [(i, str(m.month)) for i, m in enumerate(months)]
    step = 1 if len(months) <= 48 else 2
    ticks = [(i, str(m.year)) for i, m in enumerate(months) if m.month == 1 and (m.year % step == 0 or i == 0)]
    if not ticks or ticks[0][0] > 2:
        ticks.insert(0, (0, str(months[0].year)))
    return ticks


def _community_label(row) -> str:
    return row.community.full_name if row.community is not None else _("未填写社区")


def build(figures: Figures) -> dict[str, Markup | None]:
    """{name: SVG} of every chart with something to show (None when its figures are all zero)."""
    found: dict[str, Markup | None] = {}
    editions = figures.editions
    money = [
        Series(_("核定资助"), [r.money.approved_fen for r in editions], COLOURS[0]),
        Series(_("已拨付"), [r.money.disbursed_fen for r in editions], COLOURS[1]),
        Series(_("已支出"), [r.money.spent_fen for r in editions], COLOURS[2]),
    ]
    found["money"] = (
        charts.bars(
            "chart-money", _("各届资金：核定、拨付、支出"), [r.name for r in editions], money, value_text=format_fen
        )
        if any(v for s in money for v in s.values)
        else None
    )
    months = figures.months
    found["months"] = (
        charts.columns(
            "chart-months",
            _("每月已核实活动（场次）"),
            [month_label(m) for m in months],
            [m.activities for m in months],
            ticks=_month_ticks(months),
        )
        if any(m.activities for m in months)
        else None
    )
    kinds = list(figures.groups_by_kind)
    found["kinds"] = (
        charts.bars(
            "chart-kinds",
            _("三自组织：按类型（个）"),
            [group_kind_label(k) for k in kinds],
            [Series(_("组织"), [figures.groups_by_kind[k] for k in kinds], COLOURS[2])],
        )
        if figures.groups
        else None
    )
    found["stars"] = (
        charts.bars(
            "chart-stars",
            _("三自组织：按当前星级（个）"),
            [star_level_label(level) for level in STAR_LEVELS],
            [Series(_("组织"), [figures.groups_by_stars[level] for level in STAR_LEVELS], COLOURS[3])],
        )
        if figures.groups
        else None
    )
    communities = [row for row in figures.communities if row.community is not None]
    found["communities"] = (
        charts.bars(
            "chart-communities",
            _("各社区已核实活动（场次）"),
            [_community_label(row) for row in communities],
            [Series(_("已核实活动"), [row.activities for row in communities], COLOURS[1])],
        )
        if len(communities) > 1 and any(row.activities for row in communities)
        else None
    )
    return found
