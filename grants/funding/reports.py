"""Mid-term and final reports (中期报告 / 结项报告) of a grant, submitted by the team's lead.

A report says what was done, how many residents were served (受益人次), how many activities
were held, with photos; its expense list is drawn from the grant's recorded expenses. A final
report moves the grant to completing; the organizer may return a report with a reason (a
returned final report moves the grant back to in progress). One report per kind is open at a
time: a submitted one, or one that passed its evaluation; a returned or failed report may be
submitted again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import audit, timeutil
from grants.audit.models import AuditEntry
from grants.errors import DomainError, NotAllowed
from grants.funding import policy, rubrics
from grants.funding.models import (
    BudgetItem,
    Expense,
    ExpenseStatus,
    Grant,
    GrantEvaluation,
    GrantReport,
    GrantReportPhoto,
    GrantStatus,
    ReportKind,
)
from grants.funding.service import lock
from grants.funding.states import ReportStatus, grant_machine, report_machine
from grants.params import whole_number
from grants.proposals.attachments import CheckedUpload, Upload, checked, store_checked
from grants.proposals.models import Attachment

KINDS = (ReportKind.MIDTERM.value, ReportKind.FINAL.value)
MIN_SUMMARY = 10
MAX_SUMMARY = 5000
MAX_COUNT = 1_000_000
MAX_PHOTOS = 6


def kind_label(kind: str) -> str:
    return {ReportKind.MIDTERM.value: _("中期报告"), ReportKind.FINAL.value: _("结项报告")}.get(kind, kind)


def reports_of(session: Session, grant_id: int) -> list[GrantReport]:
    """The grant's reports, newest first."""
    return list(
        session.scalars(
            select(GrantReport)
            .where(GrantReport.grant_id == grant_id)
            .order_by(GrantReport.submitted_at.desc(), GrantReport.id.desc())
        )
    )


def evaluations_by_report(session: Session, grant_id: int) -> dict[int, GrantEvaluation]:
    rows = session.scalars(select(GrantEvaluation).where(GrantEvaluation.grant_id == grant_id))
    return {row.report_id: row for row in rows}


def open_report(session: Session, grant_id: int, kind: str) -> GrantReport | None:
    """The report of this kind that blocks a new one: submitted, or evaluated and passed."""
    passed = select(GrantEvaluation.report_id).where(GrantEvaluation.passed.is_(True))
    return session.scalars(
        select(GrantReport)
        .where(
            GrantReport.grant_id == grant_id,
            GrantReport.kind == kind,
            (GrantReport.status == ReportStatus.SUBMITTED.value)
            | ((GrantReport.status == ReportStatus.EVALUATED.value) & GrantReport.id.in_(passed)),
        )
        .limit(1)
    ).first()


def refusal(session: Session, grant: Grant, kind: str) -> str | None:
    """Why a report of this kind cannot be submitted now, or None."""
    if grant.status == GrantStatus.SUSPENDED.value:
        return _("资助已停拨，恢复拨付后才能提交报告。")
    if grant.status == GrantStatus.TERMINATED.value:
        return _("资助已终止，不能再提交报告。")
    if grant.status != GrantStatus.IN_PROGRESS.value:
        return _("项目在“实施中”时才能提交报告。")
    existing = open_report(session, grant.id, kind)
    if existing is not None:
        if existing.status == ReportStatus.SUBMITTED.value:
            return _("已有一份%(kind)s等待评估，评估或退回后才能再提交。", kind=kind_label(kind))
        return _("%(kind)s已评估通过，不需要再提交。", kind=kind_label(kind))
    return None


def _count(value: str | int, label: str, field: str) -> int:
    count = whole_number(value, maximum=MAX_COUNT)
    if count is None:
        raise DomainError(_("%(field)s请填写0到%(max)d之间的整数。", field=label, max=MAX_COUNT), field=field)
    return count


def check_photos(photos: list[Upload] | list[CheckedUpload]) -> list[CheckedUpload]:
    """The report's photos (those chosen) checked by content, unless they were: the view checks
    them before its write transaction (grants/uploads.py).

    Raises: DomainError (too many, empty, too large, not a photo by its content)."""
    photos = [p for p in photos if p.data or p.filename]
    if len(photos) > MAX_PHOTOS:
        raise DomainError(_("每份报告最多上传%(n)d张照片。", n=MAX_PHOTOS), field="photos")
    return [checked(photo, photo=True) for photo in photos]


def submit_report(
    session: Session,
    *,
    actor,
    grant: Grant,
    kind: str,
    summary: str,
    beneficiaries: str | int,
    activities_count: str | int,
    photos: list[Upload] | list[CheckedUpload] = (),
    upload_dir: Path | None = None,
) -> GrantReport:
    """Submit a mid-term or final report with its photos (EXIF removed). A final report moves the
    grant to completing.

    Raises:
        NotAllowed: not the team's lead.
        DomainError: the grant's state does not allow it, a report of this kind is open, a field
            is missing or out of range, a photo is not a photo.
    """
    if not policy.can_report(actor, grant):
        raise NotAllowed(_("只有项目负责人可以提交报告。"))
    if kind not in KINDS:
        raise DomainError(_("未知的报告类型。"))
    grant = lock(session, grant)
    if message := refusal(session, grant, kind):
        raise DomainError(message)
    summary = (summary or "").strip()
    if not MIN_SUMMARY <= len(summary) <= MAX_SUMMARY:
        raise DomainError(_("工作情况应为%(min)d到%(max)d个字。", min=MIN_SUMMARY, max=MAX_SUMMARY), field="summary")
    served = _count(beneficiaries, _("受益人次"), "beneficiaries")
    held = _count(activities_count, _("开展活动次数"), "activities_count")
    checked = check_photos(photos)
    rubrics.ensure_rubric(session, grant.edition_id, kind)  # the indicators it will be scored on exist from now
    report = GrantReport(
        grant_id=grant.id,
        kind=kind,
        summary=summary,
        beneficiaries=served,
        activities_count=held,
        status=ReportStatus.SUBMITTED.value,
        submitted_by_id=actor.id,
    )
    session.add(report)
    session.flush()
    for photo in checked:
        attachment = store_checked(session, actor=actor, checked=photo, upload_dir=upload_dir)
        session.add(GrantReportPhoto(report_id=report.id, attachment_id=attachment.id))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="grant_report.submit",
        obj=report,
        district_id=grant.edition.district_id,
        after={
            "grant_id": grant.id,
            "kind": kind,
            "beneficiaries": served,
            "activities_count": held,
            "photos": len(checked),
        },
    )
    if kind == ReportKind.FINAL.value:
        grant_machine.transition(session, grant, GrantStatus.COMPLETING.value, actor=actor, by_step=True)
    return report


def return_report(session: Session, *, actor, report: GrantReport, reason: str) -> GrantReport:
    """The organizer returns a submitted report with a reason; a returned final report moves the
    grant back to in progress.

    Raises: NotAllowed (not the organizer), InvalidTransition (not waiting for evaluation),
        DomainError (no reason).
    """
    grant = session.get(Grant, report.grant_id)
    if not policy.can_manage(actor, grant):
        raise NotAllowed(_("您没有权限管理这个资助项目。"))
    grant = lock(session, grant)
    session.refresh(report)
    report_machine.transition(session, report, ReportStatus.RETURNED.value, actor=actor, reason=reason)
    if report.kind == ReportKind.FINAL.value and grant.status == GrantStatus.COMPLETING.value:
        grant_machine.transition(
            session, grant, GrantStatus.IN_PROGRESS.value, actor=actor, reason=reason, by_step=True
        )
    return report


def photos_of(session: Session, report_ids: list[int]) -> dict[int, list[Attachment]]:
    """The photos of these reports (one query)."""
    found: dict[int, list[Attachment]] = defaultdict(list)
    if report_ids:
        rows = session.execute(
            select(GrantReportPhoto.report_id, Attachment)
            .join(Attachment, Attachment.id == GrantReportPhoto.attachment_id)
            .where(GrantReportPhoto.report_id.in_(report_ids))
            .order_by(GrantReportPhoto.id)
        )
        for report_id, attachment in rows:
            found[report_id].append(attachment)
    return found


def report_photo(session: Session, report: GrantReport, attachment_id: int) -> Attachment | None:
    return session.scalar(
        select(Attachment)
        .join(GrantReportPhoto, GrantReportPhoto.attachment_id == Attachment.id)
        .where(GrantReportPhoto.report_id == report.id, Attachment.id == attachment_id)
    )


@dataclass(frozen=True)
class ExpenseLine:
    """One budget line of the report's expense list with its accepted and pending expenses."""

    item: str
    expenses: list[Expense]

    @property
    def accepted_fen(self) -> int:
        return sum(e.amount_fen for e in self.expenses if e.status == ExpenseStatus.ACCEPTED.value)

    @property
    def pending_fen(self) -> int:
        return sum(e.amount_fen for e in self.expenses if e.status == ExpenseStatus.PENDING.value)


def expense_list(session: Session, grant_id: int) -> list[ExpenseLine]:
    """The grant's recorded expenses (accepted and pending) by budget line, in one query."""
    rows = session.execute(
        select(BudgetItem.id, BudgetItem.item, Expense)
        .join(Expense, Expense.item_id == BudgetItem.id)
        .where(
            BudgetItem.grant_id == grant_id,
            Expense.status.in_((ExpenseStatus.ACCEPTED.value, ExpenseStatus.PENDING.value)),
        )
        .order_by(BudgetItem.position, Expense.spent_on, Expense.id)
    )
    lines: dict[int, ExpenseLine] = {}
    for item_id, item, expense in rows:
        lines.setdefault(item_id, ExpenseLine(item, [])).expenses.append(expense)
    return list(lines.values())


def return_reasons(session: Session, report_ids: list[int]) -> dict[int, AuditEntry]:
    """Why (and by whom) each returned report was returned, from the audit log (one query)."""
    if not report_ids:
        return {}
    rows = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == "grant_report.return",
            AuditEntry.object_type == GrantReport.__name__,
            AuditEntry.object_id.in_(report_ids),
        )
        .order_by(AuditEntry.id)
    )
    return {row.object_id: row for row in rows}


def status_decision(session: Session, grant: Grant) -> AuditEntry | None:
    """The audit entry of the decision that suspended or terminated the grant (who, when, why)."""
    actions = {GrantStatus.SUSPENDED.value: "grant.suspend", GrantStatus.TERMINATED.value: "grant.terminate"}
    action = actions.get(grant.status)
    if action is None:
        return None
    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == action, AuditEntry.object_type == Grant.__name__, AuditEntry.object_id == grant.id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class Section:
    """What the grant page shows about reports: each report with its evaluation, what may be
    submitted now, the due dates, and who suspended or terminated the grant and why."""

    reports: list[GrantReport]
    evaluations: dict[int, GrantEvaluation]
    returned: dict[int, AuditEntry]
    refusals: dict[str, str | None]
    due: dict[str, object]
    decision: AuditEntry | None


def section(session: Session, grant: Grant) -> Section:
    from grants.funding.models import EvaluationRubric

    listed = reports_of(session, grant.id)
    due = dict(
        session.execute(
            select(EvaluationRubric.kind, EvaluationRubric.due_on).where(
                EvaluationRubric.edition_id == grant.edition_id
            )
        ).all()
    )
    return Section(
        reports=listed,
        evaluations=evaluations_by_report(session, grant.id),
        returned=return_reasons(session, [r.id for r in listed if r.status == ReportStatus.RETURNED.value]),
        refusals={kind: refusal(session, grant, kind) for kind in KINDS},
        due=due,
        decision=status_decision(session, grant),
    )


@dataclass(frozen=True)
class Period:
    """What a report covers: from the grant's signing (a final report: from the mid-term report that
    stands) to the report's date; the group's confirmed activities of the period are listed with it."""

    since: datetime | None  # None: the grant was never signed, everything up to the report counts
    until: datetime
    after_midterm: bool


def period_of(session: Session, grant: Grant, kind: str, report: GrantReport | None = None) -> Period:
    """The period of a submitted report, or of the one being written now (one query for a final report)."""
    until = report.submitted_at if report is not None else timeutil.now()
    if kind == ReportKind.FINAL.value:
        midterm = session.scalar(
            select(GrantReport.submitted_at)
            .where(
                GrantReport.grant_id == grant.id,
                GrantReport.kind == ReportKind.MIDTERM.value,
                GrantReport.status != ReportStatus.RETURNED.value,
                GrantReport.submitted_at < until,
            )
            .order_by(GrantReport.submitted_at.desc(), GrantReport.id.desc())
            .limit(1)
        )
        if midterm is not None:
            return Period(since=midterm, until=until, after_midterm=True)
    return Period(since=grant.signed_at, until=until, after_midterm=False)
