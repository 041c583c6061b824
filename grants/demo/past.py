"""Demo data for a past edition (第二届), carried through every step a year ago: submissions,
eligibility, preliminary and final scoring, award tiers and amounts, a public notice with
objections, a correction that supersedes it, and the final result with its grants.

Everything goes through the services (as the organizer, the reviewers, the judges and the
residents would), so statuses, audit entries and public pages are those of real use. Only the
times that a service accepts (``at=`` / ``now=``) are set in the past; the rest is stamped today.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import money, timeutil
from grants.auth import service as auth_service
from grants.auth.models import Role, User
from grants.demo.past_data import (
    COMMENTS,
    CORRECTION,
    DISMISSED,
    INTRODUCTION,
    PAST_PROPOSALS,
    UPHELD_REPLY,
    UPHELD_TEXT,
)
from grants.demo.proposals import _data, _resident
from grants.editions import service as edition_service
from grants.editions.models import Edition, Round
from grants.editions.states import EditionStatus, edition_machine
from grants.judging import awards, closing, eligibility, sheets
from grants.judging.models import Assignment
from grants.org.models import Community, District
from grants.proposals import policy as proposal_policy
from grants.proposals import service as ps
from grants.proposals.models import Proposal
from grants.results import objections
from grants.results import service as results
from grants.results.models import PublicationEntry

NUMBER = 2
NAME = "东湖区第二届社区公益微创投大赛"
JUDGES = [f"judge{i}" for i in range(1, 6)]
TIERS = [("一等奖", 1), ("二等奖", 2), ("三等奖", 3)]
PRELIMINARY_TOP_N, FINAL_TOP_N = 8, 6
MORNING = timedelta(days=1, hours=9, minutes=30)  # the next morning, from a window's closing midnight


def _edition(session: Session, district: District, organizer: User, opens: datetime) -> Edition:
    edition = edition_service.create_edition(
        session,
        actor=organizer,
        district=district,
        data=edition_service.EditionData(
            number=NUMBER,
            name=NAME,
            theme="共建共治共享 邻里一家亲",
            description="面向全区居民征集社区公益微项目，每个项目资助不超过5000元。",
            cap_fen=500_000,
            pool_fen=5_000_000,
            min_team_size=3,
            submission_opens_at=opens,
            submission_closes_at=opens + timedelta(days=30),
            categories=edition_service.default_categories(),
        ),
    )
    edition_machine.transition(session, edition, EditionStatus.OPEN.value, actor=organizer)
    for login in JUDGES:
        judge = session.scalar(select(User).where(User.username == login))
        auth_service.grant_role(session, actor=organizer, user=judge, role=Role.JUDGE, scope=edition)
    return edition


def _submit_proposals(
    session: Session, edition: Edition, communities: dict[str, Community], opens: datetime, password: str
) -> list[tuple[Proposal, float, str | None]]:
    """Each applicant drafts and submits in the past window; returns (proposal, quality, failure)."""
    period_start = timeutil.to_local(opens).date() + timedelta(days=75)
    submitted = []
    for i, entry in enumerate(PAST_PROPOSALS):
        login, name, community_name, title, category, summary, team, activities, lines, quality, failure = entry
        community = communities[community_name]
        applicant = _resident(session, login, name, community, password)
        at = opens + timedelta(days=3 + 2 * i, hours=3)
        proposal = ps.start_proposal(session, actor=applicant, edition=edition, at=at)
        content = (login, name, community_name, title, category, "submitted", team, activities, lines)
        data = dataclasses.replace(
            _data(session, edition, content, community),
            summary=summary,
            period_start=period_start,
            period_end=date(period_start.year + 1, period_start.month, 1) - timedelta(days=1),
        )
        ps.save_draft(session, actor=applicant, proposal=proposal, data=data)
        ps.submit_proposal(session, actor=applicant, proposal=proposal, at=at + timedelta(hours=2))
        submitted.append((proposal, quality, failure))
    return submitted


def _screen(session: Session, edition: Edition, organizer: User, reviewers: list[User], submitted) -> None:
    """Round 1: the community's reviewer passes or fails each proposal (two fail, with reasons)."""
    first = edition_service.rounds_of(session, edition.id)[0]
    eligibility.open_round(session, actor=organizer, rnd=first)
    for proposal, _quality, failure in submitted:
        reviewer = next(r for r in reviewers if proposal_policy.can_return(r, proposal))
        eligibility.decide(
            session,
            actor=reviewer,
            rnd=first,
            proposal=proposal,
            outcome="fail" if failure else "pass",
            reason=failure,
            checked=[] if failure else [c.id for c in first.criteria],
        )
    eligibility.close_round(session, actor=organizer, rnd=first)


def _score_round(
    session: Session, organizer: User, rnd: Round, quality: dict[int, float], rng: random.Random, at: datetime
) -> None:
    """Assign, open, let every judge submit every sheet, close (results stored, top N advance)."""
    sheets.assign_round(session, actor=organizer, rnd=rnd)
    eligibility.open_round(session, actor=organizer, rnd=rnd)
    leniency = {}
    for n, assignment in enumerate(
        session.scalars(select(Assignment).where(Assignment.round_id == rnd.id).order_by(Assignment.id)).unique()
    ):
        bias = leniency.setdefault(assignment.judge_id, rng.uniform(-0.05, 0.05))
        points = {}
        for criterion in rnd.criteria:
            share = quality[assignment.proposal_id] + bias + rng.uniform(-0.06, 0.06)
            points[criterion.id] = str(max(0, min(criterion.max_points, round(criterion.max_points * share))))
        sheets.save_sheet(
            session,
            actor=assignment.judge,
            assignment=assignment,
            raw_points=points,
            comment=COMMENTS[n % len(COMMENTS)],
            submit=True,
            at=at + timedelta(minutes=7 * n),  # the sheets came in back then, one after another
        )
    closing.close_scoring_round(session, actor=organizer, rnd=rnd)
    closing.release_comments(session, actor=organizer, rnd=rnd)


def _top_n(session: Session, organizer: User, rnd: Round, n: int) -> None:
    """The round (still pending) lets its top ``n`` advance."""
    data = edition_service.RoundData(**{name: getattr(rnd, name) for name in edition_service.ROUND_FIELDS})
    edition_service.update_round(
        session, actor=organizer, rnd=rnd, data=dataclasses.replace(data, advancement="top_n", advance_top_n=n)
    )


def _award(session: Session, edition: Edition, organizer: User) -> int:
    """Tiers in ranking order; the second 二等奖's amount is lowered. Returns that proposal's id."""
    awards.set_tiers(
        session,
        actor=organizer,
        edition=edition,
        rows=[awards.TierInput(name, str(count)) for name, count in TIERS],
    )
    awards.assign_tiers(session, actor=organizer, edition=edition)
    final = awards.final_round(session, edition.id)
    winners = [r for r in closing.stored_results(session, final, with_proposals=True) if r.tier]
    lowered = winners[2]
    yuan = lowered.proposal.requested_fen * 8 // 10 // 10_000 * 100
    awards.set_amounts(session, actor=organizer, edition=edition, amounts={lowered.id: str(yuan)})
    return lowered.proposal_id


def _resident_other_than(session: Session, entry: PublicationEntry, logins: list[str]) -> User:
    """The first of these residents who is not the entry's applicant."""
    applicant_id = session.get(Proposal, entry.proposal_id).applicant_id
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(logins)))}
    return next(users[login] for login in logins if users[login].id != applicant_id)


def _publish_and_finalize(
    session: Session, edition: Edition, organizer: User, published_at: datetime, lowered: int
) -> None:
    """The notice, three objections (one upheld → a correction), and the final result."""
    final = awards.final_round(session, edition.id)
    settings = results.Settings(
        title=f"{NAME}获奖项目公示",
        introduction=INTRODUCTION.format(name=NAME),
        office_name="东湖区民政局",
        list_judges=True,
        window_days=5,
    )
    notice = results.prepare(session, actor=organizer, edition=edition, rnd=final, settings=settings)
    notice = results.publish(session, actor=organizer, publication=notice, now=published_at)
    entries = results.entries_of(session, notice)
    targets = [
        (entries[-1], UPHELD_TEXT, UPHELD_REPLY, True),
        (entries[0], *DISMISSED[0], False),
        (next(e for e in entries if e.proposal_id == lowered), *DISMISSED[1], False),
    ]
    filed = []
    objectors = ["resident2", "resident1", "resident3"]
    for day, (entry, text, reply, upheld) in enumerate(targets, start=1):
        author = _resident_other_than(session, entry, objectors[day - 1 :] + objectors[: day - 1])
        objection = objections.file_objection(
            session, actor=author, entry=entry, text=text, now=published_at + timedelta(days=day, hours=2)
        )
        filed.append((objection, entry, reply, upheld))
    for objection, entry, reply, upheld in filed:
        approved = money.format_fen(entry.approved_fen or 0)
        objections.answer(
            session,
            actor=organizer,
            objection=objection,
            upheld=upheld,
            reply=reply.format(approved=approved),
            now=objection.created_at + timedelta(days=1),
        )
    correction = results.prepare(
        session,
        actor=organizer,
        edition=edition,
        rnd=final,
        settings=dataclasses.replace(settings, title=f"{NAME}获奖项目更正公示", introduction=CORRECTION),
    )
    removed = next(e for e in results.entries_of(session, correction) if e.proposal_id == entries[-1].proposal_id)
    results.change_entry(session, actor=organizer, publication=correction, entry_id=removed.id, remove=True)
    correction = results.publish(session, actor=organizer, publication=correction, now=notice.closes_at + MORNING)
    results.finalize(session, actor=organizer, publication=correction, now=correction.closes_at + MORNING)


def seed_past_edition(
    session: Session, district: District, communities: dict[str, Community], reviewers: list[User], password: str
) -> bool:
    """Build the past edition once; returns whether anything was done."""
    if session.scalar(select(Edition.id).where(Edition.district_id == district.id, Edition.number == NUMBER)):
        return False
    organizer = session.scalar(select(User).where(User.username == "organizer"))
    # The notice went out a year ago at 09:30 Beijing time; submissions closed three months before.
    today = timeutil.to_local(timeutil.now()).date()
    published_at = timeutil.local_day_start(today - timedelta(days=365)) + timedelta(hours=9, minutes=30)
    opens = published_at - timedelta(days=120)
    edition = _edition(session, district, organizer, opens)
    submitted = _submit_proposals(session, edition, communities, opens, password)
    edition_machine.transition(session, edition, EditionStatus.REVIEWING.value, actor=organizer)
    _screen(session, edition, organizer, reviewers, submitted)
    _first, preliminary, final = edition_service.rounds_of(session, edition.id)
    _top_n(session, organizer, preliminary, PRELIMINARY_TOP_N)
    _top_n(session, organizer, final, FINAL_TOP_N)
    quality = {proposal.id: q for proposal, q, _failure in submitted}
    rng = random.Random(2)
    _score_round(session, organizer, preliminary, quality, rng, at=published_at - timedelta(days=60))
    _score_round(session, organizer, final, quality, rng, at=published_at - timedelta(days=20))
    lowered = _award(session, edition, organizer)
    _publish_and_finalize(session, edition, organizer, published_at, lowered)
    return True
