"""Tables as downloads: CSV (UTF-8 with BOM, so Excel in Chinese opens it right) and XLSX.

The one writer every export goes through. Text cells are made harmless for the reader's
spreadsheet (no formula, no control character; OWASP's CSV injection advice); numbers stay
numbers — numeric XLSX cells with a number format, plain numbers in the CSV — so SUM works.
"""

from __future__ import annotations

import csv
import io
import itertools
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

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
    out = io.BytesIO()
    write_csv(out, table.headers, table.rows)
    return out.getvalue()


def write_csv(
    out: BinaryIO, headers: list[str], rows: Iterable[list], *, on_row: Callable[[int], None] | None = None
) -> None:
    """Stream a CSV (UTF-8 with BOM) to a binary file, row by row: any number of rows in little memory."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        text.write("\ufeff")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([_text(h) for h in headers])
        for count, row in enumerate(rows, start=1):
            writer.writerow([_csv_cell(v) for v in row])
            if on_row:
                on_row(count)
        text.flush()
    finally:
        text.detach()  # the caller owns ``out``


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
    return _widths(table.headers, table.rows, table.formats)


def _widths(headers: list[str], rows: list[list], formats: dict[int, str]) -> list[float]:
    widths = []
    for index, header in enumerate(headers):
        number_format = formats.get(index)
        longest = max(
            [_display_width(str(header))]
            + [_display_width(_shown(row[index], number_format)) for row in rows if index < len(row)]
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
    out = io.BytesIO()
    write_xlsx(out, table.title, table.headers, table.rows, table.formats, sample=len(table.rows))
    return out.getvalue()


# Rows a streamed sheet reads ahead to size its columns (the rest are written as they come).
WIDTH_SAMPLE = 500


def write_xlsx(
    out: BinaryIO,
    title: str,
    headers: list[str],
    rows: Iterable[list],
    formats: dict[int, str] | None = None,
    *,
    sample: int = WIDTH_SAMPLE,
    on_row: Callable[[int], None] | None = None,
) -> None:
    """Stream a one-sheet XLSX to ``out`` (openpyxl's write-only mode: rows go to a temporary
    file as they come, so memory stays flat for any number of rows). Columns are sized from the
    header and the first ``sample`` rows; the header row is bold and frozen."""
    formats = formats or {}
    rows = iter(rows)
    head = list(itertools.islice(rows, sample))
    book = Workbook(write_only=True)
    name = "".join("_" if c in "[]:*?/\\" else c for c in spreadsheet_text(title))[:31]
    sheet = book.create_sheet(title=name or "Sheet1")
    for index, width in enumerate(_widths(headers, head, formats), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for value in headers:
        cell = _xlsx_cell(sheet, value, None)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for count, row in enumerate(itertools.chain(head, rows), start=1):
        sheet.append([_xlsx_cell(sheet, v, formats.get(i)) for i, v in enumerate(row)])
        if on_row:
            on_row(count)
    book.save(out)


def download(table: Table, fmt: str, filename: str, ascii_name: str) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of the table as ``fmt`` ("csv" or "xlsx"). Raises: KeyError on another format."""
    body = to_csv(table) if fmt == "csv" else to_xlsx(table) if fmt == "xlsx" else None
    if body is None:
        raise KeyError(fmt)
    return body, attachment_headers(f"{filename}.{fmt}", FORMATS[fmt], ascii_name=f"{ascii_name}.{fmt}")
