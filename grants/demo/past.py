"""A past edition carried through every step on the days it happened: submissions, eligibility,
preliminary and final scoring, award tiers and amounts, a public notice with objections (for
第二届 also a correction that supersedes it), and the final result with its grants.

Everything goes through the services as the organizer, the reviewers, the judges and the
residents would, each step inside ``timeutil.as_of`` its moment, so statuses, stamps, audit
entries and public pages are those of real use back then.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import money, timeutil
from grants.auth import service as auth_service
from grants.auth.models import Role, User
from grants.demo import people
from grants.demo.plan import Entry
from grants.demo.proposals import TEXT
from grants.demo.words import JUDGE_COMMENTS
from grants.editions import service as edition_service
from grants.editions.models import Edition, Round
from grants.editions.states import EditionStatus, edition_machine
from grants.incubation.models import Group
from grants.judging import awards, closing, eligibility, sheets
from grants.judging.models import Assignment
from grants.org.models import Community, District
from grants.proposals import budget
from grants.proposals import policy as proposal_policy
from grants.proposals import service as ps
from grants.proposals.models import Proposal
from grants.results import objections
from grants.results import service as results
from grants.results.models import PublicationEntry
from grants.timeutil import as_of

JUDGES = [f"judge{i}" for i in range(1, 6)]
MORNING = timedelta(days=1, hours=9, minutes=30)  # the next morning, from a window's closing midnight


@dataclass(frozen=True)
class Objection:
    """An objection to the notice: whose project (login), its text and the organizer's reply."""

    target: str
    text: str
    reply: str
    upheld: bool


@dataclass(frozen=True)
class Spec:
    """How one past edition ran; ``published_at`` is when its award notice went out."""

    number: int
    name: str
    theme: str
    pool_fen: int
    published_at: datetime
    preliminary_top_n: int
    final_top_n: int
    tiers: tuple[tuple[str, int], ...]
    introduction: str
    lowered: tuple[str, ...] = ()  # whose approved amount is lowered to 80 % (logins)
    objections: tuple[Objection, ...] = ()
    objectors: tuple[str, ...] = ()  # who files them, in turn (never against their own project)
    correction: str = ""  # the correction notice's introduction (an upheld objection removes its project)
    cap_fen: int = 500_000

    @property
    def opens(self) -> datetime:
        """Submissions opened four months before the notice, for thirty days."""
        return self.published_at - timedelta(days=120)


class _Run:
    def __init__(self, session: Session, spec: Spec, district: District, communities, reviewers: list[User]):
        self.session, self.spec, self.district = session, spec, district
        self.communities: dict[str, Community] = communities
        self.reviewers = reviewers
        self.organizer = session.scalar(select(User).where(User.username == "organizer"))
        self.rng = random.Random(spec.number)


def _edition(run: _Run) -> Edition:
    spec = run.spec
    with as_of(spec.opens - timedelta(days=20)):
        edition = edition_service.create_edition(
            run.session,
            actor=run.organizer,
            district=run.district,
            data=edition_service.EditionData(
                number=spec.number,
                name=spec.name,
                theme=spec.theme,
                description="面向全区居民征集社区公益微项目，每个项目资助不超过5000元。",
                cap_fen=spec.cap_fen,
                pool_fen=spec.pool_fen,
                min_team_size=3,
                submission_opens_at=spec.opens,
                submission_closes_at=spec.opens + timedelta(days=30),
                categories=edition_service.default_categories(),
            ),
        )
        for login in JUDGES:
            judge = run.session.scalar(select(User).where(User.username == login))
            auth_service.grant_role(run.session, actor=run.organizer, user=judge, role=Role.JUDGE, scope=edition)
    with as_of(spec.opens - timedelta(hours=1)):
        edition_machine.transition(run.session, edition, EditionStatus.OPEN.value, actor=run.organizer)
    return edition


def _data(run: _Run, edition: Edition, entry: Entry, community: Community, period_start: date) -> ps.ProposalData:
    categories = {c.name: c.id for c in ps.ensure_budget_categories(run.session, edition)}
    group_id = None
    if entry.group is not None:
        group_id = run.session.scalar(
            select(Group.id).where(Group.community_id == community.id, Group.name == entry.group)
        )
    return ps.ProposalData(
        title=entry.title,
        category_id=next(c.id for c in edition.categories if c.name == entry.category),
        community_id=community.id,
        period_start=period_start,
        period_end=date(period_start.year + 1, period_start.month, 1) - timedelta(days=1),
        summary=entry.summary,
        direct_beneficiaries=sum(people for *_rest, people in entry.activities) or 40,
        indirect_beneficiaries=300,
        self_funds_fen=50_000,
        commitment=True,
        applicant_mobile=f"1371234{sum(map(ord, entry.login)) % 10_000:04d}",
        group_id=group_id,
        team=[ps.TeamMemberData(n, m, r, community.name) for n, m, r in entry.team],
        activities=[ps.ActivityData(w, a, p, n) for w, a, p, n in entry.activities],
        budget_lines=[
            budget.Line(i, categories[c], item, unit * 100, qty)
            for i, (c, item, unit, qty) in enumerate(entry.lines, start=1)
        ],
        **{key: value.format(what=entry.title) for key, value in TEXT.items() if key != "summary"},
    )


def _submit_proposals(run: _Run, edition: Edition, entries: list[Entry]) -> list[tuple[Proposal, Entry]]:
    """Each applicant drafts and submits within the window (spread over its 30 days)."""
    spec = run.spec
    period_start = timeutil.to_local(spec.opens).date() + timedelta(days=75)
    submitted = []
    for i, entry in enumerate(entries):
        community = run.communities[entry.community]
        at = spec.opens + timedelta(days=2, hours=3) + timedelta(minutes=i * 26 * 24 * 60 // len(entries))
        with as_of(at - timedelta(days=1)):
            applicant = people.register(run.session, entry.login, entry.name, community)
        with as_of(at):
            proposal = ps.start_proposal(run.session, actor=applicant, edition=edition)
            data = _data(run, edition, entry, community, period_start)
            ps.save_draft(run.session, actor=applicant, proposal=proposal, data=data)
        with as_of(at + timedelta(hours=2)):
            ps.submit_proposal(run.session, actor=applicant, proposal=proposal)
        submitted.append((proposal, entry))
    return submitted


def _screen(run: _Run, edition: Edition, submitted: list[tuple[Proposal, Entry]]) -> None:
    """Round 1: the community's reviewer (or the organizer) passes or fails each proposal."""
    first = edition_service.rounds_of(run.session, edition.id)[0]
    closes = edition.submission_closes_at
    with as_of(closes + timedelta(days=1, hours=9)):
        edition_machine.transition(run.session, edition, EditionStatus.REVIEWING.value, actor=run.organizer)
        eligibility.open_round(run.session, actor=run.organizer, rnd=first)
    for n, (proposal, entry) in enumerate(submitted):
        reviewer = next(r for r in run.reviewers if proposal_policy.can_return(r, proposal))
        with as_of(closes + timedelta(days=2 + n % 5, hours=10, minutes=n)):
            eligibility.decide(
                run.session,
                actor=reviewer,
                rnd=first,
                proposal=proposal,
                outcome="fail" if entry.failure else "pass",
                reason=entry.failure,
                checked=[] if entry.failure else [c.id for c in first.criteria],
            )
    with as_of(closes + timedelta(days=8, hours=17)):
        eligibility.close_round(run.session, actor=run.organizer, rnd=first)


def _score_round(run: _Run, rnd: Round, quality: dict[int, float], opened: datetime) -> None:
    """Assign, open, let every judge submit every sheet over a week, close (results stored, top N
    advance) and release the comments."""
    session, organizer = run.session, run.organizer
    with as_of(opened):
        sheets.assign_round(session, actor=organizer, rnd=rnd)
        eligibility.open_round(session, actor=organizer, rnd=rnd)
    assignments = session.scalars(
        select(Assignment).where(Assignment.round_id == rnd.id).order_by(Assignment.id)
    ).unique()
    leniency: dict[int, float] = {}
    for n, assignment in enumerate(assignments):
        bias = leniency.setdefault(assignment.judge_id, run.rng.uniform(-0.05, 0.05))
        points = {}
        for criterion in rnd.criteria:
            share = quality[assignment.proposal_id] + bias + run.rng.uniform(-0.06, 0.06)
            points[criterion.id] = str(max(0, min(criterion.max_points, round(criterion.max_points * share))))
        with as_of(opened + timedelta(days=1, hours=2) + timedelta(minutes=17 * n)):
            sheets.save_sheet(
                session,
                actor=assignment.judge,
                assignment=assignment,
                raw_points=points,
                comment=JUDGE_COMMENTS[n % len(JUDGE_COMMENTS)],
                submit=True,
            )
    with as_of(opened + timedelta(days=9, hours=16)):
        closing.close_scoring_round(session, actor=organizer, rnd=rnd)
        closing.release_comments(session, actor=organizer, rnd=rnd)


def _top_n(run: _Run, rnd: Round, n: int) -> None:
    """The round (still pending) lets its top ``n`` advance."""
    data = edition_service.RoundData(**{name: getattr(rnd, name) for name in edition_service.ROUND_FIELDS})
    edition_service.update_round(
        run.session, actor=run.organizer, rnd=rnd, data=dataclasses.replace(data, advancement="top_n", advance_top_n=n)
    )


def _award(run: _Run, edition: Edition) -> None:
    """Tiers in ranking order; the spec's projects get 80 % of their request, every seventh winner
    among the generated residents' 90 %."""
    session, organizer, spec = run.session, run.organizer, run.spec
    awards.set_tiers(
        session, actor=organizer, edition=edition, rows=[awards.TierInput(n, str(c)) for n, c in spec.tiers]
    )
    awards.assign_tiers(session, actor=organizer, edition=edition)
    final = awards.final_round(session, edition.id)
    winners = [r for r in closing.stored_results(session, final, with_proposals=True) if r.tier]
    amounts = {}
    for n, result in enumerate(winners):
        login = result.proposal.applicant.username
        share = 8 if login in spec.lowered else 9 if n % 7 == 6 and login.startswith("jm") else None
        if share is not None:
            amounts[result.id] = str(result.proposal.requested_fen * share // 10 // 10_000 * 100)
    awards.set_amounts(session, actor=organizer, edition=edition, amounts=amounts)


def _entry_of(session: Session, entries: list[PublicationEntry], login: str) -> PublicationEntry:
    """The notice's entry of this applicant's project (no login: the first entry).

    Raises: LookupError (not a winner).
    """
    if not login:
        return entries[0]
    for entry in entries:
        if session.get(Proposal, entry.proposal_id).applicant.username == login:
            return entry
    raise LookupError(f"{login}'s project is not on the notice")


def _objector(session: Session, entry: PublicationEntry, logins: list[str]) -> User:
    """The first of these residents who is not the entry's applicant."""
    applicant_id = session.get(Proposal, entry.proposal_id).applicant_id
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(logins)))}
    return next(users[login] for login in logins if users[login].id != applicant_id)


def _publish_and_finalize(run: _Run, edition: Edition) -> None:
    """The notice, its objections (an upheld one → a correction notice), and the final result."""
    session, organizer, spec = run.session, run.organizer, run.spec
    final = awards.final_round(session, edition.id)
    settings = results.Settings(
        title=f"{spec.name}获奖项目公示",
        introduction=spec.introduction.format(name=spec.name),
        office_name="东湖区民政局",
        list_judges=True,
        window_days=5,
    )
    with as_of(spec.published_at - timedelta(days=2)):
        notice = results.prepare(session, actor=organizer, edition=edition, rnd=final, settings=settings)
    with as_of(spec.published_at):
        notice = results.publish(session, actor=organizer, publication=notice)
    entries = results.entries_of(session, notice)
    filed = []
    for day, objection in enumerate(spec.objections, start=1):
        entry = _entry_of(session, entries, objection.target)
        turn = list(spec.objectors[day - 1 :] + spec.objectors[: day - 1])
        with as_of(spec.published_at + timedelta(days=day, hours=2)):
            filed.append(
                (
                    objections.file_objection(
                        session, actor=_objector(session, entry, turn), entry=entry, text=objection.text
                    ),
                    entry,
                    objection,
                )
            )
    for record, entry, objection in filed:
        approved = money.format_fen(entry.approved_fen or 0)
        with as_of(record.created_at + timedelta(days=1)):
            objections.answer(
                session,
                actor=organizer,
                objection=record,
                upheld=objection.upheld,
                reply=objection.reply.format(approved=approved),
            )
    last = notice
    removed = [entry.proposal_id for _record, entry, objection in filed if objection.upheld]
    if removed:
        with as_of(notice.closes_at + timedelta(hours=9)):
            last = results.prepare(
                session,
                actor=organizer,
                edition=edition,
                rnd=final,
                settings=dataclasses.replace(
                    settings, title=f"{spec.name}获奖项目更正公示", introduction=spec.correction
                ),
            )
            for entry in results.entries_of(session, last):
                if entry.proposal_id in removed:
                    results.change_entry(session, actor=organizer, publication=last, entry_id=entry.id, remove=True)
        with as_of(notice.closes_at + MORNING):
            last = results.publish(session, actor=organizer, publication=last)
    with as_of(last.closes_at + MORNING):
        results.finalize(session, actor=organizer, publication=last)


def run_edition(
    session: Session,
    spec: Spec,
    entries: list[Entry],
    *,
    district: District,
    communities: dict[str, Community],
    reviewers: list[User],
) -> Edition:
    """Build the past edition (its number must not exist yet); returns it, in 资助实施中."""
    run = _Run(session, spec, district, communities, reviewers)
    edition = _edition(run)
    submitted = _submit_proposals(run, edition, entries)
    _screen(run, edition, submitted)
    _first, preliminary, final = edition_service.rounds_of(session, edition.id)
    with as_of(spec.opens + timedelta(days=31)):
        _top_n(run, preliminary, spec.preliminary_top_n)
        _top_n(run, final, spec.final_top_n)
    quality = {proposal.id: entry.quality for proposal, entry in submitted}
    _score_round(run, preliminary, quality, spec.published_at - timedelta(days=62))
    _score_round(run, final, quality, spec.published_at - timedelta(days=22))
    with as_of(spec.published_at - timedelta(days=9)):
        _award(run, edition)
    _publish_and_finalize(run, edition)
    return edition
