"""The annual report's content in the reader's language: the figures of a place and year laid out
as the numbered tables of a statistical appendix. The PDF and the XLSX are both written from these
tables (grants/figures/annual/files.py), so they say the same, and the numbers are the figures
page's own (grants/figures/queries.py), never counted a second way. No query here.

Numbers stay numbers: counts as ``int``, money as exact yuan (``Decimal``, two decimals), hours as
``Decimal`` halves / 2; each table names the number format of its numeric columns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from markupsafe import Markup

from grants.figures import display, summary
from grants.figures.annual.spending import CategorySpent
from grants.figures.queries import STAR_LEVELS, CommunityRow, Figures
from grants.incubation.states import group_kind_label
from grants.reports.tables import AMOUNT, COUNT, HOURS, INTEGER, Table


def yuan(fen: int) -> Decimal:
    """Fen as exact yuan (a numeric cell with two decimals)."""
    return Decimal(int(fen)).scaleb(-2)


def hours(halves: int) -> Decimal:
    return Decimal(int(halves)) / 2


@dataclass
class ReportTable:
    """One numbered table: its title names the XLSX sheet and captions the PDF table."""

    table: Table
    chart: Markup | None = None
    totals: set[int] = field(default_factory=set)  # rows printed as totals (合计, 小计)


@dataclass
class Section:
    heading: str  # "一、大赛概况"
    tables: list[ReportTable]
    wide: bool = False  # printed on landscape pages (a table of many columns)


@dataclass
class AnnualReport:
    office: str  # the district office that reports (its name printed on notices)
    title: str
    place: str  # what is counted: the district (全区) or one street
    year: int
    summary: str  # the district's one-line sentence, with this year's numbers
    made_on: date
    sections: list[Section]

    @property
    def period(self) -> str:
        if self.made_on.year == self.year:  # the year so far
            return _(
                "统计期间：%(year)d年1月1日至%(month)d月%(day)d日（制表日）",
                year=self.year,
                month=self.made_on.month,
                day=self.made_on.day,
            )
        return _("统计期间：%(year)d年1月1日至12月31日", year=self.year)

    @property
    def note(self) -> str:
        return _("本报表所有数字均由平台中已确认的记录统计生成。")

    def cover_table(self) -> Table:
        """The XLSX's first sheet: what the report is, whose, of when, made when."""
        return Table(
            title=_("报表说明"),
            headers=[_("项目"), _("内容")],
            rows=[
                [_("报表名称"), self.title],
                [_("编制单位"), self.office],
                [_("年度"), self.year],
                [_("统计范围"), self.place],
                [_("概述"), self.summary],
                [_("制表日期"), self.made_on.isoformat()],
                [_("数据说明"), self.note],
            ],
            formats={1: INTEGER},
        )

    def tables(self) -> list[Table]:
        """Every table in order, the cover first (the XLSX's sheets)."""
        return [self.cover_table()] + [t.table for s in self.sections for t in s.tables]


def _column_sums(rows: list[list], first: int) -> list:
    """The sum of each column from ``first`` on (numbers only: the subtotal of a street)."""
    width = len(rows[0]) if rows else 0
    return [sum((row[column] for row in rows), start=0) for column in range(first, width)]


def _competitions(figures: Figures) -> ReportTable:
    rows = [[row.name, 1 if row.held else 0, row.proposals, row.funded] for row in figures.editions]
    total = [_("合计"), figures.editions_held, figures.proposals, figures.funded]
    table = Table(
        title=_("表1 大赛概况"),
        headers=[_("届次"), _("当年举办（届）"), _("收到申报（份）"), _("获资助项目（个）")],
        rows=[*rows, total],
        formats={1: COUNT, 2: COUNT, 3: COUNT},
    )
    return ReportTable(table, totals={len(rows)})


def _money(figures: Figures, charts: dict) -> ReportTable:
    rows = [
        [
            row.name,
            yuan(row.money.approved_fen),
            yuan(row.money.disbursed_fen),
            yuan(row.money.spent_fen),
            yuan(row.money.returned_fen),
        ]
        for row in figures.editions
    ]
    money = figures.money
    total = [
        _("合计"),
        yuan(money.approved_fen),
        yuan(money.disbursed_fen),
        yuan(money.spent_fen),
        yuan(money.returned_fen),
    ]
    table = Table(
        title=_("表2-1 各届资金情况"),
        headers=[_("届次"), _("核定资助（元）"), _("已拨付（元）"), _("已支出（元）"), _("结余退回（元）")],
        rows=[*rows, total],
        formats={1: AMOUNT, 2: AMOUNT, 3: AMOUNT, 4: AMOUNT},
    )
    return ReportTable(table, chart=charts.get("money"), totals={len(rows)})


def _spending(figures: Figures, spent: list[CategorySpent]) -> ReportTable:
    by_edition: dict[int, list[CategorySpent]] = defaultdict(list)
    for row in spent:
        by_edition[row.edition_id].append(row)
    rows = [
        [edition.name, row.category, yuan(row.spent_fen)]
        for edition in figures.editions
        for row in by_edition[edition.id]
    ]
    total = [_("合计"), "", yuan(sum(row.spent_fen for row in spent))]
    table = Table(
        title=_("表2-2 已支出按支出类别"),
        headers=[_("届次"), _("支出类别"), _("已支出（元）")],
        rows=[*rows, total],
        formats={2: AMOUNT},
    )
    return ReportTable(table, totals={len(rows)})


def _kinds(figures: Figures, charts: dict) -> ReportTable:
    rows = [[group_kind_label(kind), n] for kind, n in figures.groups_by_kind.items()]
    table = Table(
        title=_("表3-1 三自组织按类型"),
        headers=[_("类型"), _("组织（个）")],
        rows=[*rows, [_("合计"), figures.groups]],
        formats={1: COUNT},
    )
    return ReportTable(table, chart=charts.get("kinds"), totals={len(rows)})


def _stars(figures: Figures, charts: dict) -> ReportTable:
    rows = [[display.star_level_label(level), figures.groups_by_stars[level]] for level in STAR_LEVELS]
    table = Table(
        title=_("表3-2 三自组织按当前星级"),
        headers=[_("当前星级"), _("组织（个）")],
        rows=[*rows, [_("合计"), figures.groups]],
        formats={1: COUNT},
    )
    return ReportTable(table, chart=charts.get("stars"), totals={len(rows)})


def _months(figures: Figures, charts: dict) -> ReportTable:
    rows = [[display.month_label(month), month.activities] for month in figures.months]
    table = Table(
        title=_("表3-3 每月已核实活动"),
        headers=[_("月份"), _("已核实活动（场次）")],
        rows=[*rows, [_("合计"), figures.activities]],
        formats={1: COUNT},
    )
    return ReportTable(table, chart=charts.get("months"), totals={len(rows)})


def _service(figures: Figures) -> ReportTable:
    table = Table(
        title=_("表3-4 服务成效"),
        headers=[_("已核实活动（场次）"), _("惠及居民（人次）"), _("志愿服务时长（小时）")],
        rows=[[figures.activities, figures.served, hours(figures.volunteer_halves)]],
        formats={0: COUNT, 1: COUNT, 2: HOURS},
    )
    return ReportTable(table)


def _community_cells(row: CommunityRow) -> list:
    return [
        row.proposals,
        row.funded,
        yuan(row.approved_fen),
        row.activities,
        row.served,
        hours(row.volunteer_halves),
        row.groups,
    ]


def _places(figures: Figures, charts: dict) -> ReportTable:
    """A row per community under its street, a subtotal per street when there are several, the total."""
    rows: list[list] = []
    totals: set[int] = set()
    communities = [row for row in figures.communities if row.community is not None]
    streets = list(dict.fromkeys(row.street for row in communities))
    for street in streets:
        own = [[street, row.name, *_community_cells(row)] for row in communities if row.street == street]
        rows += own
        if len(streets) > 1:
            totals.add(len(rows))
            rows.append([street, _("小计"), *_column_sums(own, first=2)])
    unnamed = [row for row in figures.communities if row.community is None]
    rows += [["", _("未填写社区"), *_community_cells(row)] for row in unnamed]
    totals.add(len(rows))
    rows.append(
        [
            _("合计"),
            "",
            figures.proposals,
            figures.funded,
            yuan(figures.money.approved_fen),
            figures.activities,
            figures.served,
            hours(figures.volunteer_halves),
            figures.groups,
        ]
    )
    table = Table(
        title=_("表4 分街道、社区统计"),
        headers=[
            _("街道"),
            _("社区"),
            _("收到申报（份）"),
            _("获资助项目（个）"),
            _("核定资助（元）"),
            _("已核实活动（场次）"),
            _("惠及居民（人次）"),
            _("志愿服务时长（小时）"),
            _("三自组织（个）"),
        ],
        rows=rows,
        formats={2: COUNT, 3: COUNT, 4: AMOUNT, 5: COUNT, 6: COUNT, 7: HOURS, 8: COUNT},
    )
    return ReportTable(table, chart=charts.get("communities"), totals=totals)


def place_words(figures: Figures) -> str:
    scope = figures.scope
    if scope.street is not None:
        return scope.street.name
    return _("%(district)s（全区）", district=scope.district.name)


def build(figures: Figures, spent: list[CategorySpent], *, made_on: date) -> AnnualReport:
    """The report of a year's figures (``figures.scope.year`` is set) in the reader's language."""
    scope = figures.scope
    if scope.year is None:
        raise ValueError("an annual report counts one calendar year")
    charts = display.build(figures)
    office = scope.district.office_name or scope.district.name
    return AnnualReport(
        office=office,
        title=_("%(year)d年度社区公益微创投工作统计报表", year=scope.year),
        place=place_words(figures),
        year=scope.year,
        summary=summary.sentence(figures),
        made_on=made_on,
        sections=[
            Section(_("一、大赛概况"), [_competitions(figures)]),
            Section(_("二、资金情况"), [_money(figures, charts), _spending(figures, spent)]),
            Section(
                _("三、孵化成效"),
                [_kinds(figures, charts), _stars(figures, charts), _months(figures, charts), _service(figures)],
            ),
            Section(_("四、分街道/社区统计"), [_places(figures, charts)], wide=True),
        ],
    )
