"""Public accounts (资金使用公开): how an edition's money was used, per funded project, for anyone.

The one read module behind the public page, its PDF and the open-data API. Every figure is a
balance of grants/funding/balances.py (paid, refunded, accepted expenses), so the public sees the
numbers the organizer sees. Only what the notice published leaves here: the project's title,
community, street, category and tier as frozen in the final list's entry; never a proposal, a
person, an account, an invoice, a payee. Only editions whose results are final have accounts.
A fixed number of queries whatever the number of projects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants.editions.models import Edition
from grants.funding import balances
from grants.funding.models import Expense, ExpenseStatus, Grant, LedgerEntry
from grants.results import queries
from grants.results.models import Publication, PublicationEntry
from grants.results.states import PublicationStatus


@dataclass(frozen=True)
class ProjectAccount:
    """One funded project's public figures, in fen."""

    grant_id: int
    entry_id: int  # the project's public page (the final list's entry)
    position: int
    title: str
    community: str
    street: str
    category: str
    tier: str
    approved_fen: int
    disbursed_fen: int  # paid out, less transfers the bank sent back
    spent_fen: int  # accepted expenses only
    returned_fen: int  # unspent money refunded
    spent_by_category: dict[str, int] = field(default_factory=dict)  # category name -> fen

    @property
    def held_fen(self) -> int:
        """Disbursed − returned − spent: what the receiving unit still has to account for."""
        return self.disbursed_fen - self.returned_fen - self.spent_fen


@dataclass(frozen=True)
class Totals:
    approved_fen: int
    disbursed_fen: int
    spent_fen: int
    returned_fen: int
    held_fen: int
    spent_by_category: dict[str, int]


@dataclass(frozen=True)
class EditionAccounts:
    """An edition's public accounts: its final list, the projects, the totals, the last change."""

    edition: Edition
    publication: Publication
    projects: list[ProjectAccount]
    categories: list[str]  # every category with accepted spending, in the edition's order
    totals: Totals
    last_change: datetime | None  # latest ledger entry or accepted expense decision


def final_publication(session: Session, edition_id: int) -> Publication | None:
    """The edition's final awards list when its results are final, else None."""
    current = queries.current_publication(session, edition_id)
    if current is None or not current.final or current.status != PublicationStatus.FINAL.value:
        return None
    return current


def funded_projects(session: Session, edition_id: int) -> list[tuple[Grant, PublicationEntry]]:
    """The edition's grants with their entries in the list that made them, in the list's order."""
    # The entry of the list that created the grant: what the notice published about the project.
    rows = session.execute(
        select(Grant, PublicationEntry)
        .join(
            PublicationEntry,
            (PublicationEntry.publication_id == Grant.publication_id)
            & (PublicationEntry.proposal_id == Grant.proposal_id),
        )
        .where(Grant.edition_id == edition_id)
        .order_by(PublicationEntry.position, Grant.id)
    )
    return [(grant, entry) for grant, entry in rows]


def _last_change(session: Session, edition_id: int) -> datetime | None:
    in_edition = select(Grant.id).where(Grant.edition_id == edition_id).scalar_subquery()
    ledger = session.scalar(select(func.max(LedgerEntry.at)).where(LedgerEntry.grant_id.in_(in_edition)))
    decided = session.scalar(
        select(func.max(Expense.reviewed_at)).where(
            Expense.edition_id == edition_id, Expense.status == ExpenseStatus.ACCEPTED.value
        )
    )
    return max((t for t in (ledger, decided) if t is not None), default=None)


def edition_accounts(session: Session, edition_id: int) -> EditionAccounts | None:
    """The public accounts of an edition; None unless its results are final."""
    publication = final_publication(session, edition_id)
    if publication is None:
        return None
    figures = balances.of_grants(session, edition_id=edition_id)
    by_category: dict[int, dict[str, int]] = {}
    order: dict[str, int] = {}
    for row in balances.accepted_by_category(session, edition_id=edition_id):
        by_category.setdefault(row.grant_id, {})[row.category] = row.spent_fen
        order[row.category] = row.position
    categories = sorted(order, key=lambda name: (order[name], name))
    projects = []
    for grant, entry in funded_projects(session, edition_id):
        money = figures[grant.id]
        spent = by_category.get(grant.id, {})
        projects.append(
            ProjectAccount(
                grant_id=grant.id,
                entry_id=entry.id,
                position=entry.position,
                title=entry.title,
                community=entry.community,
                street=entry.street,
                category=entry.category,
                tier=entry.tier or grant.tier,
                approved_fen=grant.approved_fen,
                disbursed_fen=money.paid_fen,
                spent_fen=money.accepted_expenses_fen,
                returned_fen=money.refunded_fen,
                spent_by_category=spent,
            )
        )
    return EditionAccounts(
        edition=publication.edition,
        publication=publication,
        projects=projects,
        categories=categories,
        totals=_totals(projects, categories),
        last_change=_last_change(session, edition_id),
    )


def _totals(projects: list[ProjectAccount], categories: list[str]) -> Totals:
    return Totals(
        approved_fen=sum(p.approved_fen for p in projects),
        disbursed_fen=sum(p.disbursed_fen for p in projects),
        spent_fen=sum(p.spent_fen for p in projects),
        returned_fen=sum(p.returned_fen for p in projects),
        held_fen=sum(p.held_fen for p in projects),
        spent_by_category={name: sum(p.spent_by_category.get(name, 0) for p in projects) for name in categories},
    )
