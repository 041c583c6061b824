"""Public accounts (资金使用公开, issue 15 item 3): the figures are the records', recounted here with
plain SQL written independently of grants/funding/balances.py; only accepted expenses count; only
editions whose results are final have accounts."""

from __future__ import annotations

from sqlalchemy import text

from grants.db import UTCDateTime
from grants.funding import public_accounts
from grants.funding.models import Expense
from tests.public_accounts.conftest import _expense

# Money per grant, from the tables: a correction counts under the kind of the entry it reverses.
RECOUNT = text(
    """
    SELECT g.id, g.approved_fen,
      COALESCE((SELECT SUM(e.amount_fen) FROM ledger_entries e
                LEFT JOIN ledger_entries o ON o.id = e.reverses_id
                WHERE e.grant_id = g.id AND COALESCE(o.kind, e.kind) <> 'refund'), 0),
      COALESCE((SELECT -SUM(e.amount_fen) FROM ledger_entries e
                LEFT JOIN ledger_entries o ON o.id = e.reverses_id
                WHERE e.grant_id = g.id AND COALESCE(o.kind, e.kind) = 'refund'), 0),
      COALESCE((SELECT SUM(x.amount_fen) FROM expenses x WHERE x.grant_id = g.id AND x.status = 'accepted'), 0)
    FROM grants g WHERE g.edition_id = :edition
    """
)
BY_CATEGORY = text(
    """
    SELECT x.grant_id, c.name, SUM(x.amount_fen) FROM expenses x
    JOIN grant_budget_items i ON i.id = x.item_id JOIN budget_categories c ON c.id = i.category_id
    WHERE x.status = 'accepted' AND x.grant_id IN (SELECT id FROM grants WHERE edition_id = :edition)
    GROUP BY x.grant_id, c.name
    """
)
LAST_CHANGE = text(
    """
    SELECT MAX(t) AS last FROM (
      SELECT e.at AS t FROM ledger_entries e JOIN grants g ON g.id = e.grant_id WHERE g.edition_id = :edition
      UNION ALL
      SELECT x.reviewed_at AS t FROM expenses x JOIN grants g ON g.id = x.grant_id
      WHERE g.edition_id = :edition AND x.status = 'accepted'
    ) AS changes
    """
).columns(last=UTCDateTime)


def recount(session, edition_id: int) -> dict:
    rows = session.execute(RECOUNT, {"edition": edition_id}).all()
    projects = {gid: [int(a), int(d), int(s), int(r)] for gid, a, d, r, s in rows}
    categories: dict[int, dict[str, int]] = {}
    for gid, name, total in session.execute(BY_CATEGORY, {"edition": edition_id}):
        categories.setdefault(gid, {})[name] = int(total)
    last = session.execute(LAST_CHANGE, {"edition": edition_id}).scalar()
    return {"projects": projects, "categories": categories, "last": last}


def figures(accounts) -> dict:
    return {
        "projects": {
            p.grant_id: [p.approved_fen, p.disbursed_fen, p.spent_fen, p.returned_fen] for p in accounts.projects
        },
        "categories": {p.grant_id: p.spent_by_category for p in accounts.projects if p.spent_by_category},
    }


def test_every_figure_equals_an_independent_recount_of_the_tables(session, funded):
    books = funded(12)
    accounts = public_accounts.edition_accounts(session, books.edition.id)
    expected = recount(session, books.edition.id)
    assert figures(accounts) == {"projects": expected["projects"], "categories": expected["categories"]}
    # the recount sees real variety: refunds, several categories, unspent money
    assert any(p.returned_fen for p in accounts.projects) and len(accounts.categories) >= 2
    totals = accounts.totals
    assert [totals.approved_fen, totals.disbursed_fen, totals.spent_fen, totals.returned_fen] == [
        sum(column) for column in zip(*expected["projects"].values(), strict=True)
    ]
    assert totals.held_fen == totals.disbursed_fen - totals.returned_fen - totals.spent_fen
    assert sum(totals.spent_by_category.values()) == totals.spent_fen
    assert accounts.last_change is not None and expected["last"] == accounts.last_change
    assert [p.position for p in accounts.projects] == list(range(1, 13))


def test_a_rejected_or_pending_expense_changes_no_figure(session, funded, world):
    books = funded(3)
    before = public_accounts.edition_accounts(session, books.edition.id)
    grant = books.grants[0]
    item_id = session.execute(text("SELECT id FROM grant_budget_items WHERE grant_id = :g"), {"g": grant.id}).first()[0]
    from grants.funding.models import BudgetItem

    item = session.get(BudgetItem, item_id)
    _expense(session, grant, item, 77_700, "pending", world.organizer_a, "PENDING01")
    _expense(session, grant, item, 88_800, "rejected", world.organizer_a, "REJECT01")
    session.commit()
    after = public_accounts.edition_accounts(session, books.edition.id)
    assert figures(after) == figures(before)
    assert after.totals == before.totals and after.last_change == before.last_change
    assert session.query(Expense).filter(Expense.grant_id == grant.id, Expense.status != "accepted").count() >= 2


def test_an_edition_whose_results_are_not_final_has_no_accounts(session, funded):
    books = funded(2, status="published")
    assert public_accounts.edition_accounts(session, books.edition.id) is None
    assert public_accounts.edition_accounts(session, 999_999) is None


def test_an_edition_without_money_moved_shows_zeros_and_no_last_change(session, funded):
    books = funded(2, money=False)
    accounts = public_accounts.edition_accounts(session, books.edition.id)
    assert [(p.disbursed_fen, p.spent_fen, p.returned_fen, p.held_fen) for p in accounts.projects] == [(0, 0, 0, 0)] * 2
    assert accounts.last_change is None and accounts.categories == []
    assert accounts.totals.approved_fen == sum(g.approved_fen for g in books.grants)
