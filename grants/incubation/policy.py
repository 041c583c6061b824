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


# --- activities -------------------------------------------------------------------------------


def can_log_activity(user, group) -> bool:
    """Only the group's current leader logs (and corrects) its activities; staff confirm them."""
    return is_leader(user, group)


def can_review_activities(user, group) -> bool:
    """Confirm (核实) or return a group's activities: its community's staff, the district's organizer."""
    return can_manage(user, group)


def can_review_community_activities(user, community) -> bool:
    """The confirm buttons of a community's activity list: its staff, the district's organizer."""
    return can_create_group(user, community)


def can_view_activity(user, activity) -> bool:
    """An activity and its photos: whoever sees its group (leader, community and street staff, organizer)."""
    return can_view(user, activity.group)


def can_view_hours(user, group) -> bool:
    """The members' volunteer hours and activities: whoever sees the group (leader, staff, street, organizer)."""
    return can_view(user, group)


def can_issue_certificates(user, group) -> bool:
    """A 志愿服务证明 is issued by the community that confirmed the hours (its staff) or the organizer."""
    return can_manage(user, group)


def can_download_certificates(user, group) -> bool:
    """An issued certificate: its issuers, and the group's leader (who hands it to the member)."""
    return can_manage(user, group) or is_leader(user, group)


def can_view_street_groups(user, street) -> bool:
    """A street's list of groups: its street staff and the district's organizer."""
    return street.id in policy.staff_street_ids(user) or policy.is_organizer(user, street.district_id)


def can_view_district_groups(user, district) -> bool:
    """The district's list of groups: its organizer."""
    return policy.is_organizer(user, district.id)
