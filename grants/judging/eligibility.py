"""Round 1 — eligibility screening (资格审查 / 社区推荐): decide pass or fail per proposal, with the
round's checklist; return for correction goes through the proposals flow. Closing the round needs
a decision on every submitted proposal."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import audit, timeutil
from grants.editions.models import Round, RoundKind
from grants.editions.states import RoundStatus, round_machine
from grants.errors import DomainError, NotAllowed
from grants.judging.models import EligibilityDecision, Outcome
from grants.notifications import events as notification_events
from grants.proposals import policy as proposal_policy
from grants.proposals.models import Proposal
from grants.proposals.states import ProposalStatus, proposal_machine

DECIDABLE = (ProposalStatus.SUBMITTED.value, ProposalStatus.ELIGIBLE.value, ProposalStatus.INELIGIBLE.value)
WAITING = (ProposalStatus.SUBMITTED.value, ProposalStatus.RETURNED.value)


def decisions_for(session: Session, rnd: Round, proposal_ids: list[int]) -> dict[int, EligibilityDecision]:
    rows = session.scalars(
        select(EligibilityDecision).where(
            EligibilityDecision.round_id == rnd.id, EligibilityDecision.proposal_id.in_(proposal_ids or [-1])
        )
    )
    return {d.proposal_id: d for d in rows}


def correction_lapsed(proposal: Proposal, at: datetime | None = None) -> bool:
    """A proposal returned for correction whose deadline passed without a resubmission."""
    return (
        proposal.status == ProposalStatus.RETURNED.value
        and proposal.resubmit_deadline is not None
        and (at or timeutil.now()) > proposal.resubmit_deadline
    )


def decidable(proposal: Proposal, at: datetime | None = None) -> bool:
    """Whether round 1 can decide this proposal now (a lapsed correction only as a failure)."""
    return proposal.status in DECIDABLE or correction_lapsed(proposal, at)


def decide(
    session: Session,
    *,
    actor,
    rnd: Round,
    proposal: Proposal,
    outcome: str,
    reason: str | None,
    checked: list[int],
    at: datetime | None = None,
) -> EligibilityDecision:
    """Record (or revise) the decision on one proposal and move its status.

    Raises:
        NotAllowed: not a round-1 reviewer of the proposal's community.
        DomainError: the round is not an open eligibility round of this edition, the proposal is
            not waiting for a decision, a failure has no reason, a pass leaves a checklist item
            unticked without a reason for the exception, or an unknown checklist item.
    """
    if rnd.kind != RoundKind.ELIGIBILITY or proposal.edition_id != rnd.edition_id:
        raise DomainError(_("这一轮不是本届大赛的资格审查。"))
    if not proposal_policy.can_return(actor, proposal):
        raise NotAllowed(_("您没有权限审查这份申报书。"))
    if rnd.status != RoundStatus.OPEN.value:
        raise DomainError(_("资格审查没有在进行中，不能作出或修改决定。"))
    if not decidable(proposal, at):
        raise DomainError(_("这份申报书目前不需要资格审查决定。"))
    if outcome not in set(Outcome):
        raise DomainError(_("请选择通过或不通过。"), field="outcome")
    lapsed = correction_lapsed(proposal, at)
    if lapsed and outcome == Outcome.PASS:
        raise DomainError(_("补正期限已过且未重新提交，只能作出不通过的决定。"), field="outcome")
    reason = (reason or "").strip() or None
    if outcome == Outcome.FAIL and not reason:
        raise DomainError(_("不通过时必须写明原因。"), field="reason")
    known = {c.id for c in rnd.criteria}
    if not set(checked) <= known:
        raise DomainError(_("审查要点不属于这一轮。"), field="checked")
    unticked = known - set(checked)
    if outcome == Outcome.PASS and unticked and not reason:
        raise DomainError(
            _(
                "还有%(n)d项审查要点没有勾选：通过需要勾选全部要点，例外情况请在“原因或意见”中写明理由。",
                n=len(unticked),
            ),
            field="checked",
        )
    decision = session.scalar(
        select(EligibilityDecision).where(
            EligibilityDecision.round_id == rnd.id, EligibilityDecision.proposal_id == proposal.id
        )
    )
    before = {"outcome": decision.outcome, "reason": decision.reason} if decision else None
    if decision is None:
        decision = EligibilityDecision(round_id=rnd.id, proposal_id=proposal.id)
        session.add(decision)
    decision.reviewer_id = actor.id
    decision.outcome, decision.reason, decision.checked = outcome, reason, sorted(checked)
    target = ProposalStatus.ELIGIBLE.value if outcome == Outcome.PASS else ProposalStatus.INELIGIBLE.value
    if proposal.status != target:
        proposal_machine.transition(session, proposal, target, actor=actor, reason=reason)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="eligibility.decide",
        obj=decision,
        district_id=proposal.edition.district_id,
        before=before,
        after={
            "proposal_id": proposal.id,
            "outcome": outcome,
            "reason": reason,
            "checked": decision.checked,
            "unticked": sorted(unticked) if outcome == Outcome.PASS else [],
        },
    )
    return decision


def waiting(session: Session, rnd: Round) -> list[Proposal]:
    """Submitted proposals of the round's edition still without a decision (or being corrected)."""
    return list(
        session.scalars(
            select(Proposal)
            .where(Proposal.edition_id == rnd.edition_id, Proposal.status.in_(WAITING))
            .order_by(Proposal.id)
        ).unique()
    )


def open_round(session: Session, *, actor, rnd: Round) -> None:
    """Start a round once the rounds before it are closed.

    Raises: InvalidTransition, NotAllowed (see round_machine); DomainError when an earlier round
        is still open or has not started.
    """
    earlier = session.scalar(
        select(Round)
        .where(
            Round.edition_id == rnd.edition_id, Round.position < rnd.position, Round.status != RoundStatus.CLOSED.value
        )
        .order_by(Round.position)
        .limit(1)
    )
    if earlier is not None and rnd.status == RoundStatus.PENDING.value:
        raise DomainError(_("请先结束前面的轮次“%(name)s”。", name=earlier.name))
    round_machine.transition(session, rnd, RoundStatus.OPEN.value, actor=actor)


def close_refusal(session: Session, rnd: Round) -> str | None:
    """Why the eligibility round cannot close now (None when it can): submissions may still
    arrive, or proposals still wait for a decision or a correction."""
    rule = round_machine.table[(RoundStatus.OPEN.value, RoundStatus.CLOSED.value)]
    if message := round_machine.refusal(rule, rnd):
        return message
    if pending := waiting(session, rnd):
        return _("还有%(n)d份申报书没有资格审查决定（或正在补正），不能结束本轮。", n=len(pending))
    return None


def close_round(session: Session, *, actor, rnd: Round) -> None:
    """Close the eligibility round once submission is over and every proposal has a decision.

    Raises:
        NotAllowed: not the edition's organizer.
        DomainError: the edition still takes submissions, or proposals still wait for a decision
            or a correction.
    """
    if actor is not None and not round_machine.table[(RoundStatus.OPEN.value, RoundStatus.CLOSED.value)].allowed(
        actor, rnd
    ):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if rnd.status == RoundStatus.OPEN.value and (message := close_refusal(session, rnd)):
        raise DomainError(message)
    round_machine.transition(session, rnd, RoundStatus.CLOSED.value, actor=actor)
    notification_events.eligibility_closed(session, rnd)
