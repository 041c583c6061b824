"""Who may do what in a star-rating campaign. Every rating route asks one of these for *this*
campaign or nomination; the district panel's membership is passed in (``assessor_ids``)."""

from __future__ import annotations

from collections.abc import Collection

from grants.auth import policy
from grants.incubation.models import CampaignStatus, Group, StarCampaign, StarNomination


def is_organizer(user, campaign: StarCampaign) -> bool:
    return policy.is_organizer(user, campaign.district_id)


def _staff_in_district(user, district_id: int) -> bool:
    return district_id in policy.staff_district_ids(user)


def can_view_campaign(user, campaign: StarCampaign, assessor_ids: Collection[int] = ()) -> bool:
    """The organizer always; once open, the district's community and street staff and the panel."""
    if is_organizer(user, campaign):
        return True
    if campaign.status == CampaignStatus.DRAFT:
        return False
    return _staff_in_district(user, campaign.district_id) or getattr(user, "id", None) in assessor_ids


def can_recommend(user, campaign: StarCampaign, group: Group) -> bool:
    """社区推荐: the staff of the group's community, for a group of the campaign's district."""
    return (
        group.community.street.district_id == campaign.district_id
        and group.community_id in policy.staff_community_ids(user)
    )


def can_street_score(user, nomination: StarNomination) -> bool:
    """街道初评: the staff of the group's street."""
    return nomination.group.community.street_id in policy.staff_street_ids(user)


def has_conflict(user, group: Group) -> bool:
    """An assessor may not judge a group of their own community, one where they are staff (of its
    community or street), or one they lead."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        user.community_id == group.community_id
        or group.community_id in policy.staff_community_ids(user)
        or group.community.street_id in policy.staff_street_ids(user)
        or group.leader_id == user.id
    )


def can_assess(user, nomination: StarNomination, assessor_ids: Collection[int]) -> bool:
    """区级审评: an assessor of the campaign without a conflict with the group."""
    return getattr(user, "id", None) in assessor_ids and not has_conflict(user, nomination.group)


def can_view_nomination(user, nomination: StarNomination, assessor_ids: Collection[int] = ()) -> bool:
    group = nomination.group
    return (
        is_organizer(user, nomination.campaign)
        or group.community_id in policy.staff_community_ids(user)
        or can_street_score(user, nomination)
        or (nomination.campaign.status != CampaignStatus.DRAFT and getattr(user, "id", None) in assessor_ids)
    )


def can_object(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


# The list of proposed stars is public from the notice on.
PUBLIC_STATUSES = (CampaignStatus.NOTICE.value, CampaignStatus.FINAL.value)


def is_public(campaign: StarCampaign) -> bool:
    return campaign.status in PUBLIC_STATUSES
