"""The shapes of a journey's page — its steps and the part each tells — and the order of the steps:
plain data and one pure ordering function; nothing here queries or reads the request (the service
fills the parts, the template shows them).

Every part holds only what its version shows: fields marked "not in the public version" stay empty
(None, "" or []) when the service builds the public one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from grants import timeutil
from grants.incubation.history import Totals, YearLine
from grants.incubation.ratings.queries import Rating
from grants.journey.policy import Audience
from grants.journey.queries import ActivityRow, LineRow, Listing, ObjectionRow, Person, TrancheRow


class StepKind:
    PROPOSAL = "proposal"
    ROUND = "round"
    NOTICE = "notice"
    AWARD = "award"
    SIGNING = "signing"
    TRANCHE = "tranche"
    MONEY = "money"
    REPORT = "report"
    GROUP = "group"
    ACTIVITIES = "activities"
    STARS = "stars"
    LATER = "later"


@dataclass(frozen=True)
class Step:
    """One entry of the timeline: what happened (``kind`` and its ``item``) and on which day (Beijing)."""

    kind: str
    day: date | None
    item: object
    done: bool = True  # False: still to come (a tranche not yet paid)


@dataclass(frozen=True)
class ProposalPart:
    applicant: str  # the public version: masked as the notice published it
    team_size: int
    summary: str
    submission_opens_at: datetime | None
    submission_closes_at: datetime | None
    # Not in the public version:
    applicant_mobile: str = ""
    team: list[Person] = field(default_factory=list)
    requested_fen: int | None = None
    status: str | None = None
    version: int = 0
    submitted_at: datetime | None = None
    withdrawn_at: datetime | None = None


@dataclass(frozen=True)
class RoundPart:
    """A review round as this version may tell it (the public version has none: it has the notices)."""

    name: str
    kind: str  # eligibility | scoring
    outcome: str  # passed | failed | advanced | not_advanced | ended | pending
    reason: str | None = None  # why it failed the eligibility check
    score: Decimal | None = None  # the stored result: only the organizer's version
    rank: int | None = None
    judges: int | None = None


@dataclass(frozen=True)
class NoticePart:
    listing: Listing
    objections: list[ObjectionRow]


@dataclass(frozen=True)
class TranchePart:
    row: TrancheRow
    condition: str  # when it may be paid, in words
    live_status: str | None  # a disbursement under way, in words: not in the public version


@dataclass(frozen=True)
class MoneyPart:
    approved_fen: int
    paid_fen: int
    refunded_fen: int
    accepted_fen: int
    pending_fen: int | None  # not in the public version
    lines: list[LineRow]

    @property
    def held_fen(self) -> int:
        """Paid − returned − accepted expenses: what the receiving unit still has to account for."""
        return self.paid_fen - self.refunded_fen - self.accepted_fen


@dataclass(frozen=True)
class ReportPart:
    kind: str
    passed: bool | None
    evaluated_at: datetime | None
    # Not in the public version:
    status: str | None = None
    submitted_at: datetime | None = None
    beneficiaries: int | None = None
    activities_count: int | None = None
    total_points: int | None = None
    pass_mark: int | None = None


@dataclass(frozen=True)
class GroupPart:
    id: int
    name: str
    kind: str
    status: str
    community: str
    founded_on: date | None
    grown: bool  # grown from this project's grant (else: the group this proposal was made for)
    has_public_page: bool  # a rated group (grants/incubation/ratings)
    may_open: bool  # its own page (the group's staff, organizer, leader)
    years: list[YearLine]
    latest: list[ActivityRow]
    ratings: list[Rating]

    @property
    def totals(self) -> Totals:
        return Totals(
            activities=sum(y.activities for y in self.years),
            served=sum(y.served for y in self.years),
            halves=sum(y.halves for y in self.years),
        )


@dataclass(frozen=True)
class LaterPart:
    proposal_id: int
    title: str
    edition_name: str
    tier: str | None
    approved_fen: int | None
    status: str | None  # not in the public version


@dataclass(frozen=True)
class Journey:
    audience: Audience
    proposal_id: int
    title: str
    edition_id: int
    edition_name: str
    street: str
    community: str
    category: str
    steps: list[Step]
    entry_id: int | None  # the public project page (its newest notice)
    grant_id: int | None  # the grant page: organizer's and applicant's versions only
    group: GroupPart | None

    @property
    def is_public(self) -> bool:
        return self.audience == Audience.PUBLIC


def local_day(value: date | datetime | None) -> date | None:
    """The day in Beijing of a stored UTC time (a date column is already a local day)."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    return timeutil.to_local(value).date()


REVIEW_KINDS = (StepKind.PROPOSAL, StepKind.ROUND, StepKind.NOTICE)


def in_time_order(steps: list[Step]) -> list[Step]:
    """The application and its review first, in the order of the rounds; then what followed, by day
    (a step with no day keeps its place after the step before it); then what is still to come."""

    def phase(step: Step) -> int:
        if not step.done:
            return 2
        return 0 if step.kind in REVIEW_KINDS else 1

    keyed, last = [], date.min
    for position, step in enumerate(steps):
        last = step.day or last
        keyed.append(((phase(step), last if phase(step) == 1 else date.min, position), step))
    return [step for _key, step in sorted(keyed, key=lambda pair: pair[0])]
