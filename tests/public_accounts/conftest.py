"""A generated edition whose results are final, with money moved: grants in a final list,
disbursements (some bounced, some corrected), refunds, and expenses accepted, pending and rejected
against lines of several budget categories. Deterministic (a fixed seed)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from grants import timeutil
from grants.editions import service as edition_service
from grants.funding import ledger
from grants.funding.models import BudgetItem, Expense, Grant
from grants.proposals import service as proposal_service
from grants.results.models import Publication, PublicationEntry

ACCOUNT_NO = "6228480012345678"
PAYEE = "绿意花卉店"


@dataclass
class Funded:
    edition: object
    publication: Publication
    grants: list[Grant]
    invoices: list[str]
    proposals: list


def _publication(session, edition, status: str) -> Publication:
    rnd = edition_service.rounds_of(session, edition.id)[-1]
    opened = timeutil.now() - timedelta(days=30)
    publication = Publication(
        edition_id=edition.id,
        round_id=rnd.id,
        number=1,
        final=True,
        status=status,
        title="获奖项目公示",
        opens_at=opened,
        closes_at=opened + timedelta(days=7),
        finalized_at=opened + timedelta(days=8) if status == "final" else None,
    )
    session.add(publication)
    session.flush()
    return publication


def _expense(session, grant, item, amount, status, actor, invoice) -> Expense:
    decided = status != "pending"
    expense = Expense(
        grant_id=grant.id,
        edition_id=grant.edition_id,
        item_id=item.id,
        spent_on=date(2026, 11, 28),
        payee=PAYEE,
        amount_fen=amount,
        purpose="购买物资",
        invoice_no=invoice,
        status=status,
        recorded_by_id=actor.id,
        reviewed_by_id=actor.id if decided else None,
        reviewed_at=timeutil.now() if decided else None,
    )
    session.add(expense)
    return expense


def _move_money(session, rng, grant, items, actor, invoices) -> None:
    paid = ledger.record(
        session, grant=grant, kind="disbursement", amount_fen=grant.approved_fen // 2, ref="PZ", actor=actor
    )
    if rng.random() < 0.3:
        ledger.record(session, grant=grant, kind="payment_returned", amount_fen=-paid.amount_fen, ref="TH", actor=actor)
        ledger.record(session, grant=grant, kind="disbursement", amount_fen=paid.amount_fen, ref="PZ2", actor=actor)
    if rng.random() < 0.2:
        wrong = ledger.record(session, grant=grant, kind="disbursement", amount_fen=999, ref="ERR", actor=actor)
        ledger.reverse(session, entry=wrong, actor=actor)
    for _ in range(rng.randint(0, 4)):
        invoice = f"FP{len(invoices) + 1:08d}"
        invoices.append(invoice)
        status = rng.choice(["accepted", "accepted", "pending", "rejected"])
        _expense(session, grant, rng.choice(items), rng.randint(100, 40_000), status, actor, invoice)
    if rng.random() < 0.4:
        refund = ledger.record(
            session, grant=grant, kind="refund", amount_fen=-rng.randint(100, 5_000), ref="TK", actor=actor
        )
        if rng.random() < 0.3:
            ledger.reverse(session, entry=refund, actor=actor)


@pytest.fixture
def funded(session, make, world):
    """funded(n, status="final", seed=…): an edition of n funded projects with their money."""

    def _make(n: int, *, status: str = "final", seed: int = 15, money: bool = True) -> Funded:
        rng = random.Random(seed)
        edition = make.edition(world.district_a, number=100 + seed, name=f"第{seed}届")
        categories = proposal_service.ensure_budget_categories(session, edition)
        publication = _publication(session, edition, status)
        grants, invoices, proposals = [], [], []
        for i in range(n):
            proposal = make.proposal(edition, title=f"项目{i + 1}号", community=world.community_a)
            proposals.append(proposal)
            approved = rng.randint(100, 500) * 1_000
            session.add(
                PublicationEntry(
                    publication_id=publication.id,
                    proposal_id=proposal.id,
                    position=i + 1,
                    rank=i + 1,
                    title=f"项目{i + 1}号",
                    applicant="张*明",
                    community="甲一社区",
                    street="甲街道",
                    category="环境卫生",
                    team_size=3,
                    tier="一等奖",
                    approved_fen=approved,
                )
            )
            grant = Grant(
                edition_id=edition.id,
                proposal_id=proposal.id,
                publication_id=publication.id,
                tier="一等奖",
                approved_fen=approved,
                receiving_unit="甲一社区居民委员会",
                account_name="甲一社区居民委员会",
                account_no=ACCOUNT_NO,
            )
            session.add(grant)
            session.flush()
            items = [
                BudgetItem(grant_id=grant.id, position=p, category_id=c.id, item=f"物品{p}")
                for p, c in enumerate(categories[:3], start=1)
            ]
            session.add_all(items)
            session.flush()
            if money:
                _move_money(session, rng, grant, items, world.organizer_a, invoices)
            grants.append(grant)
        session.commit()
        return Funded(edition, publication, grants, invoices, proposals)

    return _make
