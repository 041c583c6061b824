"""A worker's bounded caches (grants/memory.py kept) and the collector's pause."""

from __future__ import annotations

import gc

from grants.memory import collector_paused, kept


def test_a_kept_value_is_returned_and_a_full_cache_starts_again():
    cache: dict = {}
    assert [kept(cache, n, f"v{n}", limit=3) for n in range(3)] == ["v0", "v1", "v2"]
    assert cache == {0: "v0", 1: "v1", 2: "v2"}
    assert kept(cache, 3, "v3", limit=3) == "v3"
    assert cache == {3: "v3"}  # never more than the limit
    kept(cache, 3, "again", limit=3)
    assert cache == {3: "again"}


def test_the_collector_is_paused_and_back_on_after_an_error():
    assert gc.isenabled()
    try:
        with collector_paused():
            assert not gc.isenabled()
            raise ValueError("work failed")
    except ValueError:
        pass
    assert gc.isenabled()
