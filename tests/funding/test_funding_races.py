"""The funding routes tests/integrity/test_races.py, test_agreement_races.py and
test_expense_races.py do not cover, under the same attack: 50 concurrent identical POSTs (each
racer its own browser, session and CSRF token; uploads a fresh file per request), on the database
the suite runs on. For each route the rule holds exactly once, the audit log gains exactly the
expected entries, no answer is a 500; a summary line per route goes to test-artifacts/races.txt."""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from flask import url_for
from sqlalchemy import func, select

from grants.funding import plan, rubrics
from grants.funding.models import (
    BudgetChange,
    EvaluationIndicator,
    Expense,
    Grant,
    GrantEvaluation,
    GrantReport,
    GrantReportPhoto,
    LedgerEntry,
    TranchePlanPart,
)
from grants.reports.models import DocumentJob
from tests.funding.reporting import ask_for_budget_change, evaluate, lead, pay, photo_with_exif, spend, start, submit
from tests.integrity.test_races import BACKEND, RACERS, _audit_actions, _client_for


@dataclass
class Race:
    """One route under attack: the form each racer posts (a callable: a fresh upload per
    request), and what must be true afterwards."""

    endpoint: str
    values: dict
    data: Callable[[], dict]
    user: object
    # check(session, statuses) asserts the rule held; returns the audit entries expected (action → n)
    check: Callable[[object, Counter], dict[str, int]]


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _form(**values) -> Callable[[], dict]:
    return lambda: dict(values)


# --- arrangements -----------------------------------------------------------------------------


def _running(request, session, world) -> Grant:
    """A signed grant of ¥10,000, in progress: ¥6,000 paid, ¥5,000 spent and accepted."""
    grant = request.getfixturevalue("make_grant")(world.edition_a, approved_fen=1_000_000, community=world.community_a)
    request.getfixturevalue("sign_grant")(grant)
    start(session, grant, world)
    pay(session, grant, world, 600_000)
    spend(session, grant, world, 500_000)
    return grant


def _completing(request, session, world) -> Grant:
    grant = _running(request, session, world)
    evaluate(session, submit(session, grant), world, passed=True)
    evaluate(session, submit(session, grant, kind="final"), world, passed=True)
    assert grant.status == "completing"
    return grant


def _status_race(target: str, action: str, arrange_grant: Callable, reason: str = "中期检查发现问题"):
    def arrange(request, session, world, make) -> Race:
        grant = arrange_grant(request, session, world)
        grant_id = grant.id

        def check(session, statuses):
            assert session.get(Grant, grant_id).status == target
            assert statuses[302] == RACERS  # one moved it, the others told the move is not possible now
            return {action: 1}

        data = _form(target=target, reason=reason)
        return Race("funding.change_grant_status", {"grant_id": grant_id}, data, world.organizer_a, check)

    return arrange


def _suspended(request, session, world) -> Grant:
    grant = _running(request, session, world)
    from grants.funding import service

    service.change_status(session, actor=world.organizer_a, grant=grant, target="suspended", reason="暂停")
    session.commit()
    return grant


def _balanced(request, session, world) -> Grant:
    grant = _completing(request, session, world)
    from tests.funding.test_settlement import refund

    refund(session, grant, world.finance_a, amount="1000")
    return grant


def report_submit(request, session, world, make) -> Race:
    grant = _running(request, session, world)
    grant_id, upload_dir = grant.id, request.getfixturevalue("app").config["UPLOAD_DIR"]
    picture = photo_with_exif()
    from pathlib import Path

    def files() -> set[str]:
        folder = Path(upload_dir)
        return {p.name for p in folder.iterdir() if not p.name.startswith(".")} if folder.is_dir() else set()

    before = files()

    def check(session, statuses):
        reports = session.scalars(select(GrantReport).where(GrantReport.grant_id == grant_id)).all()
        assert [(r.kind, r.status) for r in reports] == [("midterm", "submitted")]
        assert _count(session, GrantReportPhoto, GrantReportPhoto.report_id == reports[0].id) == 1
        assert len(files() - before) == 1  # the losers left no photo behind
        assert statuses[302] == 1 and statuses[400] == RACERS - 1
        return {"grant_report.submit": 1}

    def data():
        return {
            "kind": "midterm",
            "summary": "开展了三次楼道花园共建活动，居民踊跃参加。",
            "beneficiaries": "120",
            "activities_count": "3",
            "photos": (io.BytesIO(picture), "活动.jpg"),
        }

    return Race("funding.new_report", {"grant_id": grant_id}, data, lead(session, grant), check)


def report_evaluation(request, session, world, make) -> Race:
    grant = _running(request, session, world)
    report = submit(session, grant)
    rubric = rubrics.ensure_rubric(session, grant.edition_id, "midterm")
    session.commit()
    report_id = report.id
    scores = {f"score-{i.id}": str(i.max_points) for i in rubric.indicators}

    def check(session, statuses):
        assert _count(session, GrantEvaluation, GrantEvaluation.report_id == report_id) == 1
        assert session.get(GrantReport, report_id).status == "evaluated"
        assert statuses[302] == RACERS
        return {"grant_evaluation.record": 1, "grant_report.evaluate": 1}

    data = _form(**scores, comment="执行良好")
    return Race("funding.evaluate_report", {"report_id": report_id}, data, world.organizer_a, check)


def report_return(request, session, world, make) -> Race:
    grant = _running(request, session, world)
    report_id = submit(session, grant).id

    def check(session, statuses):
        assert session.get(GrantReport, report_id).status == "returned"
        assert statuses[302] == RACERS
        return {"grant_report.return": 1}

    data = _form(reason="照片不清楚，请补充")
    return Race("funding.return_report", {"report_id": report_id}, data, world.organizer_a, check)


def refund(request, session, world, make) -> Race:
    grant = _completing(request, session, world)
    grant_id = grant.id

    def check(session, statuses):
        refunds = session.scalars(
            select(LedgerEntry.amount_fen).where(LedgerEntry.grant_id == grant_id, LedgerEntry.kind == "refund")
        ).all()
        assert refunds == [-100_000]  # the whole surplus, once; the others told it exceeds what is left
        assert statuses[302] == RACERS
        return {"ledger.record": 1}

    data = _form(returned_on="2026-12-01", amount="1000", ref="TH-001")
    return Race("funding.record_refund", {"grant_id": grant_id}, data, world.finance_a, check)


def _open_change(request, session, world):
    """A signed grant of ¥1,200 (the factory proposal's budget) with an open budget change."""
    grant = request.getfixturevalue("make_grant")(world.edition_a, approved_fen=120_000, community=world.community_a)
    request.getfixturevalue("sign_grant")(grant)
    return grant, ask_for_budget_change(session, grant)


def budget_change_rejection(request, session, world, make) -> Race:
    _grant, change = _open_change(request, session, world)
    change_id = change.id

    def check(session, statuses):
        assert session.get(BudgetChange, change_id).status == "rejected"
        assert statuses[302] == RACERS
        return {"budget_change.reject": 1}

    data = _form(decision="reject", note="理由不充分")
    return Race("funding.decide_budget_change", {"change_id": change_id}, data, world.organizer_a, check)


def budget_change_withdrawal(request, session, world, make) -> Race:
    grant, change = _open_change(request, session, world)
    change_id = change.id

    def check(session, statuses):
        assert session.get(BudgetChange, change_id).status == "withdrawn"
        assert statuses[302] == RACERS
        return {"budget_change.withdraw": 1}

    return Race("funding.withdraw_budget_change", {"change_id": change_id}, _form(), lead(session, grant), check)


def expense_rejection(request, session, world, make) -> Race:
    grant = _running(request, session, world)
    expense_id = spend(session, grant, world, 10_000, status="pending", invoice="AB12345678").id

    def check(session, statuses):
        assert session.get(Expense, expense_id).status == "rejected"
        assert statuses[302] == RACERS
        return {"expense.reject": 1}

    data = _form(decision="reject", reason="发票抬头不符")
    return Race("funding.review_expense", {"expense_id": expense_id}, data, world.staff_a, check)


def tranche_plan_save(request, session, world, make) -> Race:
    edition_id = world.edition_a.id

    def check(session, statuses):
        parts = plan.as_parts(plan.plan_of(session, edition_id))
        assert [(p.name, p.percent_bp, p.condition) for p in parts] == [
            ("首期", 6000, "on_signing"),
            ("尾期", 4000, "after_final_passed"),
        ]
        assert _count(session, TranchePlanPart, TranchePlanPart.edition_id == edition_id) == 2
        assert statuses[302] == RACERS  # the same plan saved again changes nothing and says saved
        return {"tranche_plan.update": 1}

    data = _form(
        **{"parts-0-name": "首期", "parts-0-percent": "60", "parts-0-condition": "on_signing", "parts-0-order": "1"},
        **{"parts-1-name": "尾期", "parts-1-percent": "40", "parts-1-condition": "after_final_passed"},
        **{"parts-1-order": "2"},
    )
    return Race("funding.tranche_plan", {"edition_id": edition_id}, data, world.organizer_a, check)


def rubric_save(request, session, world, make) -> Race:
    edition_id = world.edition_a.id

    def check(session, statuses):
        saved = rubrics.current(session, edition_id, "midterm")
        assert [(i.name, i.max_points) for i in saved.indicators] == [("执行进度", 50), ("居民参与", 50)]
        assert (saved.pass_mark, saved.due_on) == (70, date(2027, 3, 1))
        where = (EvaluationIndicator.edition_id == edition_id, EvaluationIndicator.kind == "midterm")
        assert _count(session, EvaluationIndicator, *where) == 2
        assert statuses[302] == RACERS  # the same rubric saved again changes nothing and says saved
        return {"evaluation_rubric.update": 1}

    data = _form(
        kind="midterm",
        pass_mark="70",
        due_on="2027-03-01",
        **{"ind-0-name": "执行进度", "ind-0-points": "50", "ind-1-name": "居民参与", "ind-1-points": "50"},
    )
    return Race("funding.evaluation_rubric", {"edition_id": edition_id}, data, world.organizer_a, check)


def export_job(request, session, world, make) -> Race:
    _running(request, session, world)
    app = request.getfixturevalue("app")
    request.getfixturevalue("monkeypatch").setitem(app.config, "FUNDING_EXPORT_DIRECT_ROWS", 0)
    edition_id = world.edition_a.id

    def check(session, statuses):
        jobs = session.scalars(select(DocumentJob).where(DocumentJob.edition_id == edition_id)).all()
        assert [(j.kind, j.requested_by_id) for j in jobs] == [("funding:expenses.xlsx", world.finance_a.id)]
        assert statuses[302] == RACERS  # all sent to the one job's progress page
        return {"document_job.funding_export": 1}

    values = {"edition_id": edition_id, "kind": "expenses", "fmt": "xlsx"}
    return Race("funding.edition_export", values, _form(), world.finance_a, check)


ROUTES: dict[str, Callable] = {
    "grant suspension (once)": _status_race("suspended", "grant.suspend", _running),
    "grant resumption (once)": _status_race("in_progress", "grant.resume", _suspended, "整改完成"),
    "grant termination (once)": _status_race("terminated", "grant.terminate", _running),
    "grant settlement (once)": _status_race("settled", "grant.settle", _balanced, ""),
    "report submit (one open per kind)": report_submit,
    "report evaluation (once)": report_evaluation,
    "report return (once)": report_return,
    "refund (one entry, never past surplus)": refund,
    "budget change rejection (once)": budget_change_rejection,
    "budget change withdrawal (once)": budget_change_withdrawal,
    "expense rejection (once)": expense_rejection,
    "tranche plan save (saved once)": tranche_plan_save,
    "evaluation rubric save (saved once)": rubric_save,
    "funding export job (one per request)": export_job,
}


# --- firing -------------------------------------------------------------------------------------


def _fire(app, url: str, make_data, clients) -> tuple[Counter, float]:
    barrier = threading.Barrier(len(clients))
    answers: list[object] = [None] * len(clients)

    def racer(i: int) -> None:
        data = make_data()
        barrier.wait()
        try:
            address = {"REMOTE_ADDR": f"10.79.{i // 200}.{i % 200 + 1}"}
            answers[i] = clients[i].post(url, data=data, environ_base=address).status_code
        except Exception as exc:  # reported as a failed answer below
            answers[i] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(len(clients))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Counter(answers), time.perf_counter() - started


@pytest.mark.parametrize("route", list(ROUTES), ids=list(ROUTES))
def test_fifty_identical_funding_requests_keep_the_rule(route, request, app, session, world, make, artifacts_dir):
    race = ROUTES[route](request, session, world, make)
    with app.test_request_context():
        url = url_for(race.endpoint, **race.values)
    clients = [_client_for(app, race.user) for _ in range(RACERS)]
    session.commit()
    before = _audit_actions(session)

    statuses, elapsed = _fire(app, url, race.data, clients)

    session.commit()  # a new read transaction sees what the racers wrote
    summary = f"{BACKEND:10} {route:40} {dict(sorted(statuses.items(), key=str))} in {elapsed:.2f}s"
    print(summary)
    with (artifacts_dir / "races.txt").open("a", encoding="utf-8") as out:
        out.write(summary + "\n")
    assert all(isinstance(status, int) for status in statuses), statuses
    assert statuses[500] == 0, summary
    expected = race.check(session, statuses)
    added = _audit_actions(session) - before
    assert added == Counter(expected), f"audit entries added: {dict(added)}"


# Where each state-changing funding route is raced: a new POST route fails the test below until it
# joins one of these races.
RACED_ELSEWHERE = {
    "funding.request_disbursement": "tests/integrity/test_races.py",
    "funding.approve_disbursement": "tests/integrity/test_races.py",
    "funding.reject_disbursement": "tests/integrity/test_races.py",
    "funding.pay_disbursement": "tests/integrity/test_races.py",
    "funding.fail_disbursement": "tests/integrity/test_races.py",
    "funding.return_disbursement": "tests/integrity/test_races.py",
    "funding.sign": "tests/funding/test_agreement_races.py",
    "funding.request_account_change": "tests/funding/test_agreement_races.py",
    "funding.account_change": "tests/funding/test_agreement_races.py",
    "funding.new_expense": "tests/funding/test_expense_races.py",
    "funding.review_expense": "tests/funding/test_expense_races.py (accept) and here (reject)",
    "funding.new_budget_change": "tests/funding/test_expense_races.py",
    "funding.decide_budget_change": "tests/funding/test_expense_races.py (approve) and here (reject)",
}


def test_every_state_changing_funding_route_is_raced(app):
    posted = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("funding.") and "POST" in rule.methods
    }
    raced_here = {
        "funding.change_grant_status",
        "funding.new_report",
        "funding.evaluate_report",
        "funding.return_report",
        "funding.record_refund",
        "funding.decide_budget_change",
        "funding.withdraw_budget_change",
        "funding.review_expense",
        "funding.tranche_plan",
        "funding.evaluation_rubric",
        "funding.edition_export",
    }
    assert posted == raced_here | set(RACED_ELSEWHERE), posted ^ (raced_here | set(RACED_ELSEWHERE))
