"""Tables as downloads: CSV (UTF-8 with BOM, so Excel in Chinese opens it right) and XLSX.

The one writer every export goes through. Text cells are made harmless for the reader's
spreadsheet (no formula, no control character; OWASP's CSV injection advice); numbers stay
numbers — numeric XLSX cells with a number format, plain numbers in the CSV — so SUM works.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from grants.reports.responses import attachment_headers
from grants.text import spreadsheet_text

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
AMOUNT = "#,##0.00"  # yuan with two decimals
POINTS = "0.00"  # scores (criterion points are stored with two decimals)
INTEGER = "0"
MIN_WIDTH, MAX_WIDTH = 6, 60


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    # column index → number format of the column's numeric cells (AMOUNT, POINTS …)
    formats: dict[int, str] = field(default_factory=dict)


def _is_number(value) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _text(value) -> str:
    return "" if value is None else spreadsheet_text(str(value))


def _csv_cell(value):
    return value if _is_number(value) else _text(value)


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_text(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _display_width(text: str) -> int:
    """Columns the text takes in a spreadsheet: CJK characters count two."""
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in longest)


def _shown(value, number_format: str | None) -> str:
    if _is_number(value) and number_format == AMOUNT:
        return f"{value:,.2f}"
    if _is_number(value) and number_format == POINTS:
        return f"{value:.2f}"
    return str(value) if value is not None else ""


def column_widths(table: Table) -> list[float]:
    """A width per column that fits its header and its longest cell (within bounds)."""
    widths = []
    for index, header in enumerate(table.headers):
        number_format = table.formats.get(index)
        longest = max(
            [_display_width(str(header))]
            + [_display_width(_shown(row[index], number_format)) for row in table.rows if index < len(row)]
        )
        widths.append(min(max(longest + 2, MIN_WIDTH), MAX_WIDTH))
    return widths


def _xlsx_cell(sheet, value, number_format: str | None) -> WriteOnlyCell:
    if _is_number(value):
        cell = WriteOnlyCell(sheet, value=value)
        if number_format:
            cell.number_format = number_format
        return cell
    cell = WriteOnlyCell(sheet, value=_text(value) or None)
    if cell.value is not None:
        cell.data_type = "s"  # text, never a formula, whatever it starts with
    return cell


def to_xlsx(table: Table) -> bytes:
    book = Workbook(write_only=True)
    title = "".join("_" if c in "[]:*?/\\" else c for c in spreadsheet_text(table.title))[:31]
    sheet = book.create_sheet(title=title or "Sheet1")
    for index, width in enumerate(column_widths(table), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for value in table.headers:
        cell = _xlsx_cell(sheet, value, None)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, v, table.formats.get(i)) for i, v in enumerate(row)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(table: Table, fmt: str, filename: str, ascii_name: str) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of the table as ``fmt`` ("csv" or "xlsx"). Raises: KeyError on another format."""
    body = to_csv(table) if fmt == "csv" else to_xlsx(table) if fmt == "xlsx" else None
    if body is None:
        raise KeyError(fmt)
    return body, attachment_headers(f"{filename}.{fmt}", FORMATS[fmt], ascii_name=f"{ascii_name}.{fmt}")
