"""Reading an organisation CSV (street, community, optional district): pure, no Flask, no database.

Accepted: UTF-8 with or without BOM, or GB18030/GBK as Excel on Chinese Windows saves it;
headers in Chinese (区, 街道, 社区) or English (district, street, community).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from grants.text import has_control_characters

MAX_ROWS = 5000
NAME_MAX = 60
HEADERS = {
    "district": {"district", "区", "区县", "区名"},
    "street": {"street", "街道", "街道名称", "街道/镇", "镇街"},
    "community": {"community", "社区", "社区名称", "社区/村"},
}


@dataclass(frozen=True)
class OrgRow:
    line: int
    district: str
    street: str
    community: str


@dataclass
class ParseResult:
    rows: list[OrgRow] = field(default_factory=list)
    # (line number or 0 for the whole file, error code, detail)
    errors: list[tuple[int, str, str]] = field(default_factory=list)


def decode(data: bytes) -> str | None:
    """Text of the file, or None when it is neither UTF-8 nor GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _column_map(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = name.strip().lower()
        for column, names in HEADERS.items():
            if key in names and column not in found:
                found[column] = index
    return found


def parse(data: bytes) -> ParseResult:
    """Check every row; the caller stores nothing when ``errors`` is not empty."""
    result = ParseResult()
    text = decode(data)
    if text is None:
        result.errors.append((0, "encoding", ""))
        return result
    if "\x00" in text:
        result.errors.append((0, "not_csv", ""))
        return result
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        result.errors.append((0, "empty", ""))
        return result
    except csv.Error:
        result.errors.append((0, "not_csv", ""))
        return result
    columns = _column_map(header)
    if "street" not in columns or "community" not in columns:
        result.errors.append((1, "header", ",".join(header)[:100]))
        return result
    seen: set[tuple[str, str, str]] = set()
    try:
        for line, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(result.rows) + len(result.errors) >= MAX_ROWS:
                result.errors.append((line, "too_many", str(MAX_ROWS)))
                break

            def cell(column: str, record=record) -> str:
                index = columns.get(column)
                return record[index].strip() if index is not None and index < len(record) else ""

            row = OrgRow(line, cell("district"), cell("street"), cell("community"))
            if not row.street:
                result.errors.append((line, "no_street", ""))
            elif not row.community:
                result.errors.append((line, "no_community", ""))
            elif any(has_control_characters(v) for v in (row.district, row.street, row.community)):
                result.errors.append((line, "control", ""))
            elif max(len(row.street), len(row.community), len(row.district)) > NAME_MAX:
                result.errors.append((line, "too_long", str(NAME_MAX)))
            elif (row.district, row.street, row.community) in seen:
                result.errors.append((line, "duplicate", row.community))
            else:
                seen.add((row.district, row.street, row.community))
                result.rows.append(row)
    except csv.Error:
        result.errors.append((0, "not_csv", ""))
    if not result.rows and not result.errors:
        result.errors.append((0, "empty", ""))
    return result


SAMPLE_HEADERS = ["街道", "社区"]
SAMPLE_ROWS = [["东湖街道", "桂花社区"], ["东湖街道", "樱桃社区"], ["西岭街道", "枫林社区"]]
