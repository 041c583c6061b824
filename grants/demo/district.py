"""The demo district's history before the current edition, at the scale a district reports: the
platform started two and a half years ago (the communities registered their older groups), 第一届
two years ago and 第二届 last year, both through every step, their grants funded, the teams grown
into groups with their activities, and the yearly star ratings.

Generated deterministically: the word tables and a fixed seed decide who proposes what, the demo's
today decides the calendar. Built once: nothing is added when 第一届 or 第二届 exists.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import timeutil
from grants.auth.models import User
from grants.demo import activities, funding, groups, people, plan, ratings
from grants.demo.ideas import IDEAS_BY_KEY
from grants.demo.past import Spec, run_edition
from grants.demo.past_data import (
    CORRECTION,
    FIRST_OBJECTIONS,
    INTRODUCTION,
    RESERVED,
    SECOND_ENTRIES,
    SECOND_OBJECTIONS,
)
from grants.editions.models import Edition
from grants.org.models import Community, District
from grants.timeutil import as_of

SEED = 2024
CAP_YUAN = 5000
OLDER_GROUPS = 8  # generated groups that grew without a grant (beside the four hand-written ones)
FIRST_NEW, FIRST_INELIGIBLE = 47, 4  # 第一届: new residents' proposals, of which fail eligibility
FIRST_OLDER_APPLY = 3  # older groups that apply in 第一届 in their own name
SECOND_NEW, SECOND_INELIGIBLE = 35, 3  # 第二届, beside the twelve hand-written proposals
SECOND_AGAIN = 7  # groups grown from 第一届's grants that apply again in 第二届
SECOND_STORY = {"resident1", "resident2", "resident3", "resident7", "resident9"}  # funding/story.py


def published_at(today: date, years_ago: int) -> datetime:
    """An award notice went out at 09:30 Beijing time, ``years_ago`` years before today."""
    return timeutil.local_day_start(today - timedelta(days=365 * years_ago)) + timedelta(hours=9, minutes=30)


def _first_spec(today: date) -> Spec:
    return Spec(
        number=1,
        name="东湖区第一届社区公益微创投大赛",
        theme="邻里守望 共建美好家园",
        pool_fen=10_000_000,
        published_at=published_at(today, 2),
        preliminary_top_n=24,
        final_top_n=18,
        tiers=(("一等奖", 1), ("二等奖", 3), ("三等奖", 5), ("优秀奖", 9)),
        introduction=INTRODUCTION,
        objections=FIRST_OBJECTIONS,
        objectors=("jm001", "jm002"),
    )


def _second_spec(today: date) -> Spec:
    return Spec(
        number=2,
        name="东湖区第二届社区公益微创投大赛",
        theme="共建共治共享 邻里一家亲",
        pool_fen=12_000_000,
        published_at=published_at(today, 1),
        preliminary_top_n=28,
        final_top_n=22,
        tiers=(("一等奖", 1), ("二等奖", 2), ("三等奖", 3), ("优秀奖", 16)),
        introduction=INTRODUCTION,
        lowered=("resident2",),
        objections=SECOND_OBJECTIONS,
        objectors=("resident2", "resident1", "resident3"),
        correction=CORRECTION,
    )


def _older_applications(folks: plan.People, older: list[plan.OlderGroup]) -> list[plan.Entry]:
    """Older groups apply in 第一届 in their own name, their leader with three of their members."""
    entries = []
    for group in older[:FIRST_OLDER_APPLY]:
        idea = IDEAS_BY_KEY[group.idea]
        team = tuple(
            (name, folks.mobile(), role) for name, role in zip(group.members[:3], ("骨干", "成员", "成员"), strict=True)
        )
        entries.append(
            plan.again_entry(
                folks,
                idea,
                group.community,
                login=group.login,
                name=group.name,
                team=team,
                group=plan.group_name(idea, group.community),
                quality=round(folks.rng.uniform(0.7, 0.9), 3),
                cap_yuan=CAP_YUAN,
                suffix="",
            )
        )
    return entries


def _second_applications(folks: plan.People, first: list[plan.Entry], made: list[groups.Made]) -> list[plan.Entry]:
    """Groups grown from 第一届's grants apply again in 第二届, through their leader with the same team."""
    by_login = {entry.login: entry for entry in first}
    ready = [m for m in made if m.origin == "1" and m.established_on is not None and m.dormant_on is None]
    entries = []
    for item in folks.rng.sample(ready, min(SECOND_AGAIN, len(ready))):
        leader = item.group.leader
        entry = by_login[leader.username]
        entries.append(
            plan.again_entry(
                folks,
                IDEAS_BY_KEY[entry.idea],
                entry.community,
                login=leader.username,
                name=leader.display_name,
                team=entry.team,
                group=item.group.name,
                quality=round(folks.rng.uniform(0.62, 0.76), 3),
                cap_yuan=CAP_YUAN,
            )
        )
    return entries


def seed_history(
    session: Session, district: District, communities: dict[str, Community], reviewers: list[User]
) -> bool:
    """Build the district's history once; returns whether anything was done."""
    if session.scalar(select(Edition.id).where(Edition.district_id == district.id, Edition.number.in_((1, 2)))):
        return False
    today = timeutil.today()
    first_spec, second_spec = _first_spec(today), _second_spec(today)
    launch = timeutil.to_local(first_spec.opens - timedelta(days=40)).date()
    with as_of(groups.at(launch - timedelta(days=5), 9)):
        people.add_staff(session)
    folks = plan.People(random.Random(SEED))
    used = set(RESERVED)
    older = plan.older_groups(folks, used, OLDER_GROUPS)
    group_run = groups.Run(session, folks, seed=SEED + 1)
    made = groups.older_groups(group_run, older, launch)
    where = {"district": district, "communities": communities, "reviewers": reviewers}

    first_entries = plan.new_entries(folks, used, FIRST_NEW, FIRST_INELIGIBLE, CAP_YUAN)
    entries = first_entries + _older_applications(folks, older)
    folks.rng.shuffle(entries)
    first = run_edition(session, first_spec, entries, **where)
    funding.seed_first_edition(session, first)
    made += groups.groups_from_grants(group_run, first, skip=set(), every=8)

    # below the hand-written winners (0.80 and more), so their tiers stay as the story tells
    second_new = plan.new_entries(folks, used, SECOND_NEW, SECOND_INELIGIBLE, CAP_YUAN, best=0.76)
    entries = SECOND_ENTRIES + second_new + _second_applications(folks, first_entries, made)
    second = run_edition(session, second_spec, entries, **where)
    funding.seed_second_edition(session, second)
    made += groups.story_groups_from_grants(group_run, second)
    made += groups.groups_from_grants(group_run, second, skip=SECOND_STORY, every=6)

    activities.seed_activities(session, made)
    ratings.seed_ratings(session, district.id, made, launch)
    return True
