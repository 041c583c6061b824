"""A list shown a page at a time (pure: no Flask, no database)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its rows, the length of the whole list, and the page's number among
    ``pages`` (there is always a page, empty when the list is)."""

    rows: list[T]
    total: int
    page: int
    pages: int


def locate(total: int, page: int, per_page: int) -> tuple[int, int, int]:
    """(page, pages, offset of its first row) of the page asked for in a list of ``total`` rows;
    a page past the end is the last one."""
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    return page, pages, (page - 1) * per_page
