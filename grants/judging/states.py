"""The score sheet lifecycle: assigned (editable) → submitted (locked) → unlocked by the organizer."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from grants.auth import policy
from grants.states import StateMachine, Transition


class SheetStatus(StrEnum):
    ASSIGNED = "assigned"
    SUBMITTED = "submitted"


SHEET_STATUS_LABELS = {SheetStatus.ASSIGNED: _l("待评分"), SheetStatus.SUBMITTED: _l("已提交")}


def sheet_status_label(status: str) -> str:
    return str(SHEET_STATUS_LABELS.get(status, status))


def _judge(actor, assignment) -> bool:
    return actor is not None and actor.id == assignment.judge_id


def _judge_or_proxy(actor, assignment) -> bool:
    """The judge, or the organizer entering the judge's paper sheet (marked as a proxy entry)."""
    return _judge(actor, assignment) or (assignment.entered_by_id is not None and _organizer(actor, assignment))


def _organizer(actor, assignment) -> bool:
    return actor is None or policy.is_organizer(actor, assignment.round.edition.district_id)


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
    ],
    state_label=sheet_status_label,
    district_of=lambda assignment: assignment.round.edition.district_id,
)
