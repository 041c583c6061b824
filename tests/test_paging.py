"""The one page arithmetic of the lists shown a page at a time (grants/paging.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from grants.paging import locate


def test_a_list_is_cut_into_pages_and_a_page_past_the_end_is_the_last():
    assert locate(93, 1, 30) == (1, 4, 0)
    assert locate(93, 4, 30) == (4, 4, 90)
    assert locate(93, 99, 30) == (4, 4, 90)
    assert locate(90, 4, 30) == (3, 3, 60)
    assert locate(0, 1, 30) == (1, 1, 0)  # an empty list still has its (empty) page
    assert locate(5, 0, 30) == (1, 1, 0)


@given(total=st.integers(0, 10_000), page=st.integers(-5, 500), per_page=st.integers(1, 100))
def test_every_row_is_on_exactly_one_page_and_the_asked_page_shows_rows_if_any_exist(total, page, per_page):
    shown, pages, offset = locate(total, page, per_page)
    assert 1 <= shown <= pages and offset == (shown - 1) * per_page
    assert (pages - 1) * per_page < total <= pages * per_page or (total == 0 and pages == 1)
    assert total == 0 or offset < total  # never an empty page of a list that has rows
