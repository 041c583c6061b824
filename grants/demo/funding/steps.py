"""The funding steps the demo replays, each through its service on the day it happened
(``timeutil.as_of``): signing, tranches (four eyes), expenses and their review, reports and
evaluations, refunds and settlement."""

from __future__ import annotations

import io
import random
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from flask import current_app
from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import timeutil
from grants.auth.models import User
from grants.editions.models import Edition
from grants.funding import (
    agreement,
    balances,
    disbursements,
    evaluations,
    expenses,
    policy,
    reports,
    rubrics,
    service,
)
from grants.funding import settlement as settlement_service
from grants.funding.models import Grant, GrantReport, GrantStatus, ReportKind, Tranche
from grants.results.models import Publication
from grants.timeutil import as_of

BANKS = {
    "桂花社区": "东湖农商银行东湖街道支行",
    "樱桃社区": "东湖农商银行东湖街道支行",
    "翠竹社区": "东湖农商银行东湖街道支行",
    "枫林社区": "东湖农商银行枫林支行",
    "松涛社区": "东湖农商银行西岭支行",
}
STAFF = ("staff1", "staff2", "staff3", "staff4", "staff5")


def when(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (Beijing) time on that day, in UTC."""
    return timeutil.local_day_start(day) + timedelta(hours=hour, minutes=minute)


@lru_cache(maxsize=64)
def picture(size: tuple[int, int], lines: int, seed: int, image_format: str = "JPEG") -> bytes:
    """A small picture of a paper with lines of text on it (a scan, a receipt, a photo); a few
    dozen variants are drawn once per process and reused."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (250, 248, 240))
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((8, 8, width - 9, 28), fill=(200, 40, 40))
    for n in range(lines):
        y = 40 + n * (height - 60) // max(lines, 1)
        draw.line((16, y, 16 + rng.randint(width // 3, width - 40), y), fill=(60, 60, 60), width=3)
    draw.ellipse((width - 70, height - 70, width - 20, height - 20), outline=(200, 40, 40), width=3)
    out = io.BytesIO()
    image.save(out, format=image_format, **({"quality": 70} if image_format == "JPEG" else {}))
    return out.getvalue()


class Run:
    """The people, settings and calendar of one edition's funding."""

    def __init__(self, session: Session, edition: Edition, seed: int):
        self.session = session
        self.edition = edition
        logins = ["organizer", "finance", *STAFF]
        users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(logins)))}
        self.organizer, self.finance = users["organizer"], users["finance"]
        self.staff = [users[login] for login in STAFF if login in users]
        config = current_app.config
        self.upload_dir = Path(config["UPLOAD_DIR"])
        self.max_bytes, self.max_pixels = config["ATTACHMENT_MAX_BYTES"], config["IMAGE_MAX_PIXELS"]
        self.rng = random.Random(seed)
        self.last_invoice = ""
        self.now = timeutil.now()
        self.today = timeutil.today()
        final = session.scalar(
            select(Publication.finalized_at).where(
                Publication.edition_id == edition.id, Publication.finalized_at.is_not(None)
            )
        )
        self.start = timeutil.to_local(final).date()

    def at(self, day: date, hour: int, minute: int = 0):
        """as_of that local time, never later than the moment the demo is loaded."""
        return as_of(min(when(day, hour, minute), self.now - timedelta(minutes=1)))

    def reviewer(self, grant: Grant, *, staff1_only: bool = False) -> User:
        """Who reviews the grant's expenses: its community's social worker (only staff1 of 桂花社区
        for the hand-written grants, as when the demo had one), else the organizer."""
        staff = self.staff[:1] if staff1_only else self.staff
        return next((u for u in staff if policy.can_review_expenses(u, grant)), self.organizer)

    def invoice(self) -> str:
        return f"{self.rng.randint(10**11, 10**12 - 1)}{self.rng.randint(10**7, 10**8 - 1)}"


def sign(run: Run, grant: Grant, signed_on: date) -> None:
    community = grant.proposal.community.name
    with run.at(signed_on, 16, 20):
        agreement.sign_agreement(
            run.session,
            actor=run.organizer,
            grant=grant,
            signed_on=signed_on,
            receiving_unit=agreement.suggested_receiving_unit(grant),
            account_name=agreement.suggested_receiving_unit(grant),
            account_bank=BANKS.get(community, "东湖农商银行"),
            account_no=f"6228 4800 {grant.id:04d} {1000 + grant.proposal_id:04d}",
            upload=agreement.Upload(
                "资助协议（签字盖章）.png", picture((420, 594), 14, grant.id % 16, "PNG"), run.max_bytes, run.max_pixels
            ),
            upload_dir=run.upload_dir,
        )


def disburse(run: Run, grant: Grant, position: int, asked: date, *, approve: bool = True, pay: bool = True) -> None:
    """The organizer asks for the tranche; finance (a different person) approves it and pays it."""
    tranche = run.session.scalar(select(Tranche).where(Tranche.grant_id == grant.id, Tranche.position == position))
    with run.at(asked, 10, 5):
        disbursement = disbursements.request(run.session, actor=run.organizer, tranche=tranche)
    if approve:
        with run.at(min(asked + timedelta(days=1), run.today), 9, 40):
            disbursements.approve(run.session, actor=run.finance, disbursement=disbursement)
        if pay:
            paid_on = min(asked + timedelta(days=2), run.today)
            with run.at(paid_on, 11, 0):
                disbursements.record_payment(
                    run.session,
                    actor=run.finance,
                    disbursement=disbursement,
                    paid_on=paid_on,
                    voucher_ref=f"记-{paid_on:%Y%m}-{grant.id:02d}{position:02d}",
                )
    run.session.flush()


def spend(
    run: Run,
    grant: Grant,
    *,
    item_id: int,
    unit_fen: int,
    quantity: int,
    payee: str,
    purpose: str,
    spent_on: date,
    outcome: str,
    reviewer: User,
    again: bool = False,
) -> None:
    """The lead records an expense with a receipt photo that evening; ``outcome`` "accept", "pending"
    or the reason the reviewer rejects it three days later. ``again``: the invoice of the expense
    before (rejected, recorded again)."""
    invoice = run.last_invoice if again else run.invoice()
    run.last_invoice = invoice
    with run.at(spent_on, 19, 30):
        expense = expenses.record_expense(
            run.session,
            actor=grant.proposal.applicant,
            grant=grant,
            data=expenses.ExpenseData(
                spent_on=spent_on,
                item_id=item_id,
                payee=payee,
                amount_fen=unit_fen * quantity,
                purpose=purpose,
                invoice_no=invoice,
                unit_price_fen=unit_fen,
                quantity=quantity,
                receipt=expenses.Upload(
                    f"票据-{invoice[-6:]}.jpg",
                    picture((240, 320), 8, int(invoice[-8:]) % 24),
                    run.max_bytes,
                    run.max_pixels,
                ),
            ),
            upload_dir=run.upload_dir,
        )
    if outcome == "pending":
        return
    accept = outcome == "accept"
    with run.at(min(spent_on + timedelta(days=3), run.today), 15, 10):
        expenses.review_expense(
            run.session, actor=reviewer, expense=expense, accept=accept, reason="" if accept else outcome
        )


def report(
    run: Run, grant: Grant, kind: str, text: tuple[str, int, int], day: date, points, comment: str
) -> GrantReport:
    """The lead submits the report (with a photo) that evening; the organizer scores it a week
    later (``points`` None: the evaluation is still to come)."""
    summary, served, held = text
    photo = reports.Upload(
        "活动照片.jpg", picture((480, 320), 5, (grant.id * 7 + len(kind)) % 24), run.max_bytes, run.max_pixels
    )
    with run.at(day, 21, 0):
        submitted = reports.submit_report(
            run.session,
            actor=grant.proposal.applicant,
            grant=grant,
            kind=kind,
            summary=summary,
            beneficiaries=served,
            activities_count=held,
            photos=[photo],
            upload_dir=run.upload_dir,
        )
    if points is None:
        return submitted
    rubric = rubrics.ensure_rubric(run.session, grant.edition_id, kind)
    with run.at(min(day + timedelta(days=7), run.today), 15, 30):
        evaluations.evaluate_report(
            run.session,
            actor=run.organizer,
            report=submitted,
            scores={i.id: str(p) for i, p in zip(rubric.indicators, points, strict=True)},
            comment=comment,
        )
    return submitted


def refund(run: Run, grant: Grant, day: date) -> None:
    """Finance records the unspent money returned (if any)."""
    surplus = balances.of_grant(run.session, grant.id).unspent_fen
    if surplus <= 0:
        return
    with run.at(day, 14, 0):
        settlement_service.record_refund(
            run.session,
            actor=run.finance,
            grant=grant,
            returned_on=day,
            amount=f"{surplus // 100}.{surplus % 100:02d}",
            ref=f"退-{day:%Y%m}-{grant.id:02d}",
        )


def settle(run: Run, grant: Grant, final: tuple[str, int, int], day: date, points, last_tranche: int | None) -> None:
    """Final report and evaluation, the last tranche, the surplus returned, the grant settled."""
    report(run, grant, ReportKind.FINAL.value, final, day, points, "目标全部完成，资金使用规范，同意结项。")
    if last_tranche is not None:
        disburse(run, grant, last_tranche, day + timedelta(days=9))
    refund(run, grant, day + timedelta(days=14))
    with run.at(day + timedelta(days=16), 10, 0):
        service.change_status(
            run.session, actor=run.organizer, grant=grant, target=GrantStatus.SETTLED.value, reason=None
        )
