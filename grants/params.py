"""Numbers from URLs and query strings, bounded so that no database ever sees one it cannot store.

Every id column is a 32-bit INTEGER on PostgreSQL (SQLite's limit, 2^63, is higher), so an id in a
URL above 2^31 − 1 names nothing: the ``int`` URL converter (replaced once, in setup) does not
match it and the answer is a 404. Query-string numbers go through ``int_arg``/``page_arg``, which
refuse anything else with ``BadParameter`` (a 400 with the message). Whole numbers typed into
forms go through ``whole_number``.
"""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1
MAX_PAGE = 100_000  # far beyond any list; keeps OFFSET = page × per page a small number
FIRST_YEAR, LAST_YEAR = 2000, 2100  # calendar years a filter may name


class BadParameter(ValueError):
    """A query-string value that is not what the page takes; ``str(err)`` says why, translated."""


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches 0 … 2^31 − 1 only (unless the rule gives its own bounds)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=MAX_ID if max is None else max, signed=signed)


def whole_number(text: object, *, maximum: int = MAX_ID) -> int | None:
    """The whole number 0 … ``maximum`` that ``text`` spells in ASCII digits (spaces around it
    allowed), else None: "", "-1", "1.5", "1e3", a number above ``maximum`` (by default, one no id
    column can hold), and digits that ``str.isdigit`` accepts but ``int`` refuses ("²") or that are
    not ASCII ("９")."""
    raw = str(text if text is not None else "").strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(maximum)):
        return None
    value = int(raw)
    return value if value <= maximum else None


def int_arg(name: str, *, label: str | None = None, maximum: int = MAX_ID) -> int | None:
    """An optional whole number 1 … ``maximum`` from the query string (None when absent or empty).

    Raises: BadParameter for anything else.
    """
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    value = whole_number(raw, maximum=maximum)
    if value is None or value < 1:
        raise BadParameter(_("参数“%(name)s”应为1到%(max)d之间的整数。", name=label or name, max=maximum))
    return value


def year_arg(name: str = "year") -> int | None:
    """An optional calendar year (2000 … 2100) from the query string. Raises: BadParameter."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    value = whole_number(raw, maximum=LAST_YEAR)
    if value is None or value < FIRST_YEAR:
        raise BadParameter(_("年份应为%(first)d到%(last)d之间的整数。", first=FIRST_YEAR, last=LAST_YEAR))
    return value


def page_arg(name: str = "page") -> int:
    """The page number of a list (1 when absent). Raises: BadParameter for 0, -1, 1e20, 10^30 …"""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return 1
    value = whole_number(raw, maximum=MAX_PAGE)
    if value is None or value < 1:
        raise BadParameter(_("页码应为1到%(max)d之间的整数。", max=MAX_PAGE))
    return value


def form_ids(prefix: str) -> dict[int, str]:
    """The posted fields named ``prefix`` + an id ("score-12", "r7"), as {id: value}; a field whose
    rest is not a storable id is left out."""
    found = {}
    for key, value in request.form.items():
        number = whole_number(key[len(prefix) :]) if key.startswith(prefix) else None
        if number:
            found[number] = value
    return found


def form_id(name: str) -> int:
    """An id posted in a form field; 0 (which names nothing) when absent or not a storable id."""
    return whole_number(request.form.get(name)) or 0
