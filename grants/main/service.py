"""What the home page shows to whom."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants.auth import policy
from grants.editions.models import Edition, Round, RoundKind
from grants.editions.states import EditionStatus


@dataclass
class HomeSummary:
    open_editions: list[Edition] = field(default_factory=list)
    managed_editions: list[Edition] = field(default_factory=list)
    judged_editions: list[Edition] = field(default_factory=list)
    reviewed_editions: list[Edition] = field(default_factory=list)
    eligibility_rounds: dict[int, list[Round]] = field(default_factory=dict)


def home_summary(session: Session, user) -> HomeSummary:
    summary = HomeSummary()
    summary.open_editions = list(
        session.scalars(
            select(Edition).where(Edition.status == EditionStatus.OPEN.value).order_by(Edition.number.desc())
        )
    )
    if district_ids := policy.organizer_district_ids(user):
        summary.managed_editions = list(
            session.scalars(
                select(Edition).where(Edition.district_id.in_(district_ids)).order_by(Edition.number.desc())
            )
        )
    if edition_ids := policy.judge_edition_ids(user):
        summary.judged_editions = list(
            session.scalars(select(Edition).where(Edition.id.in_(edition_ids)).order_by(Edition.number.desc()))
        )
    if district_ids := policy.staff_district_ids(user):
        summary.reviewed_editions = list(
            session.scalars(
                select(Edition)
                .where(Edition.district_id.in_(district_ids), Edition.status != EditionStatus.DRAFT.value)
                .order_by(Edition.number.desc())
            )
        )
    if summary.reviewed_editions:
        rounds = session.scalars(
            select(Round).where(
                Round.edition_id.in_([e.id for e in summary.reviewed_editions]),
                Round.kind == RoundKind.ELIGIBILITY.value,
            )
        )
        for rnd in rounds:
            summary.eligibility_rounds.setdefault(rnd.edition_id, []).append(rnd)
    return summary
