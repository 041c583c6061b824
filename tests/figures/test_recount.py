"""Every figure of every kind of scope equals a recount with plain SQL written apart from the service
(tests/figures/recount.py), on a generated district; and the rows that must not count change nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from grants.figures import queries
from grants.figures.scope import Scope
from grants.funding.models import Expense, Grant
from grants.incubation.models import Activity
from grants.proposals.models import Proposal
from tests.figures.recount import Recount

SCOPES = [
    "district",
    "street",
    "community",
    "district-edition-0",
    "district-edition-1",
    "district-edition-2",
    "district-year-2024",
    "district-year-2025",
    "district-year-2026",
    "street-edition-1",
    "community-year-2025",
    "street-year-2026",
]


def _scope(made, name: str) -> tuple[Scope, dict]:
    place, *period = name.split("-")
    street, community = made.streets[0], made.communities[1]
    kwargs, sql = {}, {"district_id": made.district.id}
    if place in ("street", "community"):
        kwargs["street"], sql["street_id"] = street, street.id
    if place == "community":
        kwargs["community"], sql["community_id"] = community, community.id
    if period and period[0] == "edition":
        edition = made.editions[int(period[1])]
        kwargs["edition"], sql["edition_id"] = edition, edition.id
    if period and period[0] == "year":
        kwargs["year"] = sql["year"] = int(period[1])
    return Scope(made.district, **kwargs), sql


def _figures_as_numbers(figures) -> dict:
    money = figures.money
    return {
        "editions_held": figures.editions_held,
        "proposals": figures.proposals,
        "funded": figures.funded,
        "approved": money.approved_fen,
        "disbursed": money.disbursed_fen,
        "spent": money.spent_fen,
        "returned": money.returned_fen,
        "activities": figures.activities,
        "served": figures.served,
        "volunteer_halves": figures.volunteer_halves,
        "groups_by_kind": {k: n for k, n in figures.groups_by_kind.items() if n},
        "groups_by_stars": {k: n for k, n in figures.groups_by_stars.items() if n},
        "proposals_by_edition": {r.id: r.proposals for r in figures.editions if r.proposals},
        "proposals_by_community": {r.id: r.proposals for r in figures.communities if r.proposals},
        "activities_by_community": {r.id: r.activities for r in figures.communities if r.activities},
        "activities_by_month": {f"{m.year}-{m.month:02d}": m.activities for m in figures.months if m.activities},
    }


def _recounted(session, sql: dict) -> dict:
    recount = Recount(session, **sql)
    funded, approved = recount.funded()
    activities, served = recount.activities()
    return {
        "editions_held": recount.editions_held(),
        "proposals": recount.proposals(),
        "funded": funded,
        "approved": approved,
        "disbursed": recount.disbursed(),
        "spent": recount.spent(),
        "returned": recount.returned(),
        "activities": activities,
        "served": served,
        "volunteer_halves": recount.volunteer_halves(),
        "groups_by_kind": recount.groups_by_kind(),
        "groups_by_stars": recount.groups_by_stars(),
        "proposals_by_edition": recount.proposals_by_edition(),
        "proposals_by_community": recount.proposals_by_community(),
        "activities_by_community": recount.activities_by_community(),
        "activities_by_month": recount.activities_by_month(),
    }


@pytest.fixture
def district_records(generated, chained):
    return chained("district_records", lambda: generated(seed=15, proposals=16, extra_groups=5, activities=6))


@pytest.mark.parametrize("name", SCOPES)
def test_every_figure_equals_an_independent_recount(session, district_records, name):
    scope, sql = _scope(district_records, name)
    counted = _figures_as_numbers(queries.figures(session, scope))
    assert counted == _recounted(session, sql)


def test_the_generated_district_exercises_what_the_figures_must_tell_apart(session, district_records):
    """The data is rich enough for the recount to mean something in every scope."""
    figures = queries.figures(session, Scope(district_records.district))
    assert figures.editions_held == 3 and figures.funded > 3 and figures.activities > 10
    assert figures.money.returned_fen > 0 and figures.money.spent_fen > 0 and figures.volunteer_halves > 0
    assert {5, 4, 3} & {level for level, n in figures.groups_by_stars.items() if n}
    statuses = {p.status for p in session.query(Proposal)}
    assert {"withdrawn", "draft", "returned", "ineligible"} <= statuses
    assert {e.status for e in session.query(Expense)} == {"accepted", "pending", "rejected"}
    assert {a.status for a in session.query(Activity)} == {"confirmed", "pending", "returned"}
    by_year = {y: queries.figures(session, Scope(district_records.district, year=y)) for y in (2024, 2025, 2026)}
    assert sum(f.activities for f in by_year.values()) == figures.activities  # every activity in one year
    assert sum(f.proposals for f in by_year.values()) == figures.proposals


def _snapshot(session, made) -> list[dict]:
    scopes = [_scope(made, name)[0] for name in SCOPES]
    return [_figures_as_numbers(queries.figures(session, scope)) for scope in scopes]


def test_an_unconfirmed_activity_a_rejected_expense_and_a_withdrawn_proposal_change_no_figure(
    session, district_records
):
    made = district_records
    before = _snapshot(session, made)
    group = next(g for g in made.groups if g.origin_grant_id)
    grant = session.get(Grant, group.origin_grant_id)
    edition = session.get(type(made.editions[0]), grant.edition_id)
    when = datetime(2025, 6, 1, 2, tzinfo=UTC)
    for status in ("pending", "returned"):
        session.add(
            Activity(
                group_id=group.id,
                title="未核实",
                kind="service",
                starts_at=when,
                ends_at=when.replace(hour=4),
                place="活动室",
                served=500,
                participants=9,
                status=status,
            )
        )
    item_id = session.scalar(
        __import__("sqlalchemy")
        .select(__import__("grants.funding.models", fromlist=["BudgetItem"]).BudgetItem.id)
        .where(__import__("grants.funding.models", fromlist=["BudgetItem"]).BudgetItem.grant_id == grant.id)
        .limit(1)
    )
    session.add(
        Expense(
            grant_id=grant.id,
            edition_id=grant.edition_id,
            item_id=item_id,
            spent_on=date(2025, 6, 1),
            payee="供应商",
            amount_fen=77_777,
            purpose="不予核销",
            invoice_no="REJECTED-1",
            status="rejected",
            recorded_by_id=made.community_staff[made.communities[0].id].id,
        )
    )
    session.add(
        Proposal(
            edition_id=edition.id,
            applicant_id=made.community_staff[made.communities[0].id].id,
            community_id=made.communities[1].id,
            status="withdrawn",
            title="撤回的申报",
            version=1,
            submitted_at=when,
            withdrawn_at=when,
        )
    )
    session.commit()
    assert _snapshot(session, made) == before
