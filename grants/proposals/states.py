"""The proposal lifecycle (submission part; judging adds its states in a later issue)."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from grants.proposals import policy
from grants.states import StateMachine, Transition


class ProposalStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    ELIGIBLE = "eligible"  # passed round 1 (资格审查)
    INELIGIBLE = "ineligible"


# Proposals the district has received (收到申报): submitted at least once and not withdrawn — waiting
# for round 1, returned for correction, or decided in round 1. Drafts were never sent; a withdrawn
# proposal was taken back by its applicant. The district figures and the proposal list's
# "received" filter count exactly these.
RECEIVED_STATUSES = (
    ProposalStatus.SUBMITTED.value,
    ProposalStatus.RETURNED.value,
    ProposalStatus.ELIGIBLE.value,
    ProposalStatus.INELIGIBLE.value,
)
RECEIVED = "received"  # the list filter's value for RECEIVED_STATUSES

PROPOSAL_STATUS_LABELS = {
    ProposalStatus.DRAFT: _l("草稿"),
    ProposalStatus.SUBMITTED: _l("已提交"),
    ProposalStatus.RETURNED: _l("退回补正"),
    ProposalStatus.WITHDRAWN: _l("已撤回"),
    ProposalStatus.ELIGIBLE: _l("资格审查通过"),
    ProposalStatus.INELIGIBLE: _l("资格审查未通过"),
}


def proposal_status_label(status: str) -> str:
    return str(PROPOSAL_STATUS_LABELS.get(status, status))


def _applicant(actor, proposal) -> bool:
    return actor is not None and actor.id == proposal.applicant_id


def _reviewer(actor, proposal) -> bool:
    return actor is None or policy.can_return(actor, proposal)


P = ProposalStatus
proposal_machine = StateMachine(
    "proposal",
    [
        Transition(P.DRAFT, P.SUBMITTED, "proposal.submit", lambda: _("提交申报"), _applicant),
        Transition(
            P.SUBMITTED,
            P.RETURNED,
            "proposal.return",
            lambda: _("退回补正"),
            _reviewer,
            requires_reason=True,
            style="secondary",
        ),
        Transition(P.RETURNED, P.SUBMITTED, "proposal.resubmit", lambda: _("重新提交"), _applicant),
        Transition(P.DRAFT, P.WITHDRAWN, "proposal.withdraw", lambda: _("撤回"), _applicant, style="danger"),
        Transition(P.SUBMITTED, P.WITHDRAWN, "proposal.withdraw", lambda: _("撤回"), _applicant, style="danger"),
        Transition(P.RETURNED, P.WITHDRAWN, "proposal.withdraw", lambda: _("撤回"), _applicant, style="danger"),
        Transition(P.ELIGIBLE, P.WITHDRAWN, "proposal.withdraw", lambda: _("撤回"), _applicant, style="danger"),
        # Round 1 decisions, revisable while the round is open (the eligibility service checks that).
        Transition(P.SUBMITTED, P.ELIGIBLE, "proposal.pass", lambda: _("通过"), _reviewer),
        Transition(P.SUBMITTED, P.INELIGIBLE, "proposal.fail", lambda: _("不通过"), _reviewer),
        Transition(P.INELIGIBLE, P.ELIGIBLE, "proposal.pass", lambda: _("通过"), _reviewer),
        Transition(P.ELIGIBLE, P.INELIGIBLE, "proposal.fail", lambda: _("不通过"), _reviewer),
        # A returned proposal not resubmitted by its deadline is decided, so round 1 can close.
        Transition(P.RETURNED, P.INELIGIBLE, "proposal.fail", lambda: _("不通过"), _reviewer),
    ],
    state_label=proposal_status_label,
    district_of=lambda proposal: proposal.edition.district_id,
)
