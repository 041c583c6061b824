"""Demo data for `flask seed-demo`, one module per edition or story: fixed logins so anyone can
try the platform from the README, and a district at the scale it reports (district.py).

The whole demo is built as of one moment (the command's start), so that a run's data follow from
the code, its seeds and that moment alone. Idempotent: running it again finds what exists and adds
only what is missing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import timeutil
from grants.auth import service as auth_service
from grants.auth.models import Role, RoleGrant, User
from grants.demo import people
from grants.demo.district import seed_history
from grants.demo.people import DEMO_PASSWORD
from grants.demo.proposals import seed_proposals
from grants.demo.review import seed_review
from grants.demo.summary import summary
from grants.editions import service as edition_service
from grants.editions.models import Edition
from grants.editions.states import EditionStatus, edition_machine
from grants.org import service as org_service
from grants.org.models import Community, District, Street
from grants.timeutil import now

__all__ = ["DEMO_PASSWORD", "seed_demo", "summary"]

DISTRICT = ("东湖区", "东湖区民政局")
STREETS = {
    "东湖街道": ["桂花社区", "樱桃社区", "翠竹社区"],
    "西岭街道": ["枫林社区", "松涛社区"],
}
# login, display name, role, scope key
DEMO_USERS = [
    ("organizer", "王主任（主办方）", Role.ORGANIZER, "district"),
    ("finance", "李会计（财务）", Role.FINANCE, "district"),
    # Judges by their real names: public notices list them (评审专家：陈思远、刘静…).
    ("judge1", "陈思远", Role.JUDGE, "edition"),
    ("judge2", "刘静", Role.JUDGE, "edition"),
    ("judge3", "赵晓梅", Role.JUDGE, "edition"),
    ("judge4", "孙立平", Role.JUDGE, "edition"),
    ("judge5", "周建国", Role.JUDGE, "edition"),
    ("staff1", "吴社工（桂花社区）", Role.COMMUNITY_STAFF, "community"),
    ("street1", "郑科长（东湖街道）", Role.STREET_STAFF, "street"),
    ("resident1", "张晓明", None, "樱桃社区"),
    ("resident2", "黄丽华", None, "翠竹社区"),
    ("resident3", "马建国", None, "枫林社区"),
]


def _get_or_create_org(session: Session) -> tuple[District, dict[str, Street], dict[str, Community]]:
    district = session.scalar(select(District).where(District.name == DISTRICT[0]))
    if district is None:
        district = org_service.create_district(session, actor=None, name=DISTRICT[0], office_name=DISTRICT[1])
    streets: dict[str, Street] = {}
    communities: dict[str, Community] = {}
    for street_name, community_names in STREETS.items():
        street = session.scalar(select(Street).where(Street.district_id == district.id, Street.name == street_name))
        if street is None:
            street = org_service.create_street(session, actor=None, district=district, name=street_name)
        streets[street_name] = street
        for name in community_names:
            community = session.scalar(
                select(Community).where(Community.street_id == street.id, Community.name == name)
            )
            if community is None:
                community = org_service.create_community(session, actor=None, street=street, name=name)
            communities[name] = community
    return district, streets, communities


def _current_edition(session: Session, district: District) -> Edition:
    edition = session.scalar(select(Edition).where(Edition.district_id == district.id, Edition.number == 3))
    if edition is not None:
        return edition
    start = now() - timedelta(days=10)
    edition = edition_service.create_edition(
        session,
        actor=None,
        district=district,
        data=edition_service.EditionData(
            number=3,
            name="东湖区第三届社区公益微创投大赛",
            theme="文明社区居民好项目",
            description="面向全区居民征集社区公益微项目，每个项目资助不超过5000元。",
            cap_fen=500_000,
            pool_fen=20_000_000,
            min_team_size=3,
            submission_opens_at=start,
            submission_closes_at=start + timedelta(days=30),
            categories=edition_service.default_categories(),
        ),
    )
    edition_machine.transition(session, edition, EditionStatus.OPEN.value, actor=None)
    return edition


def _users(session: Session, scopes: dict, communities: dict[str, Community], first_community: Community) -> int:
    created = 0
    for login, name, role, scope_key in DEMO_USERS:
        user = session.scalar(select(User).where(User.username == login))
        if user is None:
            home = communities.get(scope_key) or (first_community if role == Role.COMMUNITY_STAFF else None)
            user = people.register(session, login, name, home)
            created += 1
        if role is not None:
            scope = scopes[scope_key]
            column = {
                "district": "district_id",
                "street": "street_id",
                "community": "community_id",
                "edition": "edition_id",
            }[scope_key]
            held = session.scalar(
                select(RoleGrant.id).where(
                    RoleGrant.user_id == user.id, RoleGrant.role == role.value, getattr(RoleGrant, column) == scope.id
                )
            )
            if held is None:
                auth_service.grant_role(session, actor=None, user=user, role=role, scope=scope)
    session.flush()
    return created


def seed_demo(session: Session, *, moment=None) -> str:
    """Load the demo as of ``moment`` (default: now); returns what was done, in a sentence."""
    with timeutil.as_of(moment or now()):
        return _seed(session)


def _seed(session: Session) -> str:
    district, streets, communities = _get_or_create_org(session)
    edition = _current_edition(session, district)
    first_street = next(iter(streets.values()))
    first_community = communities[STREETS[first_street.name][0]]
    scopes = {"district": district, "street": first_street, "community": first_community, "edition": edition}
    created = _users(session, scopes, communities, first_community)
    reviewers = [
        session.scalar(select(User).where(User.username == login)) for login in ("staff1", "street1", "organizer")
    ]
    proposals = seed_proposals(session, edition, communities, reviewers)
    reviewing = seed_review(session, edition)
    history = seed_history(session, district, communities, reviewers)
    report = (
        f"demo data ready: district {district.name}, edition {edition.name}, {created} new demo users, "
        f"{proposals} new demo proposals" + (", review under way (round 2 open)" if reviewing else "")
    )
    if history:
        figures = summary(session)
        report += (
            ", two past editions (第一届 closed, 第二届 in funding) published and final"
            f"; {figures['proposals']} proposals in three editions, {figures['grants']} funded"
            f", {figures['confirmed_activities']} confirmed activities of {figures['groups']} resident groups"
            ", star ratings"
        )
    return report
