"""What the demo holds, in the figures a district reports (the command prints them; the tests
compare two runs by them): proposals and grants per edition, money, confirmed activities, residents
served, volunteer hours, groups by kind and by current stars, and the rows of every table."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants.db import db
from grants.editions.models import Edition
from grants.funding.models import Disbursement, Expense, Grant, LedgerEntry
from grants.incubation.models import Activity, Group, VolunteerHours
from grants.incubation.ratings import queries as rating_queries
from grants.proposals.models import Proposal


def summary(session: Session) -> dict:
    numbers = dict(session.execute(select(Edition.id, Edition.number)).all())
    received = session.execute(
        select(Proposal.edition_id, func.count()).where(Proposal.status != "draft").group_by(Proposal.edition_id)
    ).all()
    funded = session.execute(select(Grant.edition_id, func.count()).group_by(Grant.edition_id)).all()
    confirmed = Activity.status == "confirmed"
    activities, served = session.execute(
        select(func.count(Activity.id), func.coalesce(func.sum(Activity.served), 0)).where(confirmed)
    ).one()
    halves = session.scalar(select(func.coalesce(func.sum(VolunteerHours.halves), 0)).join(Activity).where(confirmed))
    groups = session.execute(select(Group.id, Group.kind)).all()
    stars = rating_queries.current_stars_of(session, [group_id for group_id, _kind in groups])
    return {
        "editions": len(numbers),
        "proposals": sum(count for _edition, count in received),
        "proposals_by_edition": {numbers[e]: count for e, count in sorted(received, key=lambda r: numbers[r[0]])},
        "grants": sum(count for _edition, count in funded),
        "grants_by_edition": {numbers[e]: count for e, count in sorted(funded, key=lambda r: numbers[r[0]])},
        "grants_by_status": dict(sorted(Counter(session.scalars(select(Grant.status))).items())),
        "approved_fen": session.scalar(select(func.coalesce(func.sum(Grant.approved_fen), 0))),
        "paid_fen": session.scalar(
            select(func.coalesce(func.sum(Disbursement.amount_fen), 0)).where(Disbursement.status == "paid")
        ),
        "spent_fen": session.scalar(
            select(func.coalesce(func.sum(Expense.amount_fen), 0)).where(Expense.status == "accepted")
        ),
        "ledger_fen": session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))),
        "confirmed_activities": activities,
        "served": int(served),
        "volunteer_hours": int(halves) / 2,
        "groups": len(groups),
        "groups_by_kind": dict(sorted(Counter(kind for _id, kind in groups).items())),
        "groups_by_stars": dict(sorted(Counter(rating.stars for rating in stars.values()).items())),
        "rows": {
            table.name: session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables
        },
    }
