"""Where each figure leads: the list of the rows it counts, with the filters that show exactly them,
when this viewer may open that list (the list's own policy decides). A figure counted over several
editions or communities leads to its table on the same page (#by-edition, #by-community), whose
rows lead to their lists. No query: the objects are those the figures were counted with."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for

from grants.figures.queries import STAR_LEVELS, Figures
from grants.figures.scope import Scope
from grants.funding import policy as funding_policy
from grants.incubation import policy as group_policy
from grants.proposals import policy as proposal_policy
from grants.proposals.states import RECEIVED

BY_EDITION = "#by-edition"
BY_COMMUNITY = "#by-community"


@dataclass
class EditionLinks:
    proposals: str | None = None
    grants: str | None = None  # the grants made (in the year of a year scope)
    money: str | None = None  # the grants whose money moved, with the money of the scope's period


@dataclass
class Links:
    editions: str = BY_EDITION
    proposals: str | None = BY_EDITION
    funded: str | None = BY_EDITION
    money: str | None = BY_EDITION
    activities: str | None = BY_COMMUNITY
    groups_by_kind: dict[str, str] = field(default_factory=dict)
    groups_by_stars: dict[int, str] = field(default_factory=dict)
    by_edition: dict[int, EditionLinks] = field(default_factory=dict)
    community_activities: dict[int, str] = field(default_factory=dict)
    community_groups: dict[int, str] = field(default_factory=dict)


def _place_args(scope: Scope) -> dict:
    if scope.community is not None:
        return {"community": scope.community.id}
    if scope.street is not None:
        return {"street": scope.street.id}
    return {}


def _period_args(scope: Scope) -> dict:
    if scope.edition is not None:
        return {"edition": scope.edition.id}
    return {} if scope.year is None else {"year": scope.year}


def _groups_url(scope: Scope, user, **filters) -> str | None:
    args = {**_period_args(scope), **filters}
    if scope.community is not None:
        if not group_policy.can_view_community_groups(user, scope.community):
            return None
        return url_for("incubation.community_groups", community_id=scope.community.id, **args)
    if scope.street is not None:
        if not group_policy.can_view_street_groups(user, scope.street):
            return None
        return url_for("incubation.street_groups", street_id=scope.street.id, **args)
    if not group_policy.can_view_district_groups(user, scope.district):
        return None
    return url_for("incubation.district_groups", district_id=scope.district.id, **args)


def _activities_url(scope: Scope, community) -> str:
    return url_for(
        "incubation.community_activities", community_id=community.id, status="confirmed", **_period_args(scope)
    )


def links_for(figures: Figures, user) -> Links:
    """The links of these figures this user may follow (each list's policy asked about its object)."""
    scope = figures.scope
    links = Links()
    year = {} if scope.year is None else {"year": scope.year}
    for row in figures.editions:
        found = EditionLinks()
        if proposal_policy.can_list_edition(user, row.edition):
            found.proposals = url_for(
                "proposals.edition_list", edition_id=row.id, status=RECEIVED, **_place_args(scope), **year
            )
        if funding_policy.can_view_edition_grants(user, row.edition):
            found.grants = url_for("funding.edition_grants", edition_id=row.id, **_place_args(scope), **year)
            # In a year, money paid, returned and spent that year, whenever the grant was made.
            moved = {} if scope.year is None else {"moved": scope.year}
            found.money = url_for("funding.edition_grants", edition_id=row.id, **_place_args(scope), **moved)
        links.by_edition[row.id] = found
    if scope.edition is not None and scope.edition.id in links.by_edition:
        only = links.by_edition[scope.edition.id]
        links.proposals, links.funded, links.money = only.proposals, only.grants, only.money
    for kind in figures.groups_by_kind:
        links.groups_by_kind[kind] = _groups_url(scope, user, kind=kind)
    for stars in STAR_LEVELS:
        links.groups_by_stars[stars] = _groups_url(scope, user, stars=stars)
    for row in figures.communities:
        community = row.community
        if community is None or not group_policy.can_view_community_groups(user, community):
            continue
        links.community_activities[row.id] = _activities_url(scope, community)
        links.community_groups[row.id] = url_for(
            "incubation.community_groups", community_id=row.id, **_period_args(scope)
        )
    if scope.community is not None:
        links.activities = links.community_activities.get(scope.community.id)
    return links
