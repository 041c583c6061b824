"""A generated route × role table: every route of the funding blueprint, GET and POST, with the ids
of real objects of team A's grant, is refused to everyone who has no business with that grant.

The routes come from ``app.url_map`` (every rule whose endpoint starts with ``funding.``), so a
new route joins the table by itself; its URL arguments are filled from ``ARGUMENTS`` below, and
a route with an argument the table does not know fails with a message naming it (teach the
table, do not skip the route). POSTs carry a valid CSRF token, so a refusal is the policy's, not
the CSRF check's. After all the refused requests the funding tables and the audit log have
exactly the rows they had before.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import text

from grants import timeutil
from grants.auth.models import Role
from grants.funding import (
    agreement,
    budget_changes,
    disbursements,
    evaluations,
    expenses,
    exports,
    reports,
    rubrics,
    service,
)
from grants.funding.budget_changes import ProposedLine
from grants.funding.models import BudgetItem, Grant

APPROVED = 120_000  # the factory proposal's budget: 花盆和土 ¥50 × 20 + 宣传海报 ¥20 × 10
MARKER = "樱花树下共建花园"  # team A's project title: no refused page may show it

# Row counts compared before and after the refused requests.
TABLES = (
    "grants",
    "tranche_plan_parts",
    "tranches",
    "disbursements",
    "ledger_entries",
    "grant_budget_items",
    "grant_budget_versions",
    "grant_budget_version_lines",
    "grant_budget_changes",
    "expenses",
    "grant_reports",
    "grant_report_photos",
    "evaluation_indicators",
    "evaluation_rubrics",
    "grant_evaluations",
    "grant_account_changes",
    "attachments",
    "audit_entries",
    "document_jobs",
)

# URL argument → the object of team A's grant it names. Keys are (endpoint, argument) for an
# argument whose meaning depends on the route, else the argument's name.
ARGUMENTS = {
    "grant_id": lambda o: o["grant"].id,
    "edition_id": lambda o: o["grant"].edition_id,
    "tranche_id": lambda o: o["tranche"].id,
    "disbursement_id": lambda o: o["disbursement"].id,
    "expense_id": lambda o: o["expense"].id,
    "report_id": lambda o: o["report"].id,
    "change_id": lambda o: o["budget_change"].id,
    ("funding.account_change", "change_id"): lambda o: o["account_change"].id,
    ("funding.report_photo", "attachment_id"): lambda o: o["photo"].id,
    "kind": lambda o: "expenses",
    "fmt": lambda o: "xlsx",
    "export_job_id": lambda o: o["export_job"].id,
}

NO_OBJECT: set[str] = set()  # URLs naming no object (the finance queue): they may serve the user's own work

PEOPLE = (
    "another team's lead",
    "another community's staff (same district)",
    "another district's community staff",
    "a judge",
    "another district's organizer",
    "another district's finance",
)


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def team_a(app, session, world, make, make_grant, sign_grant, kept):
    """Team A's grant with one object of each kind, every one made through the services."""

    def build():
        upload_dir = Path(current_app.config["UPLOAD_DIR"])
        upload_dir.mkdir(parents=True, exist_ok=True)
        grant = make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a)
        grant.proposal.title = MARKER
        sign_grant(grant)
        folder_scan = agreement.agreement_scan(session, grant)
        (upload_dir / folder_scan.stored_name).write_bytes(b"\x89PNG scan")
        first, second = service.tranches_of(session, grant.id)
        paid = disbursements.request(session, actor=world.organizer_a, tranche=first)
        disbursements.approve(session, actor=world.finance_a, disbursement=paid)
        disbursements.record_payment(
            session, actor=world.finance_a, disbursement=paid, paid_on=timeutil.today(), voucher_ref="PZ-A-1"
        )
        session.commit()
        lead = grant.proposal.applicant
        items = session.query(BudgetItem).filter_by(grant_id=grant.id).order_by(BudgetItem.position).all()
        expense = expenses.record_expense(
            session,
            actor=lead,
            grant=grant,
            data=expenses.ExpenseData(
                spent_on=date(2026, 11, 25),
                item_id=items[0].id,
                payee="花鸟市场",
                amount_fen=30_000,
                purpose="花盆",
                invoice_no="26110000A001",
                receipt=expenses.Upload("发票.jpg", _photo(), current_app.config["ATTACHMENT_MAX_BYTES"]),
            ),
            upload_dir=upload_dir,
        )
        change = budget_changes.request_change(
            session,
            actor=lead,
            grant=grant,
            lines=[ProposedLine(items[0].id, None, "", 4_000, 20), ProposedLine(items[1].id, None, "", 2_000, 20)],
            reason="海报需求增加",
        )
        report = reports.submit_report(
            session,
            actor=lead,
            grant=grant,
            kind="midterm",
            summary="开展了三次楼道花园共建活动，居民踊跃参加。",
            beneficiaries="120",
            activities_count="3",
            photos=[reports.Upload("活动.jpg", _photo(), current_app.config["ATTACHMENT_MAX_BYTES"])],
            upload_dir=upload_dir,
        )
        rubric = rubrics.ensure_rubric(session, grant.edition_id, "midterm")
        evaluation = evaluations.evaluate_report(
            session,
            actor=world.organizer_a,
            report=report,
            scores={i.id: str(i.max_points) for i in rubric.indicators},
            comment="",
        )
        account_change = agreement.request_account_change(
            session,
            actor=world.organizer_a,
            grant=grant,
            receiving_unit="新单位",
            account_name="新单位",
            account_bank="新银行",
            account_no="1234567890",
            reason="更换",
        )
        export_job = exports.request_export(
            session, actor=world.organizer_a, edition=grant.edition, kind="expenses", fmt="xlsx", total=1
        )
        session.commit()
        photo = reports.photos_of(session, [report.id])[report.id][0]
        return {
            "grant": grant,
            "tranche": second,
            "disbursement": paid,
            "expense": expense,
            "receipt": expenses.receipt_of(session, expense),
            "budget_change": change,
            "report": report,
            "photo": photo,
            "evaluation": evaluation,
            "account_change": account_change,
            "export_job": export_job,
        }

    made = kept("funding.access_table.team_a", build)
    assert made["grant"].status == "in_progress" and made["evaluation"].passed
    return made


@pytest.fixture
def people(session, world, make, make_grant):
    """The people of the table: each has a role somewhere, none in team A's grant."""
    other = make_grant(world.edition_a, approved_fen=100_000, community=world.community_a)
    return {
        "another team's lead": other.proposal.applicant,
        "another community's staff (same district)": make.user(
            "staff_a2", community=world.community_a2, roles=[(Role.COMMUNITY_STAFF, world.community_a2)]
        ),
        "another district's community staff": world.staff_b,
        "a judge": world.judge_a,
        "another district's organizer": world.organizer_b,
        "another district's finance": make.user("finance_b", roles=[(Role.FINANCE, world.district_b)]),
    }


def funding_routes(app, objects):
    """(endpoint, method, url) for every funding route and method, with team A's object ids."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if not rule.endpoint.startswith("funding."):
            continue
        values = {}
        for argument in sorted(rule.arguments):
            build = ARGUMENTS.get((rule.endpoint, argument), ARGUMENTS.get(argument))
            if build is None:
                pytest.fail(
                    f"route {rule.endpoint} ({rule.rule}): the access table does not know how to build "
                    f"<{argument}>; teach ARGUMENTS in tests/funding/test_access_table.py",
                    pytrace=False,
                )
            values[argument] = build(objects)
        url = rule.build(values, append_unknown=False)[1]
        found.extend((rule.endpoint, method, url) for method in ("GET", "POST") if method in rule.methods)
        if not rule.arguments:
            NO_OBJECT.add(url)
    return found


def row_counts(session) -> dict[str, int]:
    session.commit()
    return {t: session.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in TABLES}  # noqa: S608


def state_of(session, objects) -> tuple:
    grant = session.get(Grant, objects["grant"].id)
    session.refresh(grant)
    return (grant.status, grant.account_no, grant.receiving_unit)


def call(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, data={})


def test_the_table_covers_every_funding_route(app, team_a):
    routes = funding_routes(app, team_a)
    endpoints = {endpoint for endpoint, _method, _url in routes}
    assert len(endpoints) == len([r for r in app.url_map.iter_rules() if r.endpoint.startswith("funding.")])
    assert {"funding.grant", "funding.pay_disbursement", "funding.expense_receipt", "funding.report_photo"} <= endpoints
    assert sum(1 for _e, method, _u in routes if method == "POST") >= 20


@pytest.mark.parametrize("who", PEOPLE)
def test_nobody_outside_the_grant_gets_through(app, session, client, login_as, team_a, people, who):
    before, state = row_counts(session), state_of(session, team_a)
    login_as(people[who])
    let_through = []
    for endpoint, method, url in funding_routes(app, team_a):
        response = call(client, method, url)
        if response.status_code in (403, 404):
            continue
        # A route naming no object (the finance queue) may show the person their own work, never team A's.
        if url in NO_OBJECT and response.status_code == 200 and MARKER not in response.get_data(as_text=True):
            continue
        let_through.append(f"{method} {url} ({endpoint}) → {response.status_code}")
    assert not let_through, f"{who} was not refused:\n" + "\n".join(let_through)
    assert row_counts(session) == before, f"{who}: refused requests changed the database"
    assert state_of(session, team_a) == state


def test_anonymous_is_sent_to_the_login_page(app, session, client, team_a):
    before, state = row_counts(session), state_of(session, team_a)
    let_through = []
    for endpoint, method, url in funding_routes(app, team_a):
        response = call(client, method, url)
        if response.status_code in (401, 403, 404):
            continue
        if response.status_code == 302 and "/login" in response.headers.get("Location", ""):
            continue
        let_through.append(f"{method} {url} ({endpoint}) → {response.status_code}")
    assert not let_through, "anonymous was not refused:\n" + "\n".join(let_through)
    assert row_counts(session) == before
    assert state_of(session, team_a) == state


def test_the_people_of_the_grant_do_get_through(app, session, client, login_as, team_a, world):
    """The table's refusals are the policy's: the same URLs open for the people of the grant."""
    grant = team_a["grant"]
    for user, url in (
        (grant.proposal.applicant, f"/funding/grants/{grant.id}"),
        (world.staff_a, f"/funding/expenses/{team_a['expense'].id}/receipt"),
        (world.organizer_a, f"/funding/reports/{team_a['report'].id}"),
        (world.finance_a, f"/funding/grants/{grant.id}/account-changes/{team_a['account_change'].id}"),
        (world.organizer_a, f"/funding/reports/{team_a['report'].id}/photos/{team_a['photo'].id}"),
    ):
        login_as(user)
        response = client.get(url)
        assert response.status_code == 200, (user.login, url, response.status_code)


def test_a_route_the_table_cannot_build_fails_naming_it(app, team_a):
    """A new route with an argument nobody taught the table is a failure, not a silent skip."""
    from werkzeug.routing import Rule

    app.url_map.add(Rule("/funding/widgets/<int:widget_id>", endpoint="funding.widget"))
    with pytest.raises(pytest.fail.Exception, match=r"funding\.widget .*<widget_id>"):
        funding_routes(app, team_a)
