"""Demo data for incubation (孵化): resident groups, a year of their activities, volunteer hours and
two star-rating campaigns, replayed through the services on the days they happened (timeutil.as_of).

- The past edition's funded teams become groups (all but the suspended one), joined by groups that
  grew without a grant years before; each has members beyond its founding team.
- Every group logs its activities through the year (its leader, from a phone); community staff
  (``staff1`` in 桂花社区, the organizer elsewhere) confirm most, return a few with a reason; the
  last weeks' wait: ``staff1`` finds activities to confirm.
- 2025年度星级评定 is final: one five-star, two four-star and one three-star group (the older groups).
- 2026年度星级评定 is at the street stage: the communities have recommended their groups and
  ``street1`` (东湖街道) has them to score.

Deterministic (a fixed random seed) and idempotent: it runs once, when no group exists.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants import timeutil
from grants.auth import service as auth_service
from grants.auth.models import Role, User
from grants.editions.models import Edition
from grants.funding.models import Grant
from grants.incubation import activities, policy
from grants.incubation import service as groups
from grants.incubation.models import Activity, Group, GroupMember, StarCampaign
from grants.incubation.ratings import campaigns as ratings_campaigns
from grants.incubation.ratings import decisions as ratings_decisions
from grants.incubation.ratings import policy as rating_policy
from grants.incubation.ratings import sheets as ratings_sheets
from grants.org.models import Community

SEED = 14


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


def _photo(seed: int, title: str) -> bytes:
    """A small made-up activity photo (a drawing, no camera metadata)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), tuple(rng.randint(150, 230) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randint(0, 560), rng.randint(0, 400)
        draw.ellipse(
            (x, y, x + rng.randint(30, 80), y + rng.randint(30, 80)), fill=tuple(rng.randint(40, 200) for _ in range(3))
        )
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timeutil.LOCAL_TZ).astimezone(UTC)


class _Run:
    def __init__(self, session: Session):
        self.session = session
        self.rng = random.Random(SEED)
        self.today = timeutil.today()
        logins = ["organizer", "staff1", "street1", "judge1", "judge2", "judge3"]
        users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(logins)))}
        self.users = users
        self.organizer, self.staff = users["organizer"], users.get("staff1")
        self.config = current_app.config
        self.upload_dir = Path(self.config["UPLOAD_DIR"])

    def user(self, login: str) -> User:
        return self.session.scalar(select(User).where(User.username == login))

    def community(self, name: str) -> Community:
        return self.session.scalar(select(Community).where(Community.name == name))

    def manager(self, group: Group) -> User:
        """Who confirms the group's activities: its community's staff (staff1 in 桂花社区), else the organizer."""
        staff = [u for login, u in self.users.items() if login.startswith("staff")]
        return next((u for u in staff if policy.can_manage(u, group)), self.organizer)


def _mobile(n: int) -> str:
    return f"1391234{n:04d}"


def _add_members(run: _Run, group: Group, story: Story, joined: date, first_number: int) -> None:
    for n, name in enumerate(story.extra_members):
        with timeutil.as_of(_at(joined + timedelta(days=7 * (n + 1)), 10)):
            groups.add_member(
                run.session,
                actor=group.leader,
                group=group,
                data=groups.MemberData(
                    name=name,
                    mobile=_mobile(first_number + n),
                    role="core" if n == 0 else "member",
                    joined_on=joined + timedelta(days=7 * (n + 1)),
                ),
            )


def _groups_from_grants(run: _Run, edition: Edition) -> list[tuple[Group, Story]]:
    made = []
    grants = {
        g.proposal.applicant.username: g
        for g in run.session.scalars(select(Grant).where(Grant.edition_id == edition.id).order_by(Grant.id))
    }
    for n, story in enumerate(FROM_GRANTS):
        grant = grants.get(story.login)
        if grant is None or groups.grant_refusal(run.session, grant):
            continue
        founded = (grant.signed_on or run.today) + timedelta(days=20)
        actor = (
            run.staff if run.staff and policy.can_create_group(run.staff, grant.proposal.community) else run.organizer
        )
        with timeutil.as_of(_at(founded, 10)):
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
        _add_members(run, group, story, founded, 100 + 10 * n)
        if n < 3:  # three of them have rules, a leadership and regular activities after four months
            with timeutil.as_of(_at(founded + timedelta(days=120), 15)):
                groups.change_status(run.session, actor=actor, group=group, target="established", reason=None)
        made.append((group, story))
    return made


def _groups_without_grants(run: _Run) -> list[tuple[Group, Story]]:
    made = []
    for n, story in enumerate(WITHOUT_GRANTS):
        community = run.community(story.community)
        actor = run.staff if run.staff and policy.can_create_group(run.staff, community) else run.organizer
        with timeutil.as_of(_at(story.founded, 10)):
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
        with timeutil.as_of(_at(filed_on, 15)):
            groups.file_group(
                run.session,
                actor=actor,
                group=group,
                filed_on=filed_on,
                filing_no=f"DH-{story.founded.year}-{n + 1:03d}",
            )
        _add_members(run, group, story, story.founded, 200 + 10 * n)
        made.append((group, story))
    return made


RETURN_REASONS = (
    "受益人次与签到表不一致，请核对后重新提交。",
    "照片看不出活动现场，请补充活动照片。",
    "志愿服务时长超出活动时长，请更正。",
)


def _members(run: _Run, group: Group) -> list[GroupMember]:
    return list(
        run.session.scalars(select(GroupMember).where(GroupMember.group_id == group.id).order_by(GroupMember.id))
    )


def _activity_days(run: _Run, start: date) -> list[date]:
    """About three activities a month from ``start`` (at most a year back) to today."""
    day = max(start + timedelta(days=5), run.today - timedelta(days=330))
    days = []
    while day < run.today - timedelta(days=1):
        days.append(day)
        day += timedelta(days=run.rng.randint(7, 14))
    return days


def _log(run: _Run, group: Group, story: Story, day: date, n: int) -> tuple[Activity, activities.ActivityData]:
    kind, title, participants, served = story.doings[n % 2 if n % 3 else 1]
    members = [m for m in _members(run, group) if m.joined_on <= day]
    volunteers = run.rng.sample(members, k=min(len(members), run.rng.randint(2, 4)))
    hour = run.rng.choice((9, 14, 19))
    length = run.rng.choice((2, 2, 3))
    data = activities.ActivityData(
        title=title,
        kind=kind,
        day=day.isoformat(),
        starts=f"{hour:02d}:00",
        ends=f"{hour + length:02d}:00",
        place=story.venue,
        participants=str(participants + run.rng.randint(-3, 5)),
        served=str(max(1, served + run.rng.randint(-5, 10))),
        description=f"{story.name}开展“{title}”活动。",
        volunteers=[(str(m.id), run.rng.choice(("1.5", "2", "2", "2.5", str(length)))) for m in volunteers],
    )
    photos = []
    if n % 2 == 0:
        photos = activities.check_photos(
            [
                activities.Upload(
                    f"活动照片{k + 1}.jpg",
                    _photo(group.id * 1000 + n * 10 + k, title),
                    run.config["ATTACHMENT_MAX_BYTES"],
                )
                for k in range(2)
            ]
        )
    logged = day + timedelta(days=run.rng.randint(0, 3))
    with timeutil.as_of(_at(logged, 21, run.rng.randint(0, 59))):
        activity = activities.log_activity(
            run.session, actor=group.leader, group=group, data=data, photos=photos, upload_dir=run.upload_dir
        )
    return activity, data


def _year_of_activities(run: _Run, made: list[tuple[Group, Story]]) -> None:
    """Each group's year: most activities confirmed within days, a few returned (the first of them
    corrected and confirmed), the last two weeks' still waiting for the community's staff."""
    for group, story in made:
        manager = run.manager(group)
        for n, day in enumerate(_activity_days(run, group.founded_on)):
            activity, data = _log(run, group, story, day, n)
            if day > run.today - timedelta(days=14):
                continue  # waits for confirmation
            decided = _at(day + timedelta(days=run.rng.randint(3, 6)), 10)
            with timeutil.as_of(decided):
                if n % 11 == 5:
                    activities.return_activity(run.session, actor=manager, activity=activity, reason=RETURN_REASONS[0])
                else:
                    activities.confirm_activity(run.session, actor=manager, activity=activity)
            if n == 5:  # the leader corrects the first returned one; it is confirmed then
                data.served = str(int(data.served) - 2)
                with timeutil.as_of(decided + timedelta(days=1)):
                    activities.update_activity(
                        run.session,
                        actor=group.leader,
                        activity=activity,
                        data=data,
                        photos=[],
                        remove_photo_ids=[],
                        upload_dir=run.upload_dir,
                    )
                with timeutil.as_of(decided + timedelta(days=3)):
                    activities.confirm_activity(run.session, actor=manager, activity=activity)


# The social workers (社工) of two more communities of 东湖街道: they confirm their groups' activities
# and recommend them for the star rating, as staff1 does for 桂花社区.
MORE_STAFF = (("staff2", "何社工（樱桃社区）", "樱桃社区"), ("staff3", "林社工（翠竹社区）", "翠竹社区"))
ASSESSORS = ("judge1", "judge2", "judge3")
# 2025: the older groups, with the share of the points each earns (stars by the default cut-offs
# 70 / 80 / 90): one five-star, two four-star, one three-star group.
RATED_2025 = {
    "桂花社区睦邻读书会": 0.93,
    "桂花社区平安巡逻队": 0.86,
    "樱桃社区楼栋议事会": 0.82,
    "翠竹社区广场健身操队": 0.74,
}
# 2026: recommended by their communities; street1 (东湖街道) has scored the first and has the rest to score.
RECOMMENDED_2026 = {
    "桂花社区平安巡逻队": 0.88,
    "桂花社区睦邻读书会": 0.91,
    "樱桃社区共享工具箱互助队": 0.78,
    "翠竹社区夕阳红合唱团": 0.84,
}


def _more_staff(run: _Run) -> None:
    from grants.demo import DEMO_PASSWORD

    for login, name, community_name in MORE_STAFF:
        if run.user(login) is not None:
            continue
        community = run.community(community_name)
        user = auth_service.register_user(
            run.session, login=login, display_name=name, password=DEMO_PASSWORD, community=community
        )
        auth_service.grant_role(run.session, actor=None, user=user, role=Role.COMMUNITY_STAFF, scope=community)
        run.users[login] = user
    run.session.flush()


def _points(run: _Run, campaign: StarCampaign, share: float, spread: float) -> dict[int, int]:
    """Points per criterion (in half points) around ``share`` of each maximum."""
    return {
        c.id: max(0, min(c.max_halves, round(c.max_halves * (share + run.rng.uniform(-spread, spread)))))
        for c in ratings_campaigns.criteria_of(run.session, campaign.id)
    }


def _recommender(run: _Run, campaign: StarCampaign, group: Group) -> User | None:
    return next(
        (u for u in run.users.values() if rating_policy.can_recommend(u, campaign, group)),
        None,
    )


def _campaign(run: _Run, district_id: int, year: int, opened: date) -> StarCampaign:
    with timeutil.as_of(_at(opened, 9)):
        campaign = ratings_campaigns.create_campaign(
            run.session,
            actor=run.organizer,
            district_id=district_id,
            data=ratings_campaigns.CampaignData(title=f"东湖区{year}年度三自组织星级评定", year=year),
        )
        for login in ASSESSORS:
            ratings_campaigns.add_assessor(run.session, actor=run.organizer, campaign=campaign, login=login)
    with timeutil.as_of(_at(opened + timedelta(days=4), 9)):
        ratings_campaigns.move_stage(run.session, actor=run.organizer, campaign=campaign, target="recommending")
    return campaign


def _recommend(run: _Run, campaign: StarCampaign, by_name: dict[str, Group], shares: dict[str, float], day: date):
    nominations = {}
    for n, (name, share) in enumerate(shares.items()):
        group = by_name[name]
        recommender = _recommender(run, campaign, group)
        if recommender is None:
            continue
        with timeutil.as_of(_at(day + timedelta(days=n), 16)):
            nominations[name] = ratings_sheets.recommend(
                run.session,
                actor=recommender,
                campaign=campaign,
                group=group,
                points=_points(run, campaign, min(1.0, share + 0.04), 0.03),
                evidence=f"{group.name}本年度活动记录、志愿服务时长和居民评价见附件材料。",
            )
    return nominations


def _rating_2025(run: _Run, district_id: int, by_name: dict[str, Group]) -> None:
    """Last year's campaign, carried to its final stars."""
    campaign = _campaign(run, district_id, 2025, date(2025, 9, 1))
    nominations = _recommend(run, campaign, by_name, RATED_2025, date(2025, 9, 10))
    street = run.users["street1"]
    with timeutil.as_of(_at(date(2025, 9, 25), 9)):
        ratings_campaigns.move_stage(run.session, actor=run.organizer, campaign=campaign, target="street_review")
    for n, (name, nomination) in enumerate(nominations.items()):
        with timeutil.as_of(_at(date(2025, 10, 1) + timedelta(days=n), 10)):
            ratings_sheets.score_street(
                run.session, actor=street, nomination=nomination, points=_points(run, campaign, RATED_2025[name], 0.04)
            )
    with timeutil.as_of(_at(date(2025, 10, 10), 9)):
        ratings_campaigns.move_stage(run.session, actor=run.organizer, campaign=campaign, target="district_review")
    for k, login in enumerate(ASSESSORS):
        for name, nomination in nominations.items():
            with timeutil.as_of(_at(date(2025, 10, 15) + timedelta(days=k), 14)):
                ratings_sheets.score_district(
                    run.session,
                    actor=run.user(login),
                    nomination=nomination,
                    points=_points(run, campaign, RATED_2025[name], 0.02),
                    comment="材料齐全，活动记录真实。" if k == 0 else "",
                )
    with timeutil.as_of(_at(date(2025, 10, 27), 10)):
        for nomination in nominations.values():
            ratings_decisions.decide(run.session, actor=run.organizer, nomination=nomination)
        ratings_decisions.publish(run.session, actor=run.organizer, campaign=campaign)
    with timeutil.as_of(_at(date(2025, 11, 10), 10)):
        ratings_decisions.finalize(run.session, actor=run.organizer, campaign=campaign)


def _rating_2026(run: _Run, district_id: int, by_name: dict[str, Group]) -> None:
    """This year's campaign, at the street stage: street1 has scored one group and has the rest to score."""
    campaign = _campaign(run, district_id, 2026, run.today - timedelta(days=45))
    nominations = _recommend(run, campaign, by_name, RECOMMENDED_2026, run.today - timedelta(days=35))
    with timeutil.as_of(_at(run.today - timedelta(days=20), 9)):
        ratings_campaigns.move_stage(run.session, actor=run.organizer, campaign=campaign, target="street_review")
    name, nomination = next(iter(nominations.items()))
    with timeutil.as_of(_at(run.today - timedelta(days=6), 10)):
        ratings_sheets.score_street(
            run.session,
            actor=run.users["street1"],
            nomination=nomination,
            points=_points(run, campaign, RECOMMENDED_2026[name], 0.04),
        )


def seed_incubation(session: Session, past_edition: Edition | None) -> bool:
    """Build the groups, their year and the star ratings once; returns whether anything was done."""
    if session.scalar(select(func.count(Group.id))) or past_edition is None:
        return False
    run = _Run(session)
    _more_staff(run)
    made = _groups_from_grants(run, past_edition) + _groups_without_grants(run)
    _year_of_activities(run, made)
    by_name = {group.name: group for group, _story in made}
    _rating_2025(run, past_edition.district_id, by_name)
    _rating_2026(run, past_edition.district_id, by_name)
    session.flush()
    return bool(made)
