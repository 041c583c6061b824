"""Extending the submission window of a whole edition."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from grants import audit
from grants.editions import policy
from grants.editions.models import Edition
from grants.editions.states import EditionStatus
from grants.errors import DomainError, NotAllowed
from grants.timeutil import now


def extend_submission_window(session: Session, *, actor, edition: Edition, closes_at: datetime) -> Edition:
    """Move the deadline later for every applicant.

    Raises:
        NotAllowed: not an organizer of the edition's district.
        DomainError: the edition is past submission, or the new deadline is not later and in the future.
    """
    if not policy.can_manage_edition(actor, edition):
        raise NotAllowed(_("您没有权限修改这届大赛。"))
    if edition.status not in (EditionStatus.DRAFT, EditionStatus.OPEN):
        raise DomainError(_("评审开始后不能再延长申报期。"))
    if closes_at <= now() or (edition.submission_closes_at and closes_at <= edition.submission_closes_at):
        raise DomainError(_("新的截止时间必须晚于原截止时间，并且晚于现在。"), field="closes_at")
    before = edition.submission_closes_at
    edition.submission_closes_at = closes_at
    audit.record(
        session,
        actor=actor,
        action="edition.extend_window",
        obj=edition,
        district_id=edition.district_id,
        before={"submission_closes_at": before},
        after={"submission_closes_at": closes_at},
    )
    session.flush()
    return edition
