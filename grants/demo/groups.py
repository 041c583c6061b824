"""The district's resident groups (三自组织), created through the incubation services on the days
they happened (``timeutil.as_of``): the hand-written ones (第二届's funded teams, and four older groups
that grew without a grant), the generated ones (from 第一届's and 第二届's grants, and older groups
registered when the platform started), their members, and the status each has reached."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import timeutil
from grants.auth.models import User
from grants.demo import people, words
from grants.demo.ideas import IDEAS_BY_KEY
from grants.demo.past_data import PAST_PROPOSALS
from grants.demo.plan import OlderGroup, People, group_name
from grants.editions.models import Edition
from grants.funding.models import Grant, GrantStatus
from grants.incubation import policy
from grants.incubation import service as groups
from grants.incubation.models import Group
from grants.org.models import Community
from grants.timeutil import as_of


@dataclass(frozen=True)
class Story:
    """A group: its leader's login, community, name, kind, founding date (None: from its grant),
    scope, venue, the kinds and titles of what it does, and extra members beyond the team."""

    login: str
    community: str
    name: str
    kind: str
    founded: date | None
    scope: str
    venue: str
    doings: tuple[tuple[str, str, int, int], ...]  # (activity kind, title, participants, served)
    extra_members: tuple[str, ...]


FROM_GRANTS = (
    Story(
        "resident3",
        "枫林社区",
        "枫林社区四点半课堂志愿队",
        "volunteer",
        None,
        "放学后为双职工家庭的孩子提供作业辅导和兴趣活动。",
        "枫林社区党群服务中心",
        (("service", "四点半课堂作业辅导", 12, 18), ("training", "志愿者辅导技巧分享", 8, 8)),
        ("钱秀英", "孙海涛", "李明月"),
    ),
    Story(
        "resident2",
        "翠竹社区",
        "翠竹社区夕阳红合唱团",
        "recreation",
        None,
        "组织老年居民排练合唱，参加社区和街道的文艺演出。",
        "翠竹社区活动室",
        (("recreation", "合唱排练", 26, 26), ("recreation", "社区文艺演出", 30, 160)),
        ("许桂芳", "冯玉兰", "蒋德明", "韩雪梅"),
    ),
    Story(
        "resident1",
        "樱桃社区",
        "樱桃社区共享工具箱互助队",
        "volunteer",
        None,
        "管理社区共享工具箱，为居民借还工具、上门小修小补。",
        "樱桃社区服务站",
        (("service", "工具借还和小修小补", 6, 24), ("deliberation", "工具箱管理议事会", 9, 9)),
        ("杨志强", "朱丽娟"),
    ),
    Story(
        "resident9",
        "松涛社区",
        "松涛社区结对探访志愿队",
        "volunteer",
        None,
        "志愿者与独居老人结对，定期探访、陪伴就医、代购生活用品。",
        "松涛社区居委会",
        (("service", "独居老人结对探访", 10, 20), ("training", "探访志愿者急救培训", 14, 14)),
        ("秦淑华", "何建军", "吕晓燕"),
    ),
)

WITHOUT_GRANTS = (
    Story(
        "resident4",
        "桂花社区",
        "桂花社区睦邻读书会",
        "recreation",
        date(2022, 3, 12),
        "每月共读一本书，为社区儿童和老人开展读书分享。",
        "桂花社区图书室",
        (("recreation", "睦邻读书分享会", 18, 25), ("service", "为老人读报", 6, 15)),
        ("施文静", "张雨桐", "曹国庆", "严丽"),
    ),
    Story(
        "resident10",
        "桂花社区",
        "桂花社区平安巡逻队",
        "self_governing",
        date(2021, 9, 1),
        "居民轮流夜间巡逻，排查楼道消防和电动车充电隐患。",
        "桂花社区警务室",
        (("service", "夜间平安巡逻", 8, 60), ("deliberation", "巡逻排班议事会", 10, 10)),
        ("魏国强", "陶建平", "姜红梅"),
    ),
    Story(
        "resident6",
        "樱桃社区",
        "樱桃社区楼栋议事会",
        "self_governing",
        date(2023, 4, 20),
        "楼栋长和居民代表议定楼道整治、停车等公共事务。",
        "樱桃社区议事厅",
        (("deliberation", "楼栋议事会", 15, 40), ("service", "楼道清理日", 20, 80)),
        ("戚振华", "谢婷婷"),
    ),
    Story(
        "resident12",
        "翠竹社区",
        "翠竹社区广场健身操队",
        "recreation",
        date(2023, 8, 8),
        "每晚在社区广场带领居民跳健身操，参加街道的全民健身展示。",
        "翠竹社区文化广场",
        (("recreation", "广场健身操", 35, 35), ("training", "新动作教学", 20, 20)),
        ("邹美玲", "喻志刚"),
    ),
)


@dataclass
class Made:
    """A group the demo made and what its activities need: where and what it does, whether its
    last year goes through the services (the hand-written ones), and since when it logs activities."""

    group: Group
    venue: str
    doings: tuple[tuple[str, str, int, int], ...]
    story: bool
    active_from: date
    established_on: date | None = None
    dormant_on: date | None = None
    origin: str = ""  # "older" (grew without a grant), or the edition number of the grant it grew from


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timeutil.LOCAL_TZ).astimezone(UTC)


class Run:
    def __init__(self, session: Session, plan_people: People, seed: int):
        self.session = session
        self.people = plan_people
        self.rng = random.Random(seed)
        self.today = timeutil.today()
        logins = ["organizer", "staff1", "staff2", "staff3", "staff4", "staff5"]
        self.users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(logins)))}
        self.organizer = self.users["organizer"]
        self.mobiles = 0

    def community(self, name: str) -> Community:
        return self.session.scalar(select(Community).where(Community.name == name))

    def keeper(self, community: Community) -> User:
        """Who creates and looks after the community's groups: its social worker, else the organizer."""
        staff = [u for login, u in sorted(self.users.items()) if login.startswith("staff")]
        return next((u for u in staff if policy.can_create_group(u, community)), self.organizer)

    def mobile(self) -> str:
        self.mobiles += 1
        return f"1391236{self.mobiles:04d}"


def _add_members(run: Run, group: Group, names: tuple[str, ...], joined: date, *, spread_days: int = 7) -> None:
    """Members who joined after the group was founded, one every ``spread_days`` days."""
    for n, name in enumerate(names):
        day = joined + timedelta(days=spread_days * (n + 1))
        if day >= run.today:
            break
        with as_of(at(day, 10)):
            groups.add_member(
                run.session,
                actor=group.leader,
                group=group,
                data=groups.MemberData(
                    name=name, mobile=run.mobile(), role="core" if n == 0 else "member", joined_on=day
                ),
            )


def _establish(run: Run, group: Group, actor: User, day: date) -> date | None:
    if day >= run.today:
        return None
    with as_of(at(day, 15)):
        groups.change_status(run.session, actor=actor, group=group, target="established", reason=None)
    return day


def _file(run: Run, group: Group, actor: User, day: date, filed_on: date, number: str) -> None:
    with as_of(at(day, 15, 30)):
        groups.file_group(run.session, actor=actor, group=group, filed_on=filed_on, filing_no=number)


def story_groups_from_grants(run: Run, edition: Edition) -> list[Made]:
    """第二届's funded teams of the hand-written story (not the suspended one) become groups."""
    made = []
    grants = {
        g.proposal.applicant.username: g
        for g in run.session.scalars(select(Grant).where(Grant.edition_id == edition.id).order_by(Grant.id))
    }
    for n, story in enumerate(FROM_GRANTS):
        grant = grants.get(story.login)
        if grant is None or groups.grant_refusal(run.session, grant):
            continue
        founded = grant.signed_on + timedelta(days=20)
        actor = (
            run.users["staff1"]
            if policy.can_create_group(run.users["staff1"], grant.proposal.community)
            else run.organizer
        )
        with as_of(at(founded, 10)):
            group = groups.create_group_from_grant(
                run.session,
                actor=actor,
                grant=grant,
                data=groups.GroupData(
                    name=story.name,
                    kind=story.kind,
                    founded_on=founded,
                    scope=story.scope,
                    venue=story.venue,
                    supervisor=f"{story.community}居民委员会",
                ),
            )
        _add_members(run, group, story.extra_members, founded)
        # three of them have rules, a leadership and regular activities after four months
        established = _establish(run, group, actor, founded + timedelta(days=120)) if n < 3 else None
        made.append(Made(group, story.venue, story.doings, True, founded + timedelta(days=5), established, origin="2"))
    return made


def older_groups(run: Run, generated: list[OlderGroup], launch: date) -> list[Made]:
    """Groups that grew without a grant, registered by the communities when the platform started
    (the hand-written four, then the generated ones), established and filed (已备案)."""
    made = []
    hand_written = {e[0]: (e[1], e[2]) for e in PAST_PROPOSALS}  # login → (name, community)
    stories = [(story, *hand_written[story.login], True) for story in WITHOUT_GRANTS]
    for older in generated:
        idea = IDEAS_BY_KEY[older.idea]
        founded = launch - timedelta(days=round(365 * older.founded_years_ago))
        story = Story(
            older.login,
            older.community,
            group_name(idea, older.community),
            idea.kind,
            founded,
            idea.scope,
            words.fill(idea.venue, older.community),
            idea.doings,
            older.members,
        )
        stories.append((story, older.name, older.community, False))
    for n, (story, leader_name, home, by_hand) in enumerate(stories):
        community = run.community(story.community)
        with as_of(at(launch - timedelta(days=3), 20)):
            people.register(run.session, story.login, leader_name, run.community(home))
        actor = run.keeper(community)
        registered = launch + timedelta(days=n)
        with as_of(at(registered, 10)):
            group = groups.create_group(
                run.session,
                actor=actor,
                community=community,
                data=groups.GroupData(
                    name=story.name,
                    kind=story.kind,
                    founded_on=story.founded,
                    scope=story.scope,
                    venue=story.venue,
                    supervisor=f"{story.community}居民委员会",
                    leader_login=story.login,
                ),
            )
            groups.change_status(run.session, actor=actor, group=group, target="established", reason=None)
        filed_on = story.founded + timedelta(days=60)
        _file(run, group, actor, registered, filed_on, f"DH-{story.founded.year}-{n + 1:03d}")
        _add_members(run, group, story.extra_members, registered, spread_days=11)
        active = registered + timedelta(days=5)
        made.append(Made(group, story.venue, story.doings, by_hand, active, registered, origin="older"))
    return made


def groups_from_grants(run: Run, edition: Edition, *, skip: set[str], every: int) -> list[Made]:
    """The generated teams of an edition's grants become groups (a team made for a group already
    is that group; every ``every``-th team went its own ways after the project)."""
    made = []
    grants = run.session.scalars(select(Grant).where(Grant.edition_id == edition.id).order_by(Grant.id)).all()
    for n, grant in enumerate(grants):
        proposal = grant.proposal
        if (
            proposal.applicant.username in skip
            or proposal.group_id is not None
            or grant.status == GrantStatus.TERMINATED.value
            or groups.grant_refusal(run.session, grant)
            or n % every == every - 1
        ):
            continue
        idea = _idea_of(proposal.title, proposal.community.name)
        if idea is None:
            continue
        rng = run.rng
        founded = grant.signed_on + timedelta(days=rng.randint(15, 45))
        actor = run.keeper(proposal.community)
        with as_of(at(founded, 10)):
            group = groups.create_group_from_grant(
                run.session,
                actor=actor,
                grant=grant,
                data=groups.GroupData(
                    name=group_name(idea, proposal.community.name),
                    kind=idea.kind,
                    founded_on=founded,
                    scope=idea.scope,
                    venue=words.fill(idea.venue, proposal.community.name),
                    supervisor=f"{proposal.community.name}居民委员会",
                ),
            )
        names = tuple(run.people.team(rng.randint(1, 5)))
        _add_members(
            run, group, tuple(name for name, _mobile, _role in names), founded, spread_days=rng.randint(10, 40)
        )
        established = _establish(run, group, actor, founded + timedelta(days=rng.randint(90, 150)))
        dormant = None
        if established and n % 9 == 4 and established + timedelta(days=420) < run.today:
            dormant = established + timedelta(days=rng.randint(240, 400))
            with as_of(at(dormant, 16)):
                groups.change_status(
                    run.session,
                    actor=actor,
                    group=group,
                    target="dormant",
                    reason="负责人搬离社区，骨干忙于照顾家人，组织暂停活动。",
                )
        elif established and established + timedelta(days=200) < run.today and n % 2 == 0:
            filed = established + timedelta(days=rng.randint(60, 180))
            _file(run, group, actor, filed, filed, f"DH-{filed.year}-{100 + n:03d}")
        made.append(
            Made(
                group,
                group.venue,
                idea.doings,
                False,
                founded + timedelta(days=5),
                established,
                dormant,
                origin=str(edition.number),
            )
        )
    return made


def _idea_of(title: str, community: str):
    """The idea a generated project's title was made from."""
    for idea in IDEAS_BY_KEY.values():
        base = words.fill(idea.title, community)
        if title in (base, base + "（第二期）"):
            return idea
    return None
