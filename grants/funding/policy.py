"""Who may see or change funding data."""

from __future__ import annotations

from grants.auth import policy


def can_edit_tranche_plan(user, edition) -> bool:
    """Only an organizer of the edition's district: the plan is part of what the edition offers."""
    return policy.is_organizer(user, edition.district_id)
