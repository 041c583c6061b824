"""Who may see or change a resident group. Every incubation route asks one of these for *this* group.

The group's community staff and the organizer of its district manage it (facts, status, 备案);
street staff of its street see it; its leader sees it and keeps its member list. A member's full
mobile is shown only to those who keep the list.
"""

from __future__ import annotations

from grants.auth import policy


def _district_id(group) -> int:
    return group.community.street.district_id


def is_leader(user, group) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and group.leader_id == user.id


def can_manage(user, group) -> bool:
    """Edit the group's facts, move its status, record its 备案: its community's staff, the organizer."""
    return group.community_id in policy.staff_community_ids(user) or policy.is_organizer(user, _district_id(group))


def can_view(user, group) -> bool:
    return (
        can_manage(user, group) or group.community.street_id in policy.staff_street_ids(user) or is_leader(user, group)
    )


def can_edit_members(user, group) -> bool:
    return can_manage(user, group) or is_leader(user, group)


def can_see_mobiles(user, group) -> bool:
    """The full mobile of a member: the leader, the community's staff, the organizer."""
    return can_edit_members(user, group)


def can_view_community_groups(user, community) -> bool:
    return policy.can_view_community(user, community)


def can_create_group(user, community) -> bool:
    """A group that grew without a grant, or from a grant of this community: staff or organizer."""
    return community.id in policy.staff_community_ids(user) or policy.is_organizer(user, community.street.district_id)


def can_view_street_groups(user, street) -> bool:
    """A street's list of groups: its street staff and the district's organizer."""
    return street.id in policy.staff_street_ids(user) or policy.is_organizer(user, street.district_id)


def can_view_district_groups(user, district) -> bool:
    """The district's list of groups: its organizer."""
    return policy.is_organizer(user, district.id)
