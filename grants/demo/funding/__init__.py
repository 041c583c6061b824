"""Demo data for funding (资金拨付): the past editions' grants carried through the funding
services on the days it happened (``timeutil.as_of``), as the organizer, finance, the teams' leads
and the community reviewers would.

第二届's five hand-written grants each tell a story (story.py): agreements signed with a scan;
first tranches requested by ``organizer`` and approved and paid by ``finance`` (four eyes);
expenses with receipt photos recorded by the leads, most accepted, some rejected with a reason,
some pending; one budget change approved; mid-term reports and evaluations (one failed, so that
grant is suspended); one grant completed with its final report, a passed final evaluation, its
surplus returned and the grant settled. ``finance`` finds work waiting: one second tranche
requested by the organizer, one approved and not yet paid.

The other grants run the same course, generated with a fixed seed (generated.py): 第一届's are
settled (one terminated after a failed mid-term, its unspent money returned) and the edition is
closed; the rest of 第二届's are settled, in 结项 (the final report waits for its evaluation) or still
in progress. Every stamp, ledger entry and audit entry carries the day it happened.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants.demo.funding import generated, steps, story
from grants.editions.models import Edition
from grants.editions.states import EditionStatus, edition_machine
from grants.funding import plan
from grants.funding.models import Grant
from grants.funding.tranches import Condition, Part

# 第一届 paid in two parts; the organizer added a mid-term tranche for 第二届 (story.PLAN).
FIRST_PLAN = (
    Part("首期款", 6000, Condition.ON_SIGNING.value),
    Part("尾款", 4000, Condition.AFTER_FINAL_PASSED.value),
)
TERMINATED_EVERY = 11  # one grant in eleven of 第一届 ends terminated
SECOND_OUTCOMES = (
    generated.SETTLED,
    generated.IN_PROGRESS,
    generated.COMPLETING,
    generated.IN_PROGRESS,
    generated.SETTLED,
    generated.IN_PROGRESS,
)


def _grants(session: Session, edition: Edition) -> list[Grant]:
    return list(session.scalars(select(Grant).where(Grant.edition_id == edition.id).order_by(Grant.id)))


def seed_first_edition(session: Session, edition: Edition) -> None:
    """第一届's grants, each carried to its end, then the edition closed (已结束)."""
    run = steps.Run(session, edition, seed=11)
    with run.at(run.start + timedelta(days=3), 10):
        plan.replace_plan(session, actor=run.organizer, edition=edition, parts=list(FIRST_PLAN))
    for n, grant in enumerate(_grants(session, edition)):
        outcome = generated.TERMINATED if n % TERMINATED_EVERY == 5 else generated.SETTLED
        generated.carry(run, grant, outcome, run.start + timedelta(days=12 + n))
    with run.at(run.start + timedelta(days=360), 10):
        edition_machine.transition(session, edition, EditionStatus.CLOSED.value, actor=run.organizer)


def seed_second_edition(session: Session, edition: Edition) -> None:
    """第二届's grants: the five hand-written stories, then the others."""
    run = steps.Run(session, edition, seed=13)
    with run.at(run.start + timedelta(days=3), 10):
        plan.replace_plan(session, actor=run.organizer, edition=edition, parts=list(story.PLAN))
    grants = _grants(session, edition)
    stories = [g for g in grants if g.proposal.applicant.username in story.STORY]
    for n, grant in enumerate(stories):
        story.carry(run, grant, grant.proposal.applicant.username, run.start + timedelta(days=12 + 2 * n))
    others = [g for g in grants if g not in stories]
    for n, grant in enumerate(others):
        outcome = SECOND_OUTCOMES[n % len(SECOND_OUTCOMES)]
        generated.carry(run, grant, outcome, run.start + timedelta(days=13 + n))
    session.flush()
