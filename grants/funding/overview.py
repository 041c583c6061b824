"""The edition's grants as the organizer and finance see them: per grant its status, money
(approved, paid, spent, balance), the next tranche and what it waits for, and late reports;
filters, paging and a totals row.

The page issues a fixed number of queries whatever the number of grants: the filtered grants as
plain rows, the edition's balances (two grouped queries), the rubrics' due dates and the reports
handed in, then for the shown page only its tranches, disbursements and evaluations.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from grants import paging, timeutil
from grants.editions.models import Edition
from grants.funding import balances, service
from grants.funding.models import (
    Disbursement,
    EvaluationRubric,
    Grant,
    GrantEvaluation,
    GrantReport,
    GrantStatus,
    Tranche,
)
from grants.funding.states import grant_status_label
from grants.org.models import Community
from grants.params import FIRST_YEAR, LAST_YEAR, whole_number
from grants.proposals.models import Proposal

PER_PAGE = 50
MAX_QUERY = 60
REPORT_KIND_LABELS = {"midterm": lambda: _("中期报告"), "final": lambda: _("结项报告")}


@dataclass
class Filters:
    status: str = ""
    community_id: int | None = None
    q: str = ""
    late_only: bool = False
    page: int = 1
    street_id: int | None = None
    year: int | None = None  # grants made (results finalized) in this calendar year, Beijing
    # Grants whose money moved in this calendar year (Beijing), with that year's money only: paid,
    # returned and spent as the district figures count a year (grants/figures/queries.py).
    moved: int | None = None

    @property
    def narrowed_by_figures(self) -> bool:
        """Filters only the district figures' links set (no field of the form shows them)."""
        return self.street_id is not None or self.year is not None or self.moved is not None

    @classmethod
    def parse(cls, args) -> Filters:
        """Filters from the query string; anything malformed is ignored (an unfiltered list)."""
        status = args.get("status", "")
        community = args.get("community", "")
        street = args.get("street", "")
        year = args.get("year", "")
        moved = args.get("moved", "")
        page = args.get("page", "1")
        return cls(
            status=status if status in {s.value for s in GrantStatus} else "",
            community_id=whole_number(community),
            street_id=whole_number(street),
            year=_year(year),
            moved=_year(moved),
            q=args.get("q", "").strip()[:MAX_QUERY],
            late_only=args.get("late") == "1",
            page=max(1, whole_number(page, maximum=100_000) or 1),
        )


def _year(text: str) -> int | None:
    year = whole_number(text, maximum=LAST_YEAR)
    return year if year is not None and year >= FIRST_YEAR else None


@dataclass
class Row:
    grant_id: int
    title: str
    community: str
    status: str
    agreement_no: str
    approved_fen: int
    paid_fen: int = 0
    spent_fen: int = 0  # accepted expenses
    balance_fen: int = 0  # held − accepted expenses
    refunded_fen: int = 0  # unspent money returned
    late: list[str] = field(default_factory=list)  # labels of the reports that are late
    next_tranche: str = ""  # its name and amount
    next_step: str = ""  # what it waits for (a key of WAITING_LABELS)
    waits_for: str = ""  # the same in words

    @property
    def status_label(self) -> str:
        return grant_status_label(self.status)


@dataclass
class Totals:
    count: int = 0
    approved_fen: int = 0
    paid_fen: int = 0
    spent_fen: int = 0
    balance_fen: int = 0
    refunded_fen: int = 0
    late: int = 0


@dataclass
class Overview:
    rows: list[Row]
    totals: Totals
    page: int
    pages: int
    communities: list[tuple[int, str]]


def late_kinds(rubrics: dict[str, date], handed_in: set[str], today: date) -> list[str]:
    """The kinds of report whose due date has passed with no report of that kind (pure)."""
    return [kind for kind, due in sorted(rubrics.items()) if due < today and kind not in handed_in]


def editions_of(session: Session, district_ids: set[int]) -> list[Edition]:
    """The editions of these districts, newest first within each district."""
    return list(
        session.scalars(
            select(Edition)
            .where(Edition.district_id.in_(district_ids))
            .order_by(Edition.district_id, Edition.number.desc())
        )
    )


def edition_grants(session: Session, edition_id: int, filters: Filters) -> Overview:
    conditions = [Grant.edition_id == edition_id]
    if filters.status:
        conditions.append(Grant.status == filters.status)
    if filters.community_id is not None:
        conditions.append(Proposal.community_id == filters.community_id)
    if filters.street_id is not None:
        conditions.append(Community.street_id == filters.street_id)
    if filters.year is not None:
        start, end = timeutil.local_year_bounds(filters.year)
        conditions.append(Grant.created_at >= start)
        conditions.append(Grant.created_at < end)
    if filters.q:
        pattern = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            or_(
                Proposal.title.ilike(pattern, escape="\\"),
                Community.name.ilike(pattern, escape="\\"),
                Grant.agreement_no.ilike(pattern, escape="\\"),
                Grant.receiving_unit.ilike(pattern, escape="\\"),
            )
        )
    found = session.execute(
        select(
            Grant.id,
            Proposal.title,
            Community.name,
            Grant.status,
            Grant.agreement_no,
            Grant.approved_fen,
            Proposal.community_id,
        )
        .join(Proposal, Proposal.id == Grant.proposal_id)
        .outerjoin(Community, Community.id == Proposal.community_id)
        .where(*conditions)
        .order_by(Community.name, Proposal.title, Grant.id)
    ).all()
    if filters.moved is None:
        figures = balances.of_grants(session, edition_id=edition_id)
    else:
        figures = balances.of_grants(
            session,
            edition_id=edition_id,
            moved=timeutil.local_year_bounds(filters.moved),
            spent=timeutil.year_days(filters.moved),
        )
    rubrics = {
        kind: due
        for kind, due in session.execute(
            select(EvaluationRubric.kind, EvaluationRubric.due_on).where(
                EvaluationRubric.edition_id == edition_id, EvaluationRubric.due_on.is_not(None)
            )
        )
    }
    handed_in: dict[int, set[str]] = defaultdict(set)
    for grant_id, kind in session.execute(
        select(GrantReport.grant_id, GrantReport.kind)
        .join(Grant, Grant.id == GrantReport.grant_id)
        .where(Grant.edition_id == edition_id)
        .distinct()
    ):
        handed_in[grant_id].add(kind)
    communities = [
        (cid, name)
        for cid, name in session.execute(
            select(Community.id, Community.name)
            .where(Community.id.in_(select(Proposal.community_id).join(Grant).where(Grant.edition_id == edition_id)))
            .order_by(Community.name)
        )
    ]
    today = timeutil.today()
    rows: list[Row] = []
    totals = Totals()
    for grant_id, title, community, status, agreement_no, approved_fen, _cid in found:
        late = []
        if status not in (GrantStatus.SETTLED.value, GrantStatus.TERMINATED.value, GrantStatus.APPROVED.value):
            late = [str(REPORT_KIND_LABELS[k]()) for k in late_kinds(rubrics, handed_in[grant_id], today)]
        if filters.late_only and not late:
            continue
        money = figures[grant_id]
        if filters.moved is not None and not (money.paid_fen or money.refunded_fen or money.accepted_expenses_fen):
            continue  # no money of this grant moved that year
        row = Row(
            grant_id=grant_id,
            title=title,
            community=community or "",
            status=status,
            agreement_no=agreement_no,
            approved_fen=approved_fen,
            paid_fen=money.paid_fen,  # less payments the bank sent back; refunds show in the balance
            spent_fen=money.accepted_expenses_fen,
            balance_fen=money.unspent_fen,
            refunded_fen=money.refunded_fen,
            late=late,
        )
        rows.append(row)
        totals.count += 1
        totals.approved_fen += row.approved_fen
        totals.paid_fen += row.paid_fen
        totals.spent_fen += row.spent_fen
        totals.balance_fen += row.balance_fen
        totals.refunded_fen += row.refunded_fen
        totals.late += bool(late)
    page, pages, offset = paging.locate(len(rows), filters.page, PER_PAGE)
    shown = rows[offset : offset + PER_PAGE]
    _next_tranches(session, shown)
    return Overview(shown, totals, page, pages, communities)


def _next_tranches(session: Session, rows: list[Row]) -> None:
    """Fill in each row's next unpaid tranche and what it waits for (three queries for the page)."""
    ids = [row.grant_id for row in rows]
    tranches: dict[int, list] = defaultdict(list)
    disbursements: dict[int, list] = defaultdict(list)
    passed: dict[tuple[int, str], bool] = {}
    if ids:
        for t in session.execute(
            select(Tranche.grant_id, Tranche.id, Tranche.name, Tranche.amount_fen, Tranche.condition)
            .where(Tranche.grant_id.in_(ids))
            .order_by(Tranche.grant_id, Tranche.position)
        ):
            tranches[t.grant_id].append(t)
        for d in session.execute(
            select(Disbursement.tranche_id, Disbursement.status)
            .where(Disbursement.grant_id.in_(ids))
            .order_by(Disbursement.id)
        ):
            disbursements[d.tranche_id].append(d.status)
        for grant_id, kind, ok in session.execute(
            select(GrantEvaluation.grant_id, GrantEvaluation.kind, GrantEvaluation.passed)
            .where(GrantEvaluation.grant_id.in_(ids))
            .order_by(GrantEvaluation.evaluated_at, GrantEvaluation.id)
        ):
            passed[(grant_id, kind)] = ok  # the latest evaluation of a kind decides
    for row in rows:
        for t in tranches[row.grant_id]:
            statuses = disbursements[t.id]
            if "paid" in statuses:
                continue
            row.next_tranche = f"{t.name} {balances.yuan(t.amount_fen)}"
            row.next_step = next_step(row.status, t.condition, statuses, passed, row.grant_id)
            row.waits_for = WAITING_LABELS[row.next_step]()
            break
        else:
            if row.status == GrantStatus.APPROVED.value:
                row.waits_for = _("待签订资助协议")


REQUEST = "request"  # the next tranche may be requested now
WAITING_LABELS = {
    "payment": lambda: _("待财务登记付款"),
    "approval": lambda: _("待财务审批"),
    "suspended": lambda: _("已停拨"),
    "closed": lambda: _("不再拨付"),
    "midterm": lambda: _("待中期评估通过"),
    "final": lambda: _("待结项评估通过"),
    REQUEST: lambda: _("可申请拨付"),
}


def next_step(status: str, condition: str, statuses: list[str], passed: dict, grant_id: int) -> str:
    """What the next tranche waits for, as a key of WAITING_LABELS (pure)."""
    if "approved" in statuses:
        return "payment"
    if "requested" in statuses:
        return "approval"
    if status == GrantStatus.SUSPENDED.value:
        return "suspended"
    if status in (GrantStatus.SETTLED.value, GrantStatus.TERMINATED.value):
        return "closed"
    if condition == "after_midterm_passed" and not passed.get((grant_id, "midterm")):
        return "midterm"
    if condition == "after_final_passed" and not passed.get((grant_id, "final")):
        return "final"
    return REQUEST


def waits_for(status: str, condition: str, statuses: list[str], passed: dict, grant_id: int) -> str:
    """What the next tranche waits for, in words (pure)."""
    return WAITING_LABELS[next_step(status, condition, statuses, passed, grant_id)]()


def ready_to_request(session: Session, district_ids: set[int]) -> list[Row]:
    """The districts' grants whose next tranche may be requested now, with its name and amount:
    four queries (the payable grants, then their tranches, disbursements and evaluations)."""
    if not district_ids:
        return []
    rows = [
        Row(grant_id, title, "", status, "", approved_fen)
        for grant_id, title, status, approved_fen in session.execute(
            select(Grant.id, Proposal.title, Grant.status, Grant.approved_fen)
            .join(Proposal, Proposal.id == Grant.proposal_id)
            .join(Edition, Edition.id == Grant.edition_id)
            .where(Edition.district_id.in_(district_ids), Grant.status.in_(service.PAYABLE))
            .order_by(Grant.id)
        )
    ]
    _next_tranches(session, rows)
    return [row for row in rows if row.next_step == REQUEST]
