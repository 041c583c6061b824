"""Who may open and write a score sheet."""

from __future__ import annotations

from sqlalchemy.orm import object_session

from grants.auth import policy as auth_policy
from grants.db import db
from grants.judging import integrity
from grants.judging.models import Assignment


def can_open_sheet(user, assignment: Assignment) -> bool:
    """The sheet's own judge, while they hold the judge role for its edition."""
    return (
        getattr(user, "is_authenticated", False)
        and user.id == assignment.judge_id
        and auth_policy.is_judge(user, assignment.round.edition_id)
    )


def can_score(user, assignment: Assignment) -> bool:
    """The sheet's judge with the role, in an open round, on a sheet that is neither submitted,
    withdrawn nor held, for a proposal they have no declared conflict with."""
    if not can_open_sheet(user, assignment):
        return False
    session = object_session(assignment) or db.session
    return integrity.sheet_problem(session, assignment) is None
