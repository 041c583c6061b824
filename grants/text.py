"""User text: the one rule for the control characters inputs refuse and exports strip, and for
quoting a title inside Chinese quotation marks.

Pure: no Flask, no database. Newline, carriage return (browsers send a textarea's line breaks as
CR LF) and tab are text; every other C0/C1 control character (ESC, NUL, BEL, DEL …) is not —
XML (so XLSX) cannot even hold most of them, and a terminal interprets them.
"""

from __future__ import annotations

import re

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters a spreadsheet reads as the start of a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def has_control_characters(value: str) -> bool:
    """True when ``value`` holds a control character other than newline, carriage return and tab."""
    return CONTROL_CHARACTERS.search(value) is not None


def strip_control_characters(value: str) -> str:
    """``value`` without the characters ``has_control_characters`` finds."""
    return CONTROL_CHARACTERS.sub("", value)


def neutralise_formula(value: str) -> str:
    """A text cell a spreadsheet shows as text: a leading ' when it would start a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def spreadsheet_text(value: str) -> str:
    """User text made safe for a CSV or XLSX cell: no control characters, no formula."""
    return neutralise_formula(strip_control_characters(value))


def inner_quotes(text: str) -> str:
    """``text`` to be quoted inside “…”: its own Chinese quotation marks become ‘…’ (a title
    such as 樱桃社区“共享工具箱” quoted on a certificate or in a sentence)."""
    return text.replace("“", "‘").replace("”", "’")
