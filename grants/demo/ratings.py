"""The district's star ratings (星级评定), one campaign a year, through the rating services on the
days they happened (``timeutil.as_of``).

- The campaigns of the two years before are final: the communities' social workers recommended
  their established groups, the street staff (``street1`` for 东湖街道, ``street2`` for 西岭街道)
  scored them, the district panel (judge1 … judge3) scored them, and the organizer decided, published
  and made the stars final — the older groups first, the groups of 第一届 the year after, the four
  hand-written groups of last year with their stars (one five-star, two four-star, one three-star).
- This year's campaign is at the street stage: the communities have recommended their groups, and
  ``street1`` has scored the first and has the rest to score (``street2`` is half way).

The year of a campaign follows the demo's today: this year's opened six weeks ago.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants.auth.models import User
from grants.demo.groups import Made, at
from grants.incubation.models import Group, GroupStatus, StarCampaign, StarNomination
from grants.incubation.ratings import campaigns as ratings_campaigns
from grants.incubation.ratings import decisions as ratings_decisions
from grants.incubation.ratings import policy as rating_policy
from grants.incubation.ratings import sheets as ratings_sheets
from grants.timeutil import as_of, today

ASSESSORS = ("judge1", "judge2", "judge3")
STAFF = ("staff1", "staff2", "staff3", "staff4", "staff5", "street1", "street2")
# Last year: the hand-written older groups, with the share of the points each earns (stars by the
# default cut-offs 70 / 80 / 90): one five-star, two four-star, one three-star group.
RATED_LAST_YEAR = {
    "桂花社区睦邻读书会": 0.93,
    "桂花社区平安巡逻队": 0.86,
    "樱桃社区楼栋议事会": 0.82,
    "翠竹社区广场健身操队": 0.74,
}
# This year: recommended by their communities; street1 (东湖街道) has scored the first of them.
RECOMMENDED_THIS_YEAR = {
    "桂花社区平安巡逻队": 0.88,
    "桂花社区睦邻读书会": 0.91,
    "樱桃社区共享工具箱互助队": 0.78,
    "翠竹社区夕阳红合唱团": 0.84,
}
RATEABLE = (GroupStatus.ESTABLISHED.value, GroupStatus.FILED.value)


class Run:
    def __init__(self, session: Session, district_id: int, seed: int):
        self.session = session
        self.district_id = district_id
        self.rng = random.Random(seed)
        self.today = today()
        logins = ["organizer", *STAFF, *ASSESSORS]
        self.users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(logins)))}
        self.organizer = self.users["organizer"]

    def points(self, campaign: StarCampaign, share: float, spread: float) -> dict[int, int]:
        """Points per criterion (in half points) around ``share`` of each maximum."""
        return {
            c.id: max(0, min(c.max_halves, round(c.max_halves * (share + self.rng.uniform(-spread, spread)))))
            for c in ratings_campaigns.criteria_of(self.session, campaign.id)
        }

    def _staff(self) -> list[User]:
        return [self.users[login] for login in STAFF if login in self.users]

    def recommender(self, campaign: StarCampaign, group: Group) -> User | None:
        return next((u for u in self._staff() if rating_policy.can_recommend(u, campaign, group)), None)

    def street(self, nomination: StarNomination) -> User:
        return next(u for u in self._staff() if rating_policy.can_street_score(u, nomination))


def _campaign(run: Run, year: int, opened: date) -> StarCampaign:
    with as_of(at(opened, 9)):
        campaign = ratings_campaigns.create_campaign(
            run.session,
            actor=run.organizer,
            district_id=run.district_id,
            data=ratings_campaigns.CampaignData(title=f"东湖区{year}年度三自组织星级评定", year=year),
        )
        for login in ASSESSORS:
            ratings_campaigns.add_assessor(run.session, actor=run.organizer, campaign=campaign, login=login)
    with as_of(at(opened + timedelta(days=4), 9)):
        ratings_campaigns.move_stage(run.session, actor=run.organizer, campaign=campaign, target="recommending")
    return campaign


def _recommend(run: Run, campaign: StarCampaign, shares: dict[Group, float], day: date) -> dict[Group, StarNomination]:
    nominations = {}
    for n, (group, share) in enumerate(shares.items()):
        recommender = run.recommender(campaign, group)
        if recommender is None or group.status not in RATEABLE:
            continue
        with as_of(at(day + timedelta(days=n % 8), 16, n)):
            nominations[group] = ratings_sheets.recommend(
                run.session,
                actor=recommender,
                campaign=campaign,
                group=group,
                points=run.points(campaign, min(1.0, share + 0.04), 0.03),
                evidence=f"{group.name}本年度活动记录、志愿服务时长和居民评价见附件材料。",
            )
    return nominations


def _score_street(run: Run, nominations: dict[Group, StarNomination], shares: dict[Group, float], day: date) -> None:
    for n, (group, nomination) in enumerate(nominations.items()):
        with as_of(at(day + timedelta(days=n % 6), 10, n)):
            ratings_sheets.score_street(
                run.session,
                actor=run.street(nomination),
                nomination=nomination,
                points=run.points(nomination.campaign, shares[group], 0.04),
            )


def final_campaign(run: Run, year: int, opened: date, shares: dict[Group, float]) -> StarCampaign:
    """A year's campaign carried to its final stars (offsets as a district runs it: recommended in
    the second week, street review from the fourth, district review, notice, final in November)."""
    campaign = _campaign(run, year, opened)
    nominations = _recommend(run, campaign, shares, opened + timedelta(days=9))
    with as_of(at(opened + timedelta(days=24), 9)):
        ratings_campaigns.move_stage(run.session, actor=run.organizer, campaign=campaign, target="street_review")
    _score_street(run, nominations, shares, opened + timedelta(days=30))
    with as_of(at(opened + timedelta(days=39), 9)):
        ratings_campaigns.move_stage(run.session, actor=run.organizer, campaign=campaign, target="district_review")
    for k, login in enumerate(ASSESSORS):
        for n, (group, nomination) in enumerate(nominations.items()):
            with as_of(at(opened + timedelta(days=44 + k), 14, n)):
                ratings_sheets.score_district(
                    run.session,
                    actor=run.users[login],
                    nomination=nomination,
                    points=run.points(campaign, shares[group], 0.02),
                    comment="材料齐全，活动记录真实。" if k == 0 else "",
                )
    with as_of(at(opened + timedelta(days=56), 10)):
        for nomination in nominations.values():
            ratings_decisions.decide(run.session, actor=run.organizer, nomination=nomination)
        ratings_decisions.publish(run.session, actor=run.organizer, campaign=campaign)
    with as_of(at(opened + timedelta(days=70), 10)):
        ratings_decisions.finalize(run.session, actor=run.organizer, campaign=campaign)
    return campaign


def current_campaign(run: Run, year: int, shares: dict[Group, float], first: Group) -> StarCampaign:
    """This year's campaign, at the street stage: ``first`` is scored by its street, and of the
    rest every other one of 西岭街道's (street1 has its others still to score)."""
    campaign = _campaign(run, year, run.today - timedelta(days=45))
    nominations = _recommend(run, campaign, shares, run.today - timedelta(days=35))
    with as_of(at(run.today - timedelta(days=20), 9)):
        ratings_campaigns.move_stage(run.session, actor=run.organizer, campaign=campaign, target="street_review")
    scored = {
        group: nomination
        for n, (group, nomination) in enumerate(nominations.items())
        if group is first or (run.street(nomination).username == "street2" and n % 2 == 0)
    }
    for n, (group, nomination) in enumerate(scored.items()):
        with as_of(at(run.today - timedelta(days=6 - n % 4), 10, n)):
            ratings_sheets.score_street(
                run.session,
                actor=run.street(nomination),
                nomination=nomination,
                points=run.points(campaign, shares[group], 0.04),
            )
    return campaign


# How generated groups fare (share of the points, the panel's rounding adds about 0.03): below
# three stars, three, four and five stars, with their weights.
BANDS = ((0.58, 0.64), (0.67, 0.75), (0.77, 0.84), (0.86, 0.92))
WEIGHTS = (12, 38, 32, 18)


def _share(run: Run) -> float:
    low, high = run.rng.choices(BANDS, weights=WEIGHTS)[0]
    return round(run.rng.uniform(low, high), 3)


def seed_ratings(session: Session, district_id: int, made: list[Made], launch: date) -> None:
    """The two final campaigns before this year's, and this year's at the street stage."""
    run = Run(session, district_id, seed=15)
    this_year = (run.today - timedelta(days=45)).year
    by_name = {m.group.name: m.group for m in made}
    for years_ago in (2, 1):
        year = this_year - years_ago
        opened = max(date(year, 9, 1), launch + timedelta(days=14))
        ready = [
            m
            for m in made
            if not m.story and m.established_on is not None and m.established_on < opened and m.dormant_on is None
        ]
        if years_ago == 2:
            chosen = [m for m in ready if m.origin == "older"]
        else:
            chosen = [m for m in ready if m.origin != "older"] + [m for m in ready if m.origin == "older"][::2]
        shares = {m.group: _share(run) for m in chosen}
        if years_ago == 1:
            shares = {by_name[name]: share for name, share in RATED_LAST_YEAR.items()} | shares
        final_campaign(run, year, opened, shares)
    story = {by_name[name]: share for name, share in RECOMMENDED_THIS_YEAR.items()}
    others = [m for m in made if not m.story and m.established_on is not None and m.dormant_on is None]
    shares = story | {m.group: _share(run) for m in others[1::4]}
    current_campaign(run, this_year, shares, first=next(iter(story)))
    session.flush()
