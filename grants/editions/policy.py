"""Who may see or change an edition and its rounds."""

from __future__ import annotations

from grants.auth import policy


def can_manage_edition(user, edition) -> bool:
    return policy.is_organizer(user, edition.district_id)


def can_manage_round(user, rnd) -> bool:
    return can_manage_edition(user, rnd.edition)


def can_create_edition(user, district_id: int) -> bool:
    return policy.is_organizer(user, district_id)
