"""The tables a finance office expects, written through grants/reports/tables.py:

- 资金拨付明细表 (edition): each disbursement with who requested, approved and paid it, and when;
- 支出明细表 (edition): each expense with its line, payee, invoice number, status and reviewer;
- 资金使用情况表 (one grant): per budget line its budget, this period, cumulative and balance.

Rows are produced as a stream from one query (an edition of 40,000 expenses never sits in memory);
XLSX and CSV are written row by row, PDF (with the signature row 制表人/审核人/负责人) is rendered
from the same rows. Long edition exports run in the job queue (grants/jobs.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from flask import current_app, has_request_context, render_template
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from grants import audit, timeutil
from grants.auth.models import User
from grants.editions.models import Edition
from grants.errors import DomainError, NotAllowed
from grants.funding import policy, service
from grants.funding.expenses import EXPENSE_STATUS_LABELS
from grants.funding.models import (
    BudgetItem,
    BudgetVersionLine,
    Disbursement,
    Expense,
    Grant,
    Tranche,
)
from grants.funding.states import DISBURSEMENT_STATUS_LABELS
from grants.money import format_fen
from grants.proposals.models import BudgetCategory, Proposal
from grants.reports import tables
from grants.reports.models import DocumentJob
from grants.reports.pdf import render_pdf
from grants.reports.responses import safe_filename

FORMATS = ("xlsx", "csv", "pdf")
EDITION_KINDS = ("disbursements", "expenses")
# Edition exports longer than this run in the job queue; PDF stops at PDF_MAX_ROWS (a printed
# list of tens of thousands of rows helps nobody: the XLSX is the file for that).
DIRECT_ROWS = 2000
DIRECT_PDF_ROWS = 200  # a PDF takes far longer per row than a spreadsheet
PDF_MAX_ROWS = 3000
STYLESHEETS = ("css/pdf-documents.css",)
JOB_PREFIX = "funding:"


def yuan(fen: int | None) -> Decimal | str:
    """An amount in yuan as an exact number (a numeric cell), "" for none."""
    return "" if fen is None else Decimal(int(fen)).scaleb(-2)


def _when(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value.isoformat()
    return timeutil.to_local(value).strftime("%Y-%m-%d %H:%M")


@dataclass
class Export:
    """A table as a stream: headers, number formats, and a function giving the rows."""

    title: str
    headers: list[str]
    formats: dict[int, str]
    rows: Callable[[], Iterator[list]]
    count: int
    filename: str  # without extension
    ascii_name: str
    meta: list[str]  # lines printed under the PDF's title
    totals: list | None = None  # a last row (PDF and spreadsheet alike)

    def all_rows(self) -> Iterator[list]:
        yield from self.rows()
        if self.totals is not None:
            yield self.totals


# --- the tables -------------------------------------------------------------------------------


def disbursements(session: Session, edition) -> Export:
    requester, approver, payer = aliased(User), aliased(User), aliased(User)
    query = (
        select(
            Grant.agreement_no,
            Proposal.title,
            Tranche.name,
            Disbursement.amount_fen,
            Disbursement.status,
            requester.display_name,
            Disbursement.requested_at,
            approver.display_name,
            Disbursement.approved_at,
            payer.display_name,
            Disbursement.paid_on,
            Disbursement.voucher_ref,
        )
        .join(Grant, Grant.id == Disbursement.grant_id)
        .join(Proposal, Proposal.id == Grant.proposal_id)
        .join(Tranche, Tranche.id == Disbursement.tranche_id)
        .join(requester, requester.id == Disbursement.requested_by_id)
        .outerjoin(approver, approver.id == Disbursement.approved_by_id)
        .outerjoin(payer, payer.id == Disbursement.paid_by_id)
        .where(Grant.edition_id == edition.id)
        .order_by(Grant.id, Tranche.position, Disbursement.id)
    )
    count = session.scalar(
        select(func.count(Disbursement.id))
        .join(Grant, Grant.id == Disbursement.grant_id)
        .where(Grant.edition_id == edition.id)
    )

    def rows() -> Iterator[list]:
        labels = {status: str(label) for status, label in DISBURSEMENT_STATUS_LABELS.items()}
        for r in session.execute(query.execution_options(yield_per=1000)):
            yield [
                r[0],
                r[1],
                r[2],
                yuan(r[3]),
                labels.get(r[4], r[4]),
                r[5],
                _when(r[6]),
                r[7] or "",
                _when(r[8]),
                r[9] or "",
                _when(r[10]),
                r[11],
            ]

    title = _("资金拨付明细表")
    return Export(
        title=title,
        headers=[
            _("协议编号"),
            _("项目名称"),
            _("期次"),
            _("金额（元）"),
            _("状态"),
            _("申请人"),
            _("申请时间"),
            _("审批人"),
            _("审批时间"),
            _("付款登记人"),
            _("付款日期"),
            _("凭证号"),
        ],
        formats={3: tables.AMOUNT},
        rows=rows,
        count=count,
        filename=f"{title}-{edition.name}",
        ascii_name=f"disbursements-edition-{edition.id}",
        meta=[edition.name],
    )


def expenses(session: Session, edition) -> Export:
    reviewer = aliased(User)
    query = (
        select(
            Expense.spent_on,
            Grant.agreement_no,
            Proposal.title,
            BudgetItem.item,
            Expense.payee,
            Expense.purpose,
            Expense.invoice_no,
            Expense.amount_fen,
            Expense.status,
            reviewer.display_name,
            Expense.reviewed_at,
        )
        .join(Grant, Grant.id == Expense.grant_id)
        .join(Proposal, Proposal.id == Grant.proposal_id)
        .join(BudgetItem, BudgetItem.id == Expense.item_id)
        .outerjoin(reviewer, reviewer.id == Expense.reviewed_by_id)
        .where(Expense.edition_id == edition.id)
        .order_by(Grant.id, Expense.spent_on, Expense.id)
    )
    count = session.scalar(select(func.count(Expense.id)).where(Expense.edition_id == edition.id))

    def rows() -> Iterator[list]:
        labels = {status: str(label) for status, label in EXPENSE_STATUS_LABELS.items()}
        for r in session.execute(query.execution_options(yield_per=2000)):
            yield [
                _when(r[0]),
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                r[6],
                yuan(r[7]),
                labels.get(r[8], r[8]),
                r[9] or "",
                _when(r[10]),
            ]

    title = _("支出明细表")
    return Export(
        title=title,
        headers=[
            _("支出日期"),
            _("协议编号"),
            _("项目名称"),
            _("预算科目"),
            _("收款方"),
            _("用途"),
            _("发票号码"),
            _("金额（元）"),
            _("状态"),
            _("审核人"),
            _("审核时间"),
        ],
        formats={7: tables.AMOUNT},
        rows=rows,
        count=count,
        filename=f"{title}-{edition.name}",
        ascii_name=f"expenses-edition-{edition.id}",
        meta=[edition.name],
    )


def parse_period(start: str, end: str) -> tuple[date | None, date]:
    """The period of a 资金使用情况表 from the form (ISO dates; the end defaults to today).

    Raises: DomainError when a date is malformed or the period ends before it starts.
    """
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else timeutil.today()
    except ValueError:
        raise DomainError(_("日期格式应为2026-12-03。")) from None
    if first is not None and first > last:
        raise DomainError(_("开始日期不能晚于结束日期。"))
    return first, last


def usage(session: Session, grant: Grant, first: date | None, last: date) -> Export:
    """资金使用情况表: per line of the current budget its budget, the accepted expenses of the
    period, those up to the period's end, and what is left."""
    version = service.current_budget(session, grant.id)
    in_period = Expense.spent_on <= last
    if first is not None:
        in_period = in_period & (Expense.spent_on >= first)
    accepted = Expense.status == "accepted"
    spent = (
        select(
            Expense.item_id,
            func.coalesce(func.sum(case((accepted & in_period, Expense.amount_fen), else_=0)), 0),
            func.coalesce(func.sum(case((accepted & (Expense.spent_on <= last), Expense.amount_fen), else_=0)), 0),
        )
        .where(Expense.grant_id == grant.id)
        .group_by(Expense.item_id)
    )
    by_item = {item_id: (int(p), int(c)) for item_id, p, c in session.execute(spent)}
    lines = session.execute(
        select(BudgetItem.id, BudgetCategory.name, BudgetItem.item, func.coalesce(BudgetVersionLine.amount_fen, 0))
        .join(BudgetCategory, BudgetCategory.id == BudgetItem.category_id)
        .outerjoin(
            BudgetVersionLine,
            (BudgetVersionLine.item_id == BudgetItem.id)
            & (BudgetVersionLine.version_id == (version.id if version else -1)),
        )
        .where(BudgetItem.grant_id == grant.id)
        .order_by(BudgetItem.position)
    ).all()
    data = []
    totals = [0, 0, 0]
    for item_id, category, item, budget in lines:
        period, cumulative = by_item.get(item_id, (0, 0))
        data.append([category, item, yuan(budget), yuan(period), yuan(cumulative), yuan(budget - cumulative)])
        totals = [totals[0] + budget, totals[1] + period, totals[2] + cumulative]
    title = _("资金使用情况表")
    period_text = _(
        "统计期间：%(start)s至%(end)s",
        start=first.isoformat() if first else _("协议签订起"),
        end=last.isoformat(),
    )
    return Export(
        title=title,
        headers=[
            _("支出类别"),
            _("预算科目"),
            _("预算金额（元）"),
            _("本期支出（元）"),
            _("累计支出（元）"),
            _("结余（元）"),
        ],
        formats={2: tables.AMOUNT, 3: tables.AMOUNT, 4: tables.AMOUNT, 5: tables.AMOUNT},
        rows=lambda: iter(data),
        count=len(data),
        filename=f"{title}-{grant.agreement_no or grant.id}",
        ascii_name=f"usage-grant-{grant.id}",
        meta=[
            grant.edition.name,
            _("项目：%(title)s", title=grant.proposal.title),
            _("协议编号：%(no)s", no=grant.agreement_no or "—"),
            _("收款单位：%(unit)s", unit=grant.receiving_unit or "—"),
            _("核定金额：%(amount)s元", amount=format_fen(grant.approved_fen)),
            period_text,
        ],
        totals=[_("合计"), "", yuan(totals[0]), yuan(totals[1]), yuan(totals[2]), yuan(totals[0] - totals[2])],
    )


# --- writing ----------------------------------------------------------------------------------


def write(export: Export, fmt: str, out: BinaryIO, *, base_url: str, on_row: Callable[[int], None] | None = None):
    """Write the export as ``fmt`` to ``out``.

    Raises: DomainError when a PDF would be too long; KeyError on an unknown format.
    """
    if fmt == "xlsx":
        tables.write_xlsx(out, export.title, export.headers, export.all_rows(), export.formats, on_row=on_row)
    elif fmt == "csv":
        tables.write_csv(out, export.headers, export.all_rows(), on_row=on_row)
    elif fmt == "pdf":
        if export.count > PDF_MAX_ROWS:
            raise DomainError(_("超过%(n)d行的表格请导出为XLSX或CSV。", n=PDF_MAX_ROWS))
        out.write(pdf(export, base_url))
    else:
        raise KeyError(fmt)


def _shown(value, number_format) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return "" if value is None else str(value)


def pdf(export: Export, base_url: str) -> bytes:
    rows = [[_shown(v, export.formats.get(i)) for i, v in enumerate(row)] for row in export.rows()]
    totals = [_shown(v, export.formats.get(i)) for i, v in enumerate(export.totals)] if export.totals else None
    values = {"export": export, "rows": rows, "totals": totals, "numeric": set(export.formats)}
    if has_request_context():
        html = render_template("pdf/funding_table.html", printed_at=timeutil.now(), **values)
    else:  # in the job queue: url_for needs a request to resolve against
        with current_app.test_request_context(base_url=base_url):
            html = render_template("pdf/funding_table.html", printed_at=timeutil.now(), **values)
    return render_pdf(html, base_url=base_url, stylesheets=STYLESHEETS)


def filename(export: Export, fmt: str) -> str:
    return safe_filename(f"{export.filename}.{fmt}")


# --- edition exports in the job queue ----------------------------------------------------------


def edition_export(session: Session, edition, kind: str) -> Export:
    if kind == "disbursements":
        return disbursements(session, edition)
    if kind == "expenses":
        return expenses(session, edition)
    raise KeyError(kind)


def runs_in_background(export: Export, fmt: str) -> bool:
    limit = int(current_app.config.get("FUNDING_EXPORT_DIRECT_ROWS", DIRECT_ROWS))
    return export.count > (min(limit, DIRECT_PDF_ROWS) if fmt == "pdf" else limit)


def job_kind(kind: str, fmt: str) -> str:
    return f"{JOB_PREFIX}{kind}.{fmt}"


def parse_job_kind(value: str) -> tuple[str, str] | None:
    """(export kind, format) of a funding export job, None for another job."""
    if not value.startswith(JOB_PREFIX):
        return None
    kind, _dot, fmt = value[len(JOB_PREFIX) :].partition(".")
    return (kind, fmt) if kind in EDITION_KINDS and fmt in FORMATS else None


def request_export(session: Session, *, actor, edition, kind: str, fmt: str, total: int) -> DocumentJob:
    """A queued job writing one edition export (the caller enqueues it after the commit). The same
    user asking again for the same export while their job is queued or running gets that job (a
    double click, or 50 at once, make one job: the edition's row lock orders the askers).

    Raises: NotAllowed (neither organizer nor finance of the district); DomainError (a PDF too long).
    """
    if not policy.can_view_edition_grants(actor, edition):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if fmt == "pdf" and total > PDF_MAX_ROWS:
        raise DomainError(_("超过%(n)d行的表格请导出为XLSX或CSV。", n=PDF_MAX_ROWS))
    session.execute(select(Edition.id).where(Edition.id == edition.id).with_for_update())
    pending = session.scalars(
        select(DocumentJob)
        .where(
            DocumentJob.edition_id == edition.id,
            DocumentJob.kind == job_kind(kind, fmt),
            DocumentJob.requested_by_id == actor.id,
            DocumentJob.status.in_(("queued", "running")),
        )
        .order_by(DocumentJob.id.desc())
        .limit(1)
    ).first()
    if pending is not None:
        return pending
    export_title = _("资金拨付明细表") if kind == "disbursements" else _("支出明细表")
    job = DocumentJob(
        kind=job_kind(kind, fmt),
        edition_id=edition.id,
        requested_by_id=actor.id,
        status="queued",
        done=0,
        total=total,
        filename=safe_filename(f"{export_title}-{edition.name}.{fmt}"),
    )
    session.add(job)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="document_job.funding_export",
        obj=job,
        district_id=edition.district_id,
        after={"kind": kind, "format": fmt, "total": total},
    )
    return job
