"""Helpers for judging tests: filling score sheets with chosen totals."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from grants.judging import sheets
from grants.judging.models import Assignment


def split_total(rnd, total: int) -> dict[int, str]:
    """Points per criterion adding up to ``total``, filling the criteria in order."""
    points, left = {}, total
    for criterion in rnd.criteria:
        given = min(left, criterion.max_points)
        points[criterion.id] = str(given)
        left -= given
    assert left == 0, "total above the round's maximum"
    return points


def score_round(session, rnd, total_for: Callable[[int, int], int | None]) -> int:
    """Submit each sheet of the round with total_for(judge_id, proposal_id) points (None: leave it)."""
    done = 0
    for assignment in session.scalars(select(Assignment).where(Assignment.round_id == rnd.id)).unique():
        total = total_for(assignment.judge_id, assignment.proposal_id)
        if total is None:
            continue
        sheets.save_sheet(
            session,
            actor=assignment.judge,
            assignment=assignment,
            raw_points=split_total(rnd, total),
            comment=f"评语{assignment.id}",
            submit=True,
        )
        done += 1
    return done


def end_submission(session, edition) -> None:
    """The edition's submission deadline passes and it moves into review (round 1 may then close)."""
    from datetime import timedelta

    from grants.editions.states import edition_machine
    from grants.timeutil import now

    edition.submission_closes_at = now() - timedelta(minutes=1)
    if edition.submission_opens_at is None or edition.submission_opens_at >= edition.submission_closes_at:
        edition.submission_opens_at = edition.submission_closes_at - timedelta(days=30)
    if edition.status == "open":
        edition_machine.transition(session, edition, "reviewing", actor=None)


def all_items(rnd) -> list[int]:
    """Every checklist item of an eligibility round (a pass ticks them all)."""
    return [c.id for c in rnd.criteria]
