"""Who may see or change the organisation hierarchy."""

from __future__ import annotations

from grants.auth import policy


def can_manage_district(user, district) -> bool:
    return policy.is_organizer(user, district.id)


def can_manage_street(user, street) -> bool:
    return policy.is_organizer(user, street.district_id)


def can_manage_community(user, community) -> bool:
    return policy.is_organizer(user, community.street.district_id)


def can_view_community(user, community) -> bool:
    return policy.can_view_community(user, community)
