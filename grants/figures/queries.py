"""The figures of a scope, counted from the records each time they are shown (never stored).

What each figure counts — the page says the same in words, and its links open exactly these rows:

- **editions held**: the district's editions that left 筹备中 (draft); in a year, those whose
  submission window opened in that year (Beijing); in an edition, that edition.
- **proposals received**: proposals in ``RECEIVED_STATUSES`` — submitted, returned for correction,
  passed or failed in round 1; never a draft, never a withdrawn one (grants/proposals/states.py).
  In a year: first submitted in that year.
- **projects funded** and **approved**: grants, whatever their status (a terminated grant was
  funded), and Σ their approved amounts. In a year: grants made (results final) in that year.
- **disbursed** and **returned**: the grants' ledger by the rules of grants/funding/balances.py
  (paid out less transfers that bounced; refunds; a correction counts under the kind it reverses);
  **spent**: accepted expenses only (never pending or rejected). In a year: entries made, and
  expenses spent, in that year.
- **confirmed activities**, **residents served** (Σ 受益人次) and **volunteer hours** (their
  members' hours): confirmed activities only (never pending or returned) of the groups in scope.
  In a year: activities that started in that year.
- **groups** by kind and by current stars (the newest final rating not older than three years,
  grants/incubation/ratings/queries.py): groups of every status, as the group lists count them.
  In an edition: the groups grown from its grants; in a year: those with a confirmed activity then.

The place: a street or community counts the proposals, grants (through their proposal) and groups
of its communities; the district counts every proposal of its editions (with a community or not)
and every group of its communities. An edition scope counts activities and groups of the groups
grown from the edition's grants.

A fixed number of grouped queries whatever the size of the district (eleven).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from grants import timeutil
from grants.editions.models import Edition
from grants.editions.states import EditionStatus
from grants.figures.scope import Scope
from grants.funding import balances
from grants.funding.models import Grant
from grants.incubation import listing
from grants.incubation.models import Activity, ActivityStatus, Group, GroupKind, VolunteerHours
from grants.incubation.ratings import queries as rating_queries
from grants.incubation.years import local_month
from grants.org.models import Community, Street
from grants.proposals.models import Proposal
from grants.proposals.states import RECEIVED_STATUSES

STAR_LEVELS = (5, 4, 3, 0)  # 0: no current stars (never rated, below three stars, or expired)
KINDS = tuple(kind.value for kind in GroupKind)


@dataclass(frozen=True)
class Money:
    """Money of a scope, in fen."""

    approved_fen: int = 0
    disbursed_fen: int = 0  # paid out, less transfers the bank sent back
    spent_fen: int = 0  # accepted expenses
    returned_fen: int = 0  # unspent money refunded

    def __add__(self, other: Money) -> Money:
        return Money(
            self.approved_fen + other.approved_fen,
            self.disbursed_fen + other.disbursed_fen,
            self.spent_fen + other.spent_fen,
            self.returned_fen + other.returned_fen,
        )


@dataclass
class EditionRow:
    edition: Edition
    held: bool  # counted among the editions held in this scope
    proposals: int = 0
    funded: int = 0
    money: Money = field(default_factory=Money)

    @property
    def id(self) -> int:
        return self.edition.id

    @property
    def name(self) -> str:
        return self.edition.name


@dataclass
class CommunityRow:
    community: Community | None  # None: proposals that name no community (district only)
    proposals: int = 0
    funded: int = 0
    approved_fen: int = 0
    activities: int = 0
    served: int = 0
    volunteer_halves: int = 0
    groups: int = 0

    @property
    def id(self) -> int | None:
        return None if self.community is None else self.community.id

    @property
    def name(self) -> str:
        return "" if self.community is None else self.community.name

    @property
    def street(self) -> str:
        return "" if self.community is None else self.community.street.name


@dataclass(frozen=True)
class MonthCount:
    year: int
    month: int
    activities: int


@dataclass
class Figures:
    scope: Scope
    editions: list[EditionRow]  # held, or with anything counted in this scope; by number
    communities: list[CommunityRow]  # of the place, by street and name
    months: list[MonthCount]  # confirmed activities per month (Beijing), no month left out
    groups_by_kind: dict[str, int]
    groups_by_stars: dict[int, int]

    @property
    def editions_held(self) -> int:
        return sum(1 for row in self.editions if row.held)

    @property
    def proposals(self) -> int:
        return sum(row.proposals for row in self.editions)

    @property
    def funded(self) -> int:
        return sum(row.funded for row in self.editions)

    @property
    def money(self) -> Money:
        return sum((row.money for row in self.editions), Money())

    @property
    def activities(self) -> int:
        return sum(row.activities for row in self.communities)

    @property
    def served(self) -> int:
        return sum(row.served for row in self.communities)

    @property
    def volunteer_halves(self) -> int:
        return sum(row.volunteer_halves for row in self.communities)

    @property
    def groups(self) -> int:
        return sum(self.groups_by_kind.values())


# --- the scope as conditions ---------------------------------------------------------------------


def _communities_of(scope: Scope):
    """The ids of the place's communities (a subquery), or None for a single community."""
    if scope.street is not None:
        return select(Community.id).where(Community.street_id == scope.street.id)
    return (
        select(Community.id)
        .join(Street, Street.id == Community.street_id)
        .where(Street.district_id == scope.district.id)
    )


def in_place(column, scope: Scope):
    """``column`` (a community id) names a community of the scope's place."""
    if scope.community is not None:
        return column == scope.community.id
    return column.in_(_communities_of(scope))


def of_editions(column, scope: Scope):
    """``column`` (an edition id) names the scope's edition, or an edition of its district."""
    if scope.edition is not None:
        return column == scope.edition.id
    return column.in_(select(Edition.id).where(Edition.district_id == scope.district.id))


def _proposal_place(scope: Scope) -> list:
    # The district counts its editions' proposals whether or not they name a community.
    return [] if scope.place_kind == "district" else [in_place(Proposal.community_id, scope)]


def _within(column, scope: Scope) -> list:
    if scope.moments is None:
        return []
    start, end = scope.moments
    return [column >= start, column < end]


def group_conditions(scope: Scope) -> list:
    """The groups a scope counts (the group lists' filters say the same: grants/incubation/listing.py)."""
    conditions = [in_place(Group.community_id, scope)]
    if scope.edition is not None:
        conditions.append(listing.grown_in_edition(scope.edition.id))
    return conditions


def activity_conditions(scope: Scope) -> list:
    """Confirmed activities of the scope's groups (within its year)."""
    return [
        Activity.status == ActivityStatus.CONFIRMED.value,
        *group_conditions(scope),
        *_within(Activity.starts_at, scope),
    ]


# --- counting ------------------------------------------------------------------------------------


def _editions(session: Session, scope: Scope) -> dict[int, EditionRow]:
    # The editions themselves (their links ask the policies about them), without their categories.
    query = select(Edition).where(Edition.district_id == scope.district.id).options(lazyload(Edition.categories))
    if scope.edition is not None:
        query = query.where(Edition.id == scope.edition.id)
    rows = {}
    for edition in session.scalars(query):
        held = edition.status != EditionStatus.DRAFT.value
        if scope.year is not None:
            opens_at = edition.submission_opens_at
            held = held and opens_at is not None and timeutil.to_local(opens_at).year == scope.year
        rows[edition.id] = EditionRow(edition, held)
    return rows


def _communities(session: Session, scope: Scope) -> dict[int | None, CommunityRow]:
    # The communities with their street (joined by the model): their links ask the policies about them.
    query = select(Community)
    if scope.community is not None:
        query = query.where(Community.id == scope.community.id)
    elif scope.street is not None:
        query = query.where(Community.street_id == scope.street.id)
    else:
        query = query.join(Street, Street.id == Community.street_id).where(Street.district_id == scope.district.id)
    return {community.id: CommunityRow(community) for community in session.scalars(query)}


def _community_row(communities: dict, community_id: int | None) -> CommunityRow:
    if community_id not in communities:  # a proposal without a community (the district's figures)
        communities[community_id] = CommunityRow(None)
    return communities[community_id]


def _count_proposals(session: Session, scope: Scope, editions: dict, communities: dict) -> None:
    rows = session.execute(
        select(Proposal.edition_id, Proposal.community_id, func.count(Proposal.id))
        .where(
            Proposal.status.in_(RECEIVED_STATUSES),
            of_editions(Proposal.edition_id, scope),
            *_proposal_place(scope),
            *_within(Proposal.submitted_at, scope),
        )
        .group_by(Proposal.edition_id, Proposal.community_id)
    )
    for edition_id, community_id, count in rows:
        editions[edition_id].proposals += count
        _community_row(communities, community_id).proposals += count


def grant_conditions(scope: Scope) -> list:
    """The grants a scope counts (joined to their proposal), whatever the period: the period applies
    to what happened to them (made, money moved, money spent)."""
    return [of_editions(Grant.edition_id, scope), *_proposal_place(scope)]


def _count_grants(session: Session, scope: Scope, editions: dict, communities: dict) -> None:
    funded = session.execute(
        select(Grant.edition_id, Proposal.community_id, func.count(Grant.id), func.sum(Grant.approved_fen))
        .join(Proposal, Proposal.id == Grant.proposal_id)
        .where(*grant_conditions(scope), *_within(Grant.created_at, scope))
        .group_by(Grant.edition_id, Proposal.community_id)
    )
    approved: dict[int, int] = defaultdict(int)
    for edition_id, community_id, count, total in funded:
        editions[edition_id].funded += count
        approved[edition_id] += int(total)
        row = _community_row(communities, community_id)
        row.funded += count
        row.approved_fen += int(total)
    grants = (
        select(Grant.id.label("grant_id"), Grant.edition_id.label("edition_id"))
        .join(Proposal, Proposal.id == Grant.proposal_id)
        .where(*grant_conditions(scope))
        .subquery()
    )
    moved = balances.sums_by(session, grants, ("edition_id",), moved=scope.moments, spent=scope.days)
    for edition_id, row in editions.items():
        money = moved.get((edition_id,), balances.GrantFigures())
        row.money = Money(approved[edition_id], money.paid_fen, money.accepted_expenses_fen, money.refunded_fen)


def _count_activities(session: Session, scope: Scope, communities: dict) -> list[MonthCount]:
    conditions = activity_conditions(scope)
    by_community = session.execute(
        select(Group.community_id, func.count(Activity.id), func.coalesce(func.sum(Activity.served), 0))
        .join(Group, Group.id == Activity.group_id)
        .where(*conditions)
        .group_by(Group.community_id)
    )
    for community_id, count, served in by_community:
        row = _community_row(communities, community_id)
        row.activities, row.served = count, int(served)
    hours = session.execute(
        select(Group.community_id, func.sum(VolunteerHours.halves))
        .join(Activity, Activity.id == VolunteerHours.activity_id)
        .join(Group, Group.id == Activity.group_id)
        .where(*conditions)
        .group_by(Group.community_id)
    )
    for community_id, halves in hours:
        _community_row(communities, community_id).volunteer_halves = int(halves)
    month = local_month(Activity.starts_at)
    counted = dict(
        session.execute(
            select(month, func.count(Activity.id))
            .join(Group, Group.id == Activity.group_id)
            .where(*conditions)
            .group_by(month)
        ).all()
    )
    return _every_month(counted, scope.year)


def _every_month(counted: dict[int, int], year: int | None) -> list[MonthCount]:
    """Months from the first to the last with an activity (a whole year for a year scope), zeros included."""
    if year is not None:
        first, last = year * 100 + 1, year * 100 + 12
    elif counted:
        first, last = min(counted), max(counted)
    else:
        return []
    months = []
    y, m = divmod(first, 100)
    while y * 100 + m <= last:
        months.append(MonthCount(y, m, counted.get(y * 100 + m, 0)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _count_groups(session: Session, scope: Scope, communities: dict) -> tuple[dict[str, int], dict[int, int]]:
    query = select(Group.id, Group.kind, Group.community_id).where(*group_conditions(scope))
    if scope.year is not None:
        query = query.where(listing.active_in_year(scope.year))
    groups = session.execute(query).all()
    stars = rating_queries.current_stars_of(session, [g.id for g in groups])
    for group in groups:
        _community_row(communities, group.community_id).groups += 1
    by_kind = Counter(g.kind for g in groups)
    by_stars = Counter(stars[g.id].stars if g.id in stars else 0 for g in groups)
    return {kind: by_kind.get(kind, 0) for kind in KINDS}, {level: by_stars.get(level, 0) for level in STAR_LEVELS}


def figures(session: Session, scope: Scope) -> Figures:
    """Every figure of the scope: eleven grouped queries, whatever the number of rows counted."""
    editions = _editions(session, scope)
    communities = _communities(session, scope)
    _count_proposals(session, scope, editions, communities)
    _count_grants(session, scope, editions, communities)
    months = _count_activities(session, scope, communities)
    by_kind, by_stars = _count_groups(session, scope, communities)
    shown = [row for row in editions.values() if row.held or row.proposals or row.funded or row.money != Money()]
    return Figures(
        scope=scope,
        editions=sorted(shown, key=lambda row: row.edition.number),
        communities=sorted(communities.values(), key=lambda row: (row.id is None, row.street, row.name)),
        months=months,
        groups_by_kind=by_kind,
        groups_by_stars=by_stars,
    )
