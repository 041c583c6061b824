"""Who may read the figures of which place: the organizer those of the district and everything in
it, street staff those of their street and its communities, community staff those of their community.
Every figures page asks one of these for *its* place."""

from __future__ import annotations

from grants.auth import policy


def can_view_district(user, district) -> bool:
    return policy.is_organizer(user, district.id)


def can_view_street(user, street) -> bool:
    return street.id in policy.staff_street_ids(user) or policy.is_organizer(user, street.district_id)


def can_view_community(user, community) -> bool:
    return policy.can_view_community(user, community)


def can_view_any(user) -> bool:
    """The menu's 数据总览: whoever may read the figures of some place."""
    return policy.is_organizer(user) or policy.is_staff(user)
