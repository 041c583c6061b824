"""Helpers for the report, evaluation and settlement tests: a running grant with money paid and
expenses recorded, reports submitted and evaluated through the services."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image
from sqlalchemy import select

from grants.funding import budget_changes, evaluations, ledger, reports, rubrics
from grants.funding.budget_changes import ProposedLine
from grants.funding.models import BudgetItem, Expense, Grant, GrantStatus
from grants.funding.states import grant_machine


def start(session, grant, world):
    """The first tranche arrived: grant → in progress (the step the disbursement service makes)."""
    grant_machine.transition(session, grant, GrantStatus.IN_PROGRESS.value, actor=world.organizer_a, by_step=True)
    session.commit()
    return grant


def pay(session, grant, world, amount_fen: int, ref: str = "PZ-1"):
    ledger.record(session, grant=grant, kind="disbursement", amount_fen=amount_fen, ref=ref, actor=world.finance_a)
    session.commit()


def spend(session, grant, world, amount_fen: int, *, status: str = "accepted", invoice: str | None = None):
    item = session.scalars(
        select(BudgetItem).where(BudgetItem.grant_id == grant.id).order_by(BudgetItem.position)
    ).first()
    expense = Expense(
        grant_id=grant.id,
        edition_id=grant.edition_id,
        item_id=item.id,
        spent_on=date(2026, 11, 25),
        payee="花木店",
        amount_fen=amount_fen,
        purpose="花苗",
        invoice_no=invoice or f"INV{amount_fen}{status}",
        status=status,
        recorded_by_id=grant.proposal.applicant_id,
    )
    session.add(expense)
    session.commit()
    return expense


def lead(session, grant):
    from grants.auth.models import User

    return session.get(User, grant.proposal.applicant_id)


def ask_for_budget_change(session, grant):
    """The lead asks to move money between the factory proposal's two lines (¥1,200 approved)."""
    items = session.scalars(
        select(BudgetItem).where(BudgetItem.grant_id == grant.id).order_by(BudgetItem.position)
    ).all()
    change = budget_changes.request_change(
        session,
        actor=lead(session, grant),
        grant=grant,
        lines=[ProposedLine(items[0].id, None, "", 4_000, 20), ProposedLine(items[1].id, None, "", 2_000, 20)],
        reason="海报需求增加",
    )
    session.commit()
    return change


def submit(session, grant, kind: str = "midterm", **changes):
    values = dict(summary="开展了三次楼道花园共建活动，居民踊跃参加。", beneficiaries="120", activities_count="3")
    values.update(changes)
    report = reports.submit_report(session, actor=lead(session, grant), grant=grant, kind=kind, **values)
    session.commit()
    return report


def evaluate(session, report, world, *, passed: bool, comment: str = "材料不全"):
    grant = session.get(Grant, report.grant_id)
    rubric = rubrics.ensure_rubric(session, grant.edition_id, report.kind)
    scores = {i.id: str(i.max_points if passed else 0) for i in rubric.indicators}
    evaluation = evaluations.evaluate_report(
        session, actor=world.organizer_a, report=report, scores=scores, comment=comment
    )
    session.commit()
    return evaluation


def photo_with_exif() -> bytes:
    """A small JPEG carrying EXIF (a camera make and GPS-like data)."""
    image = Image.new("RGB", (40, 30), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Model X"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()
