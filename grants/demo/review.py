"""Demo data for judging: the current edition past its submission window, round 1 decided and
closed, round 2 under way — judge2…judge5 have submitted their sheets, judge1 still has a queue to
work through, so the organizer finds a round to follow, remind and close."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants.auth.models import User
from grants.editions import service as edition_service
from grants.editions.models import Edition
from grants.editions.states import EditionStatus, RoundStatus, edition_machine
from grants.judging import eligibility, sheets
from grants.judging.models import Assignment
from grants.proposals import service as ps
from grants.proposals.models import Proposal
from grants.proposals.states import ProposalStatus
from grants.timeutil import now

COMMENTS = [
    "需求调研扎实，建议把活动频次和参与人数的目标再细化。",
    "团队分工清楚，预算中物资单价偏高，可以再比价。",
    "项目贴近居民需求，可持续计划还需要落实到具体的人。",
    "活动设计有新意，建议增加对老年居民的动员方式。",
]


def seed_review(session: Session, edition: Edition) -> bool:
    """Carry the edition into review once; returns whether anything was done."""
    first, second = edition_service.rounds_of(session, edition.id)[:2]
    if first.status != RoundStatus.PENDING.value:
        return False
    organizer = session.scalar(select(User).where(User.username == "organizer"))
    # The applicant whose proposal was returned for correction resubmits it before the deadline.
    for proposal in session.scalars(
        select(Proposal).where(Proposal.edition_id == edition.id, Proposal.status == ProposalStatus.RETURNED.value)
    ).unique():
        ps.submit_proposal(session, actor=proposal.applicant, proposal=proposal)
    edition.submission_closes_at = now() - timedelta(minutes=1)
    edition_machine.transition(session, edition, EditionStatus.REVIEWING.value, actor=organizer)

    eligibility.open_round(session, actor=organizer, rnd=first)
    submitted = eligibility.waiting(session, first)
    for i, proposal in enumerate(submitted):
        failing = i == len(submitted) - 1 and len(submitted) > 3
        eligibility.decide(
            session,
            actor=organizer,
            rnd=first,
            proposal=proposal,
            outcome="fail" if failing else "pass",
            reason="项目主要内容为商业培训，不属于社区公益服务范围。" if failing else None,
            checked=[] if failing else [c.id for c in first.criteria],
        )
    eligibility.close_round(session, actor=organizer, rnd=first)

    sheets.assign_round(session, actor=organizer, rnd=second)
    eligibility.open_round(session, actor=organizer, rnd=second)
    rng = random.Random(3)
    judge1 = session.scalar(select(User).where(User.username == "judge1"))
    for n, assignment in enumerate(
        session.scalars(select(Assignment).where(Assignment.round_id == second.id).order_by(Assignment.id)).unique()
    ):
        if assignment.judge_id == judge1.id:
            continue  # judge1's queue is left to work through
        points = {c.id: str(rng.randint(c.max_points // 2, c.max_points)) for c in second.criteria}
        sheets.save_sheet(
            session,
            actor=assignment.judge,
            assignment=assignment,
            raw_points=points,
            comment=COMMENTS[n % len(COMMENTS)],
            submit=True,
        )
    return True
