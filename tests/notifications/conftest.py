"""Fixtures of the judging and publication tests, used here for rounds that close and notices."""

from tests.judging.conftest import assigned, final_closed, scoring  # noqa: F401
from tests.results.conftest import awarded, published  # noqa: F401
