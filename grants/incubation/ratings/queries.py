"""Read rules of star rating that several pages share: a group's current stars (final, not older
than three years), its final ratings by year, a campaign's list, and what waits for whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants import timeutil
from grants.auth import policy as auth_policy
from grants.incubation.models import (
    Activity,
    ActivityStatus,
    CampaignStatus,
    Group,
    SheetStage,
    StarAssessor,
    StarCampaign,
    StarNomination,
    StarObjection,
    StarObjectionStatus,
    StarSheet,
)
from grants.incubation.ratings import policy as rating_policy
from grants.incubation.ratings import scoring
from grants.org.models import Community


@dataclass(frozen=True)
class Rating:
    """A group's final stars from one campaign."""

    group_id: int
    stars: int
    year: int
    final_on: date
    campaign_id: int

    @property
    def expires_on(self) -> date:
        return scoring.expires_on(self.final_on)

    def is_current(self, on: date) -> bool:
        return scoring.is_current(self.final_on, on)


def final_ratings(session: Session, group_ids: list[int]) -> dict[int, list[Rating]]:
    """{group id: its final ratings of three stars or more, newest first} in one query."""
    found: dict[int, list[Rating]] = {gid: [] for gid in group_ids}
    if not group_ids:
        return found
    rows = session.execute(
        select(
            StarNomination.group_id,
            StarNomination.decided_stars,
            StarCampaign.year,
            StarCampaign.final_on,
            StarCampaign.id,
        )
        .join(StarCampaign, StarCampaign.id == StarNomination.campaign_id)
        .where(
            StarNomination.group_id.in_(group_ids),
            StarCampaign.status == CampaignStatus.FINAL.value,
            StarNomination.decided_stars >= 3,
        )
        .order_by(StarCampaign.final_on.desc(), StarCampaign.id.desc())
    )
    for group_id, stars, year, final_on, campaign_id in rows:
        found[group_id].append(Rating(group_id, stars, year, final_on, campaign_id))
    return found


def current_stars_of(session: Session, group_ids: list[int], on: date | None = None) -> dict[int, Rating]:
    """{group id: its current rating} for the groups that have one on ``on`` (default today)."""
    on = on or timeutil.today()
    current = {}
    for group_id, ratings in final_ratings(session, group_ids).items():
        if rating := next((r for r in ratings if r.is_current(on)), None):
            current[group_id] = rating
    return current


def current_stars(session: Session, group: Group, on: date | None = None) -> Rating | None:
    """The group's current stars: the newest final rating not older than three years, else None."""
    return current_stars_of(session, [group.id], on).get(group.id)


@dataclass(frozen=True)
class GroupFigures:
    activities: int
    served: int


def confirmed_figures(session: Session, group_id: int) -> GroupFigures:
    """Confirmed activities only (an unconfirmed activity counts in no figure)."""
    count, served = session.execute(
        select(func.count(Activity.id), func.coalesce(func.sum(Activity.served), 0)).where(
            Activity.group_id == group_id, Activity.status == ActivityStatus.CONFIRMED.value
        )
    ).one()
    return GroupFigures(count, served)


def public_campaigns(session: Session) -> list[StarCampaign]:
    """One query: the campaigns whose list is public (on notice, or final), newest first, with their district."""
    return list(
        session.scalars(
            select(StarCampaign)
            .where(StarCampaign.status.in_(rating_policy.PUBLIC_STATUSES))
            .order_by(StarCampaign.year.desc(), StarCampaign.id.desc())
        )
    )


def campaigns_for(session: Session, user) -> list[StarCampaign]:
    """The campaigns this user sees: the organizer's district's, the open ones of the district where
    they are staff, those where they sit on the panel."""
    organizer = auth_policy.organizer_district_ids(user)
    staff = auth_policy.staff_district_ids(user)
    panel = select(StarAssessor.campaign_id).where(StarAssessor.user_id == user.id)
    query = select(StarCampaign).where(
        StarCampaign.district_id.in_(organizer)
        | (StarCampaign.district_id.in_(staff) & (StarCampaign.status != CampaignStatus.DRAFT.value))
        | (StarCampaign.id.in_(panel) & (StarCampaign.status != CampaignStatus.DRAFT.value))
    )
    return list(session.scalars(query.order_by(StarCampaign.year.desc(), StarCampaign.id.desc())))


@dataclass
class NominationRow:
    nomination: StarNomination
    self_total: int | None
    street_total: int | None
    panel: list[int]
    mine: bool = False  # the viewer's own district sheet exists

    @property
    def mean(self):
        return scoring.mean(self.panel)

    def proposed(self, cutoffs: scoring.Cutoffs) -> int | None:
        return scoring.proposed_stars(self.panel, cutoffs)

    @property
    def spread(self):
        return scoring.spread(self.panel)


def nomination_rows(
    session: Session, campaign_id: int, *, community_ids=None, street_ids=None, viewer_id: int | None = None
) -> list[NominationRow]:
    """The campaign's nominations with their sheet totals: two queries whatever the length."""
    query = (
        select(StarNomination)
        .join(Group, Group.id == StarNomination.group_id)
        .join(Community, Community.id == Group.community_id)
        .where(StarNomination.campaign_id == campaign_id)
    )
    if community_ids is not None or street_ids is not None:
        query = query.where(Group.community_id.in_(community_ids or ()) | Community.street_id.in_(street_ids or ()))
    nominations = list(session.scalars(query.order_by(Community.name, Group.name, StarNomination.id)))
    rows = {n.id: NominationRow(n, None, None, []) for n in nominations}
    if rows:
        sheets = session.execute(
            select(StarSheet.nomination_id, StarSheet.stage, StarSheet.total_halves, StarSheet.scorer_id)
            .where(StarSheet.nomination_id.in_(rows))
            .order_by(StarSheet.id)
        )
        for nomination_id, stage, total, scorer_id in sheets:
            row = rows[nomination_id]
            if stage == SheetStage.SELF:
                row.self_total = total
            elif stage == SheetStage.STREET:
                row.street_total = total
            else:
                row.panel.append(total)
                row.mine = row.mine or scorer_id == viewer_id
    return list(rows.values())


def open_objections(session: Session, campaign_id: int) -> list[StarObjection]:
    return list(
        session.scalars(
            select(StarObjection)
            .where(StarObjection.campaign_id == campaign_id)
            .order_by((StarObjection.status != StarObjectionStatus.OPEN.value).asc(), StarObjection.id)
        )
    )


def rated_group_ids():
    """The ids of groups with a final rating of three stars or more (a subquery): the groups whose
    name a final star-rating list made public, so they have a public page (and are open data)."""
    return (
        select(StarNomination.group_id)
        .join(StarCampaign, StarCampaign.id == StarNomination.campaign_id)
        .where(StarCampaign.status == CampaignStatus.FINAL.value, StarNomination.decided_stars >= 3)
    )


def public_group_ids(session: Session) -> set[int]:
    """Groups with a final rating: they have a public page."""
    return set(session.scalars(rated_group_ids()))


def street_sheets_waiting(session: Session, user) -> list[tuple[int, str, int]]:
    """(campaign id, title, groups to score) for street staff with a 街道初评 stage open."""
    street_ids = auth_policy.staff_street_ids(user)
    if not street_ids:
        return []
    scored = select(StarSheet.id).where(
        StarSheet.nomination_id == StarNomination.id, StarSheet.stage == SheetStage.STREET.value
    )
    rows = session.execute(
        select(StarCampaign.id, StarCampaign.title, func.count(StarNomination.id))
        .join(StarNomination, StarNomination.campaign_id == StarCampaign.id)
        .join(Group, Group.id == StarNomination.group_id)
        .join(Community, Community.id == Group.community_id)
        .where(
            StarCampaign.status == CampaignStatus.STREET_REVIEW.value,
            Community.street_id.in_(street_ids),
            ~scored.exists(),
        )
        .group_by(StarCampaign.id, StarCampaign.title)
        .order_by(StarCampaign.id)
    )
    return [tuple(row) for row in rows]


def assessor_campaigns_waiting(session: Session, user) -> list[tuple[int, str, int]]:
    """(campaign id, title, nominations) where the user sits on an open district panel and has not
    scored every nomination (conflicts are told on the campaign page)."""
    mine = select(func.count(StarSheet.id)).where(
        StarSheet.nomination_id == StarNomination.id,
        StarSheet.stage == SheetStage.DISTRICT.value,
        StarSheet.slot == user.id,
    )
    rows = session.execute(
        select(StarCampaign.id, StarCampaign.title, func.count(StarNomination.id))
        .join(StarAssessor, StarAssessor.campaign_id == StarCampaign.id)
        .join(StarNomination, StarNomination.campaign_id == StarCampaign.id)
        .where(
            StarAssessor.user_id == user.id,
            StarCampaign.status == CampaignStatus.DISTRICT_REVIEW.value,
            mine.scalar_subquery() == 0,
        )
        .group_by(StarCampaign.id, StarCampaign.title)
        .order_by(StarCampaign.id)
    )
    return [tuple(row) for row in rows]


def candidates(session: Session, campaign: StarCampaign, user) -> list[Group]:
    """Groups the user may still recommend: established or filed groups of the communities where
    they are staff, in the campaign's district, not yet recommended (only while recommending)."""
    community_ids = auth_policy.staff_community_ids(user)
    if campaign.status != CampaignStatus.RECOMMENDING or not community_ids:
        return []
    nominated = select(StarNomination.group_id).where(StarNomination.campaign_id == campaign.id)
    return list(
        session.scalars(
            select(Group)
            .join(Community, Community.id == Group.community_id)
            .where(
                Group.community_id.in_(community_ids),
                Group.status.in_(("established", "filed")),
                Group.id.not_in(nominated),
            )
            .order_by(Community.name, Group.name)
        )
    )


def nomination_detail(session: Session, nomination: StarNomination, user, *, organizer: bool) -> dict:
    """What the nomination page shows: the criteria, the sheets this viewer may see with their
    points; the panel's totals, mean and spread only for the organizer (assessors score blind)."""
    from grants.incubation.ratings import campaigns, sheets
    from grants.incubation.ratings.decisions import cutoffs_of

    all_sheets = sheets.sheets_of(session, nomination.id)
    visible = [
        s for s in all_sheets if organizer or s.stage != SheetStage.DISTRICT or s.scorer_id == getattr(user, "id", None)
    ]
    panel = [s.total_halves for s in all_sheets if s.stage == SheetStage.DISTRICT]
    return {
        "criteria": campaigns.criteria_of(session, nomination.campaign_id),
        "sheets": visible,
        "lines": sheets.lines_of(session, [s.id for s in visible]),
        "panel": panel if organizer else [],
        "mean": scoring.mean(panel) if organizer else None,
        "spread": scoring.spread(panel) if organizer else None,
        "proposed": scoring.proposed_stars(panel, cutoffs_of(nomination.campaign)) if organizer else None,
        "panel_size": len(campaigns.assessor_ids(session, nomination.campaign_id)),
    }


def notice_list(session: Session, campaign: StarCampaign) -> dict:
    """The public list: groups with three stars or more, and the answered objections (their text
    and reply; never the author's name)."""
    nominations = [
        n
        for n in session.scalars(
            select(StarNomination)
            .join(Group, Group.id == StarNomination.group_id)
            .where(StarNomination.campaign_id == campaign.id)
            .order_by(StarNomination.decided_stars.desc(), Group.name)
        )
    ]
    answered: dict[int, list[StarObjection]] = {}
    for objection in session.scalars(
        select(StarObjection)
        .where(StarObjection.campaign_id == campaign.id, StarObjection.status != StarObjectionStatus.OPEN.value)
        .order_by(StarObjection.answered_at, StarObjection.id)
    ):
        answered.setdefault(objection.nomination_id, []).append(objection)
    listed = [n for n in nominations if (n.decided_stars or 0) >= 3 or n.id in answered]
    return {"nominations": listed, "answered": answered}


def public_group_page(session: Session, group_id: int) -> dict | None:
    """A rated group's public facts: name, kind, community, final stars by year, confirmed figures.
    None when the group has no final rating (it has no public page)."""
    group = session.get(Group, group_id)
    if group is None:
        return None
    ratings = final_ratings(session, [group.id])[group.id]
    if not ratings:
        return None
    today = timeutil.today()
    return {
        "group": group,
        "ratings": ratings,
        "current": next((r for r in ratings if r.is_current(today)), None),
        "today": today,
        "figures": confirmed_figures(session, group.id),
    }
