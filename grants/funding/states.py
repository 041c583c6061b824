"""A grant's lifecycle: the one place its status changes, and the edition's closing guard.

approved → signed → in progress ⇄ suspended → completing → settled, and terminated from any
state before settled. Moves that follow from a substantive step (signing the agreement, paying
the first tranche, submitting or returning the final report) are made only by that step's
service; suspending, resuming, settling and terminating are decisions by hand, with a reason
where the decision needs one.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import object_session

from grants.auth import policy
from grants.editions.states import EditionStatus, edition_machine
from grants.funding.models import Disbursement, DisbursementStatus, Grant, GrantStatus
from grants.states import StateMachine, Transition

GRANT_STATUS_LABELS = {
    GrantStatus.APPROVED: _l("待签协议"),
    GrantStatus.SIGNED: _l("已签协议"),
    GrantStatus.IN_PROGRESS: _l("实施中"),
    GrantStatus.SUSPENDED: _l("已停拨"),
    GrantStatus.COMPLETING: _l("结项中"),
    GrantStatus.SETTLED: _l("已结项"),
    GrantStatus.TERMINATED: _l("已终止"),
}

# States in which nothing more happens to the grant's money except refunds of a terminated grant.
FINISHED = (GrantStatus.SETTLED.value, GrantStatus.TERMINATED.value)


def grant_status_label(status: str) -> str:
    return str(GRANT_STATUS_LABELS.get(status, status))


def _organizer(actor, grant: Grant) -> bool:
    return actor is None or policy.is_organizer(actor, grant.edition.district_id)


def _organizer_or_team(actor, grant: Grant) -> bool:
    """The final report is the team lead's step; returning it is the organizer's."""
    from grants.funding import policy as funding_policy

    return _organizer(actor, grant) or funding_policy.can_report(actor, grant)


def _final_passed(grant: Grant) -> str | None:
    """Settling needs a passed final evaluation (结项评估)."""
    from grants.funding.models import GrantEvaluation

    session = object_session(grant)
    latest = session.scalars(
        select(GrantEvaluation.passed)
        .where(GrantEvaluation.grant_id == grant.id, GrantEvaluation.kind == "final")
        .order_by(GrantEvaluation.evaluated_at.desc(), GrantEvaluation.id.desc())
        .limit(1)
    ).first()
    if not latest:
        return _("结项评估通过后才能结项结算。")
    return None


def _balanced(grant: Grant) -> str | None:
    """Settling needs the books to agree: disbursed − refunded = accepted expenses, nothing pending."""
    from grants.funding import balances  # balances reads the ledger; imported late (it imports models)

    session = object_session(grant)
    figures = balances.of_grant(session, grant.id)
    if figures.pending_expenses_fen:
        return _("还有待审核的支出，请先审核。")
    if figures.held_fen != figures.accepted_expenses_fen:
        return _(
            "账目未平：已拨付减已退回为%(held)s，已认可支出为%(spent)s。请先登记结余退回或补拨。",
            held=balances.yuan(figures.held_fen),
            spent=balances.yuan(figures.accepted_expenses_fen),
        )
    return None


G = GrantStatus
grant_machine = StateMachine(
    "grant",
    [
        Transition(
            G.APPROVED, G.SIGNED, "grant.sign", lambda: _("签订资助协议"), _organizer, step=lambda: _("登记协议签订")
        ),
        Transition(
            G.SIGNED,
            G.IN_PROGRESS,
            "grant.start",
            lambda: _("开始实施"),
            # The step is finance's: recording the first payment (grants/funding/disbursements.py).
            lambda actor, grant: _organizer(actor, grant) or policy.is_finance(actor, grant.edition.district_id),
            step=lambda: _("首笔拨款到账"),
        ),
        Transition(
            G.IN_PROGRESS,
            G.SUSPENDED,
            "grant.suspend",
            lambda: _("停拨"),
            _organizer,
            requires_reason=True,
            style="danger",
        ),
        Transition(
            G.SUSPENDED,
            G.IN_PROGRESS,
            "grant.resume",
            lambda: _("恢复拨付"),
            _organizer,
            requires_reason=True,
        ),
        Transition(
            G.IN_PROGRESS,
            G.COMPLETING,
            "grant.complete",
            lambda: _("进入结项"),
            _organizer_or_team,
            step=lambda: _("提交结项报告"),
        ),
        Transition(
            G.COMPLETING,
            G.IN_PROGRESS,
            "grant.reopen",
            lambda: _("退回实施"),
            _organizer,
            step=lambda: _("退回结项报告"),
        ),
        Transition(G.COMPLETING, G.SETTLED, "grant.settle", lambda: _("结项结算"), _organizer, guard=_balanced),
        *(
            Transition(
                source,
                G.TERMINATED,
                "grant.terminate",
                lambda: _("终止资助"),
                _organizer,
                requires_reason=True,
                style="danger",
            )
            for source in (G.APPROVED, G.SIGNED, G.IN_PROGRESS, G.SUSPENDED, G.COMPLETING)
        ),
    ],
    state_label=grant_status_label,
    district_of=lambda grant: grant.edition.district_id,
)


def _every_grant_finished(edition) -> str | None:
    """An edition closes only when each of its grants is settled or terminated."""
    session = object_session(edition)
    open_count = session.scalar(
        select(func.count(Grant.id)).where(Grant.edition_id == edition.id, Grant.status.not_in(FINISHED))
    )
    if open_count:
        return _("还有%(n)d个资助项目未结项或终止，本届不能结束。", n=open_count)
    return None


grant_machine.add_guard(G.COMPLETING, G.SETTLED, _final_passed)


# A report's lifecycle: submitted → evaluated (by the evaluation) or returned (with a reason).
class ReportStatus(StrEnum):
    SUBMITTED = "submitted"
    EVALUATED = "evaluated"
    RETURNED = "returned"


REPORT_STATUS_LABELS = {
    ReportStatus.SUBMITTED: _l("待评估"),
    ReportStatus.EVALUATED: _l("已评估"),
    ReportStatus.RETURNED: _l("已退回"),
}


def report_status_label(status: str) -> str:
    return str(REPORT_STATUS_LABELS.get(status, status))


def _report_organizer(actor, report) -> bool:
    grant = object_session(report).get(Grant, report.grant_id)
    return actor is None or policy.is_organizer(actor, grant.edition.district_id)


R = ReportStatus
report_machine = StateMachine(
    "grant_report",
    [
        Transition(
            R.SUBMITTED,
            R.EVALUATED,
            "grant_report.evaluate",
            lambda: _("评估"),
            _report_organizer,
            step=lambda: _("评分"),
        ),
        Transition(
            R.SUBMITTED,
            R.RETURNED,
            "grant_report.return",
            lambda: _("退回报告"),
            _report_organizer,
            requires_reason=True,
        ),
    ],
    state_label=report_status_label,
    district_of=lambda report: object_session(report).get(Grant, report.grant_id).edition.district_id,
)


edition_machine.add_guard(EditionStatus.FUNDING, EditionStatus.CLOSED, _every_grant_finished)


# --- disbursements (four eyes) ----------------------------------------------------------------

DISBURSEMENT_STATUS_LABELS = {
    DisbursementStatus.REQUESTED: _l("待审批"),
    DisbursementStatus.APPROVED: _l("已审批待拨付"),
    DisbursementStatus.REJECTED: _l("已驳回"),
    DisbursementStatus.PAID: _l("已拨付"),
    DisbursementStatus.FAILED: _l("拨付失败"),
    DisbursementStatus.RETURNED: _l("已退回"),
}


def disbursement_status_label(status: str) -> str:
    return str(DISBURSEMENT_STATUS_LABELS.get(status, status))


def _grant_of(disbursement: Disbursement) -> Grant:
    return object_session(disbursement).get(Grant, disbursement.grant_id)


def _finance(actor, disbursement: Disbursement) -> bool:
    return actor is not None and policy.is_finance(actor, _grant_of(disbursement).edition.district_id)


D = DisbursementStatus
# Every move is made by its service (grants/funding/disbursements.py), which also checks that the
# approver is not the requester and writes the ledger entry of a payment in the same transaction.
disbursement_machine = StateMachine(
    "disbursement",
    [
        Transition(D.REQUESTED, D.APPROVED, "disbursement.approve", lambda: _("审批通过"), _finance),
        Transition(
            D.REQUESTED,
            D.REJECTED,
            "disbursement.reject",
            lambda: _("驳回"),
            _finance,
            requires_reason=True,
            style="danger",
        ),
        Transition(D.APPROVED, D.PAID, "disbursement.pay", lambda: _("登记拨付"), _finance),
        Transition(
            D.APPROVED,
            D.FAILED,
            "disbursement.fail",
            lambda: _("登记拨付失败"),
            _finance,
            requires_reason=True,
            style="danger",
        ),
        Transition(
            D.PAID,
            D.RETURNED,
            "disbursement.return",
            lambda: _("登记款项退回"),
            _finance,
            requires_reason=True,
            style="danger",
        ),
    ],
    state_label=disbursement_status_label,
    district_of=lambda disbursement: _grant_of(disbursement).edition.district_id,
)
