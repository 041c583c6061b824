"""A generated district for the figures tests: editions of several years, streets and communities,
proposals in every status (withdrawn ones too), grants with money moved (bounced transfers,
corrections, refunds) and expenses accepted, pending and rejected, groups of every kind and status,
activities confirmed, pending and returned with volunteer hours, and star campaigns (current,
expired, not final). Rows are written directly (the services that write them are tested in their
own domains); times fall on both sides of Beijing's new year on purpose. Deterministic (a seed).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from grants.auth.models import Role, User
from grants.editions import service as edition_service
from grants.funding.models import BudgetItem, Expense, Grant, LedgerEntry
from grants.incubation.models import Activity, Group, GroupMember, StarCampaign, StarNomination, VolunteerHours
from grants.proposals import service as proposal_service
from grants.proposals.models import Proposal
from grants.results.models import Publication

YEARS = (2024, 2025, 2026)
STATUSES = ("draft", "submitted", "returned", "withdrawn", "eligible", "eligible", "ineligible")
KINDS = ("self_governing", "recreation", "volunteer")
GROUP_STATUSES = ("cultivating", "established", "established", "filed", "dormant", "dissolved")
ACTIVITY_STATUSES = ("confirmed", "confirmed", "confirmed", "pending", "returned")
# Moments a few minutes from Beijing's midnight on 1 January: the UTC year and the Beijing year differ.
NEW_YEAR_EDGES = (
    datetime(2024, 12, 31, 15, 55, tzinfo=UTC),  # 2024-12-31 23:55 in Beijing
    datetime(2024, 12, 31, 16, 5, tzinfo=UTC),  # 2025-01-01 00:05 in Beijing
    datetime(2025, 12, 31, 16, 5, tzinfo=UTC),  # 2026-01-01 00:05 in Beijing
)


@dataclass
class Generated:
    district: object
    streets: list = field(default_factory=list)
    communities: list = field(default_factory=list)
    editions: list = field(default_factory=list)
    street_staff: dict = field(default_factory=dict)  # street id -> user
    community_staff: dict = field(default_factory=dict)  # community id -> user
    groups: list = field(default_factory=list)


def _moment(rng: random.Random, year: int) -> datetime:
    if rng.random() < 0.12:
        return rng.choice(NEW_YEAR_EDGES)
    start = datetime(year, 1, 1, tzinfo=UTC)
    return start + timedelta(minutes=rng.randrange(365 * 24 * 60))


def _user(session, seq: list[int], name: str) -> User:
    seq[0] += 1
    user = User(username=f"gen{seq[0]:05d}", display_name=name, password_hash="x")
    session.add(user)
    session.flush()
    return user


def build(session, make, district, *, seed: int = 15, proposals: int = 14, extra_groups: int = 4, activities: int = 5):
    """Fill ``district`` (a new one, or the world's) with generated records; returns what tests need."""
    rng = random.Random(seed)
    seq = [seed * 10_000]
    made = Generated(district=district)
    for s in range(2):
        street = make.street(district, f"生成街道{seed}-{s}")
        made.streets.append(street)
        for c in range(2):
            made.communities.append(make.community(street, f"生成社区{seed}-{s}-{c}"))
    for street in made.streets:
        made.street_staff[street.id] = make.user(f"st{seed}_{street.id}", roles=[(Role.STREET_STAFF, street)])
    for community in made.communities:
        made.community_staff[community.id] = make.user(
            f"cs{seed}_{community.id}", community=community, roles=[(Role.COMMUNITY_STAFF, community)]
        )
    applicant = _user(session, seq, "钱申明")
    staff = _user(session, seq, "孙核实")
    grants: list[Grant] = []
    for k, year in enumerate(YEARS):
        opens = datetime(year, 3, 1, 2, tzinfo=UTC) if k != 1 else NEW_YEAR_EDGES[1]
        edition = make.edition(
            district,
            number=100 * seed + k + 1,
            name=f"生成第{k + 1}届",
            submission_opens_at=opens,
            submission_closes_at=opens + timedelta(days=30),
        )
        edition.status = "closed" if year < 2026 else "funding"
        made.editions.append(edition)
        grants += _edition_records(session, rng, edition, made.communities, applicant, staff, year, proposals)
    # An edition still in draft: it was never held and has nothing in it.
    made.editions.append(make.edition(district, number=100 * seed + 9, name="筹备中的一届"))
    session.flush()
    _groups(session, rng, made, grants, staff, extra_groups, activities)
    _star_campaigns(session, rng, district, made.groups, staff)
    session.commit()
    return made


def _edition_records(session, rng, edition, communities, applicant, staff, year, count) -> list[Grant]:
    categories = proposal_service.ensure_budget_categories(session, edition)
    rnd = edition_service.rounds_of(session, edition.id)[-1]
    publication = Publication(
        edition_id=edition.id, round_id=rnd.id, number=1, final=True, status="final", title="获奖名单"
    )
    session.add(publication)
    session.flush()
    grants = []
    for i in range(count):
        status = rng.choice(STATUSES)
        submitted = None if status == "draft" or (status == "withdrawn" and rng.random() < 0.3) else _moment(rng, year)
        community = None if i == 0 else rng.choice(communities)  # one proposal names no community
        proposal = Proposal(
            edition_id=edition.id,
            applicant_id=applicant.id,
            community_id=None if community is None else community.id,
            status=status,
            title=f"{edition.name}项目{i}",
            version=0 if submitted is None else 1,
            submitted_at=submitted,
            withdrawn_at=submitted if status == "withdrawn" else None,
        )
        session.add(proposal)
        session.flush()
        if status != "eligible" or rng.random() < 0.25:
            continue
        grant = Grant(
            edition_id=edition.id,
            proposal_id=proposal.id,
            publication_id=publication.id,
            tier="一等奖",
            approved_fen=rng.randint(100, 500) * 1_000 + rng.randint(0, 99),
            status=rng.choice(["signed", "in_progress", "settled", "terminated"]),
            created_at=_moment(rng, year),
        )
        session.add(grant)
        session.flush()
        items = [
            BudgetItem(grant_id=grant.id, position=p, category_id=c.id, item="物品")
            for p, c in enumerate(categories[:2], 1)
        ]
        session.add_all(items)
        session.flush()
        _money(session, rng, grant, items, staff, year)
        grants.append(grant)
    return grants


def _entry(session, grant, kind, amount, at, actor, reverses=None) -> LedgerEntry:
    entry = LedgerEntry(
        grant_id=grant.id, kind=kind, amount_fen=amount, ref="PZ", at=at, actor_id=actor.id, reverses_id=reverses
    )
    session.add(entry)
    session.flush()
    return entry


def _money(session, rng, grant, items, actor, year) -> None:
    paid = _entry(session, grant, "disbursement", grant.approved_fen // 2, _moment(rng, year), actor)
    if rng.random() < 0.3:  # the bank sent it back; paid again later
        _entry(session, grant, "payment_returned", -paid.amount_fen, _moment(rng, year), actor)
        _entry(session, grant, "disbursement", paid.amount_fen, _moment(rng, min(year + 1, 2026)), actor)
    if rng.random() < 0.3:  # a wrong entry and its correction (dated a year apart sometimes)
        wrong = _entry(session, grant, "disbursement", 999, _moment(rng, year), actor)
        _entry(session, grant, "correction", -999, _moment(rng, min(year + 1, 2026)), actor, reverses=wrong.id)
    for n in range(rng.randint(0, 4)):
        session.add(
            Expense(
                grant_id=grant.id,
                edition_id=grant.edition_id,
                item_id=rng.choice(items).id,
                spent_on=rng.choice([date(year, 12, 31), date(year, 1, 1), date(year, 6, 15)]),
                payee="供应商",
                amount_fen=rng.randint(100, 40_000),
                purpose="物资",
                invoice_no=f"FP{grant.id:05d}{n}",
                status=rng.choice(["accepted", "accepted", "pending", "rejected"]),
                recorded_by_id=actor.id,
            )
        )
    if rng.random() < 0.4:
        refund = _entry(session, grant, "refund", -rng.randint(100, 5_000), _moment(rng, year), actor)
        if rng.random() < 0.3:
            _entry(session, grant, "correction", -refund.amount_fen, _moment(rng, year), actor, reverses=refund.id)
    session.flush()


def _groups(session, rng, made, grants, staff, extra, activities) -> None:
    origins = [g for g in grants if rng.random() < 0.6] + [None] * extra
    grant_community = {}
    if grants:
        from sqlalchemy import select

        grant_community = dict(
            session.execute(
                select(Grant.id, Proposal.community_id)
                .join(Proposal, Proposal.id == Grant.proposal_id)
                .where(Grant.id.in_([g.id for g in grants]))
            ).all()
        )
    for n, grant in enumerate(origins):
        community_id = grant_community.get(grant.id) if grant else None
        community_id = community_id or rng.choice(made.communities).id
        status = rng.choice(GROUP_STATUSES)
        group = Group(
            community_id=community_id,
            name=f"生成组织{n}",
            kind=rng.choice(KINDS),
            status=status,
            filed_on=date(2025, 1, 1) if status == "filed" else None,
            filing_no="BA-1" if status == "filed" else "",
            origin_grant_id=grant.id if grant else None,
        )
        session.add(group)
        session.flush()
        members = [
            GroupMember(
                group_id=group.id, name=f"成员{n}-{m}", mobile=f"1390000{n:02d}{m:02d}", joined_on=date(2024, 1, 1)
            )
            for m in range(rng.randint(1, 3))
        ]
        session.add_all(members)
        session.flush()
        for _ in range(rng.randint(0, activities)):
            _activity(session, rng, group, members, staff)
        made.groups.append(group)


def _activity(session, rng, group, members, staff) -> None:
    status = rng.choice(ACTIVITY_STATUSES)
    starts = _moment(rng, rng.choice(YEARS))
    activity = Activity(
        group_id=group.id,
        title="活动",
        kind="service",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="活动室",
        participants=rng.randint(0, 30),
        served=rng.randint(0, 120),
        status=status,
        confirmed_by_id=staff.id if status == "confirmed" else None,
        confirmed_at=starts + timedelta(days=1) if status == "confirmed" else None,
    )
    session.add(activity)
    session.flush()
    for member in members:
        if rng.random() < 0.7:
            session.add(VolunteerHours(activity_id=activity.id, member_id=member.id, halves=rng.randint(1, 8)))
    session.flush()


def _star_campaigns(session, rng, district, groups, staff) -> None:
    # final_on: 2023 (expired three years later, before today), 2024 and 2025 (current), and a
    # campaign still in its notice (not final: its stars count nowhere).
    plans = (
        (2023, date(2023, 6, 1), "final"),
        (2024, date(2024, 12, 20), "final"),
        (2025, date(2025, 12, 22), "final"),
    )
    plans += ((2026, None, "notice"),)
    for year, final_on, status in plans:
        campaign = StarCampaign(
            district_id=district.id, year=year, title=f"{year}年星级评定", status=status, final_on=final_on
        )
        session.add(campaign)
        session.flush()
        for group in groups:
            if rng.random() < 0.5:
                session.add(
                    StarNomination(campaign_id=campaign.id, group_id=group.id, decided_stars=rng.choice([0, 3, 4, 5]))
                )
    session.flush()
