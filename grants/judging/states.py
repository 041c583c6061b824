"""The score sheet lifecycle: assigned (editable) → submitted (locked) → unlocked by the organizer.

A sheet stops counting when its judge has a conflict of interest with the proposal (withdrawn,
saved or submitted) or loses the judge role (an open sheet is withdrawn; a submitted one is held
until the organizer keeps or discards it). The organizer reassigns a withdrawn sheet.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from grants.auth import policy
from grants.states import StateMachine, Transition


class SheetStatus(StrEnum):
    ASSIGNED = "assigned"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"  # does not count; the organizer may reassign it
    HELD = "held"  # submitted by a judge whose role was revoked: counts only if the organizer keeps it


class WithdrawalCause(StrEnum):
    CONFLICT = "conflict"
    ROLE_REVOKED = "role_revoked"


SHEET_STATUS_LABELS = {
    SheetStatus.ASSIGNED: _l("待评分"),
    SheetStatus.SUBMITTED: _l("已提交"),
    SheetStatus.WITHDRAWN: _l("已撤回"),
    SheetStatus.HELD: _l("评审资格已撤销"),
}
WITHDRAWAL_CAUSE_LABELS = {WithdrawalCause.CONFLICT: _l("利益冲突"), WithdrawalCause.ROLE_REVOKED: _l("评审资格已撤销")}


def withdrawal_cause_label(cause: str | None) -> str:
    return str(WITHDRAWAL_CAUSE_LABELS.get(cause, cause or ""))


def sheet_status_label(status: str) -> str:
    return str(SHEET_STATUS_LABELS.get(status, status))


def _judge(actor, assignment) -> bool:
    return actor is not None and actor.id == assignment.judge_id


def _judge_or_proxy(actor, assignment) -> bool:
    """The judge, or the organizer entering the judge's paper sheet (marked as a proxy entry)."""
    return _judge(actor, assignment) or (assignment.entered_by_id is not None and _organizer(actor, assignment))


def _organizer(actor, assignment) -> bool:
    return actor is None or policy.is_organizer(actor, assignment.round.edition.district_id)


def _organizer_or_judge(actor, assignment) -> bool:
    """A conflict withdraws sheets whoever registers it: the organizer, or the judge on their own."""
    return _judge(actor, assignment) or _organizer(actor, assignment)


S = SheetStatus
sheet_machine = StateMachine(
    "sheet",
    [
        Transition(S.ASSIGNED, S.SUBMITTED, "sheet.submit", lambda: _("提交评分"), _judge_or_proxy),
        Transition(
            S.SUBMITTED,
            S.ASSIGNED,
            "sheet.unlock",
            lambda: _("解锁评分表"),
            _organizer,
            requires_reason=True,
            style="secondary",
        ),
        Transition(
            S.ASSIGNED,
            S.WITHDRAWN,
            "sheet.withdraw",
            lambda: _("撤回评分表"),
            _organizer_or_judge,
            requires_reason=True,
        ),
        Transition(
            S.SUBMITTED,
            S.WITHDRAWN,
            "sheet.withdraw",
            lambda: _("撤回评分表"),
            _organizer_or_judge,
            requires_reason=True,
        ),
        Transition(S.HELD, S.WITHDRAWN, "sheet.discard", lambda: _("作废评分表"), _organizer, requires_reason=True),
        Transition(S.SUBMITTED, S.HELD, "sheet.hold", lambda: _("暂停计分"), _organizer, requires_reason=True),
        Transition(S.HELD, S.SUBMITTED, "sheet.keep", lambda: _("保留评分表"), _organizer, requires_reason=True),
        Transition(S.WITHDRAWN, S.ASSIGNED, "sheet.replace", lambda: _("改派评分表"), _organizer),
    ],
    state_label=sheet_status_label,
    district_of=lambda assignment: assignment.round.edition.district_id,
)
