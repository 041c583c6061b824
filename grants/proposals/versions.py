"""What changed between two submitted versions of a proposal (pure: no Flask, no database)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROW_FIELDS = ("team", "activities", "budget_lines", "attachments")


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class RowChanges:
    field: str
    removed: list[list]
    added: list[list]


def diff(old: dict, new: dict) -> tuple[list[Change], list[RowChanges]]:
    """Changed scalar fields, and for row tables the rows removed and added (a changed row is both)."""
    changes = [
        Change(key, old.get(key), new.get(key))
        for key in sorted(set(old) | set(new))
        if key not in ROW_FIELDS and old.get(key) != new.get(key)
    ]
    rows = []
    for key in ROW_FIELDS:
        if (key in old) != (key in new):
            continue  # a snapshot from before the field was recorded: nothing to compare with
        before = [list(r) for r in old.get(key, [])]
        after = [list(r) for r in new.get(key, [])]
        removed = [r for r in before if r not in after]
        added = [r for r in after if r not in before]
        if removed or added:
            rows.append(RowChanges(key, removed, added))
    return changes, rows
