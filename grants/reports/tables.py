"""Tables as downloads: CSV (UTF-8 with BOM, so Excel in Chinese opens it right) and XLSX."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from openpyxl import Workbook

from grants.reports.responses import attachment_headers

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)


def _cell(value):
    return "" if value is None else value


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    book = Workbook(write_only=True)
    title = "".join("_" if c in "[]:*?/\\" else c for c in table.title)[:31]
    sheet = book.create_sheet(title=title or "Sheet1")
    sheet.append(table.headers)
    for row in table.rows:
        sheet.append([_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(table: Table, fmt: str, filename: str, ascii_name: str) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of the table as ``fmt`` ("csv" or "xlsx"). Raises: KeyError on another format."""
    body = to_csv(table) if fmt == "csv" else to_xlsx(table) if fmt == "xlsx" else None
    if body is None:
        raise KeyError(fmt)
    return body, attachment_headers(f"{filename}.{fmt}", FORMATS[fmt], ascii_name=f"{ascii_name}.{fmt}")
