"""What the demo district's residents proposed and founded, generated from the word tables with a
fixed seed: the proposals of 第一届 and 第二届 beside the hand-written ones, and the groups that grew
without a grant before the platform existed. Pure: no Flask, no database.

A (community, idea) pair is used once in the district: it names one project and the one group it
grows into. A group that applies again does so with its own idea ("（第二期）"), through its leader.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from grants.demo import words
from grants.demo.ideas import IDEAS, Idea

COMMUNITIES = ("桂花社区", "樱桃社区", "翠竹社区", "枫林社区", "松涛社区")


@dataclass(frozen=True)
class Entry:
    """One proposal of a past edition, as its applicant typed it."""

    login: str
    name: str
    community: str
    title: str
    category: str
    summary: str
    team: tuple[tuple[str, str, str], ...]  # (name, mobile, role)
    activities: tuple[tuple[str, str, str, int], ...]  # (when, what, where, people)
    lines: tuple[tuple[str, str, int, int], ...]  # (budget category, item, unit yuan, quantity)
    quality: float  # how well the judges will score it
    failure: str | None = None  # the eligibility failure reason (None: it passes)
    idea: str | None = None  # what it grows into (a key of IDEAS), None: no group
    group: str | None = None  # the group it is made for (Proposal.group_id), by name


@dataclass(frozen=True)
class OlderGroup:
    """A group that grew without a grant years before the platform; its leader is a resident."""

    community: str
    idea: str
    founded_years_ago: float
    login: str
    name: str
    members: tuple[str, ...]


@dataclass
class People:
    """Residents made up so far: names never repeat, logins count up (jm001 …)."""

    rng: random.Random
    names: set[str] = field(default_factory=set)
    count: int = 0
    mobiles: int = 0

    def resident(self) -> tuple[str, str]:
        self.count += 1
        return f"jm{self.count:03d}", words.person(self.rng, self.names)

    def mobile(self) -> str:
        self.mobiles += 1
        return f"1361234{self.mobiles:04d}"

    def team(self, size: int) -> tuple[tuple[str, str, str], ...]:
        roles = self.rng.sample(words.TEAM_ROLES, size)
        return tuple((words.person(self.rng, self.names), self.mobile(), role) for role in roles)


def group_name(idea: Idea, community: str) -> str:
    return words.fill(idea.group, community)


def _plan_rows(rng: random.Random, idea: Idea, community: str) -> tuple[tuple[str, str, str, int], ...]:
    venue = words.fill(idea.venue, community)
    return tuple(
        (rng.choice(words.WHEN), title, venue, max(5, participants + rng.randint(-3, 8)))
        for _kind, title, participants, _served in idea.doings
    )


def new_entry(
    people: People, idea: Idea, community: str, *, quality: float, failure: str | None, cap_yuan: int
) -> Entry:
    """A first proposal by a new resident and a team of two to four neighbours."""
    rng = people.rng
    login, name = people.resident()
    return Entry(
        login=login,
        name=name,
        community=community,
        title=words.fill(idea.title, community),
        category=idea.category,
        summary=idea.summary,
        team=people.team(rng.randint(2, 4)),
        activities=_plan_rows(rng, idea, community),
        lines=tuple(words.budget_lines(rng, idea, cap_yuan)),
        quality=quality,
        failure=failure,
        idea=idea.key,
    )


def again_entry(
    people: People,
    idea: Idea,
    community: str,
    *,
    login: str,
    name: str,
    team: tuple[tuple[str, str, str], ...],
    group: str,
    quality: float,
    cap_yuan: int,
    suffix: str = "（第二期）",
) -> Entry:
    """A project proposed in a group's name by its leader with the group's people (its second one
    on the platform: ``suffix``; an older group's first: "")."""
    rng = people.rng
    return Entry(
        login=login,
        name=name,
        community=community,
        title=words.fill(idea.title, community) + suffix,
        category=idea.category,
        summary=(f"{group}在上一期的基础上继续开展：" if suffix else f"{group}申报：") + idea.summary,
        team=team,
        activities=_plan_rows(rng, idea, community),
        lines=tuple(words.budget_lines(rng, idea, cap_yuan)),
        quality=quality,
        idea=idea.key,
        group=group,
    )


def free_pairs(rng: random.Random, used: set[tuple[str, str]], count: int) -> list[tuple[str, Idea]]:
    """``count`` (community, idea) pairs not used yet, taken in turn from each community (then
    marked used), in a shuffled order.

    Raises: ValueError when the district has run out of pairs.
    """
    queues = {c: [idea for idea in IDEAS if (c, idea.key) not in used] for c in COMMUNITIES}
    for queue in queues.values():
        rng.shuffle(queue)
    chosen: list[tuple[str, Idea]] = []
    while len(chosen) < count:
        if not any(queues.values()):
            raise ValueError("no project idea left in the district")
        for community in COMMUNITIES:
            if queues[community] and len(chosen) < count:
                idea = queues[community].pop()
                chosen.append((community, idea))
                used.add((community, idea.key))
    rng.shuffle(chosen)
    return chosen


def older_groups(people: People, used: set[tuple[str, str]], count: int) -> list[OlderGroup]:
    """Groups founded two to seven years ago without a grant."""
    rng = people.rng
    groups = []
    for community, idea in free_pairs(rng, used, count):
        login, name = people.resident()
        members = tuple(words.person(rng, people.names) for _ in range(rng.randint(3, 6)))
        groups.append(OlderGroup(community, idea.key, round(rng.uniform(2.2, 7.0), 2), login, name, members))
    return groups


def new_entries(
    people: People, used: set[tuple[str, str]], count: int, ineligible: int, cap_yuan: int, best: float = 0.92
) -> list[Entry]:
    """New residents' proposals: ``ineligible`` of them fail the eligibility check; the judges will
    think the best of them worth ``best`` of the points."""
    rng = people.rng
    entries = []
    for n, (community, idea) in enumerate(free_pairs(rng, used, count)):
        failure = words.INELIGIBLE[n % len(words.INELIGIBLE)] if n % (count // max(ineligible, 1)) == 3 else None
        quality = round(rng.uniform(0.55, best), 3)
        entries.append(new_entry(people, idea, community, quality=quality, failure=failure, cap_yuan=cap_yuan))
    return entries
