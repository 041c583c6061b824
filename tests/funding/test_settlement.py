"""Settlement (结项结算) and refunds (结余退回): the per-line view, finance's refund, the guards."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from grants import timeutil
from grants.audit.models import AuditEntry
from grants.errors import DomainError, NotAllowed
from grants.funding import balances, reports, service, settlement
from grants.funding.models import GrantStatus, LedgerEntry
from tests.funding.reporting import evaluate, lead, pay, spend, start, submit


@pytest.fixture
def grant(make_grant, sign_grant, world, session, kept):
    """A running grant of ¥10,000: ¥6,000 paid, ¥5,000 spent and accepted."""

    def build():
        grant = make_grant(world.edition_a, approved_fen=1_000_000, community=world.community_a)
        sign_grant(grant)
        start(session, grant, world)
        pay(session, grant, world, 600_000)
        spend(session, grant, world, 500_000)
        return grant

    return kept("funding.settlement.grant", build)


def complete(session, grant, world):
    """Mid-term passed, final report in and passed: the grant is completing."""
    evaluate(session, submit(session, grant), world, passed=True)
    evaluate(session, submit(session, grant, kind="final"), world, passed=True)
    assert grant.status == GrantStatus.COMPLETING.value
    return grant


def refund(session, grant, actor, amount="1000", **changes):
    values = dict(returned_on=date(2026, 12, 1), amount=amount, ref="TH-001")
    values.update(changes)
    settlement.record_refund(session, actor=actor, grant=grant, **values)
    session.commit()


def test_per_line_figures_share_the_money_held_and_add_up(session, grant, world):
    figures = balances.of_grant(session, grant.id)
    lines = settlement.lines(session, grant, figures)
    assert len(lines) == 2
    assert sum(line.budget_fen for line in lines) == 1_000_000
    assert sum(line.disbursed_fen for line in lines) == 600_000
    assert sum(line.accepted_fen for line in lines) == 500_000
    assert lines[0].accepted_fen == 500_000
    assert figures.unspent_fen == 100_000


def test_settling_waits_for_a_passed_final_evaluation_and_balanced_books(session, grant, world):
    evaluate(session, submit(session, grant), world, passed=True)
    submit(session, grant, kind="final")  # completing, not yet evaluated
    with pytest.raises(DomainError, match="账目未平"):
        service.change_status(session, actor=world.organizer_a, grant=grant, target="settled", reason=None)
    session.rollback()
    refund(session, grant, world.finance_a, "1000")
    with pytest.raises(DomainError, match="结项评估通过后"):
        service.change_status(session, actor=world.organizer_a, grant=grant, target="settled", reason=None)
    session.rollback()
    final = reports.reports_of(session, grant.id)[0]
    assert final.kind == "final"
    evaluate(session, final, world, passed=True)
    pending = spend(session, grant, world, 100, status="pending")
    with pytest.raises(DomainError, match="待审核的支出"):
        service.change_status(session, actor=world.organizer_a, grant=grant, target="settled", reason=None)
    session.rollback()
    pending.status = "rejected"  # test setup: the review itself is another area's service
    session.commit()
    service.change_status(session, actor=world.organizer_a, grant=grant, target="settled", reason=None)
    session.commit()
    assert grant.status == GrantStatus.SETTLED.value
    figures = balances.of_grant(session, grant.id)
    assert figures.held_fen == figures.accepted_expenses_fen == 500_000


def test_a_refund_is_a_negative_ledger_entry_recorded_by_finance_and_audited(session, grant, world):
    complete(session, grant, world)
    refund(session, grant, world.finance_a, "400.50", ref=" TH-9 ")
    entry = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "refund")).one()
    assert entry.amount_fen == -40_050 and entry.ref == "TH-9" and "2026-12-01" in entry.note
    assert entry.actor_id == world.finance_a.id
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "ledger.record").order_by(AuditEntry.id)
    ).all()[-1]
    assert audit.after["kind"] == "refund" and audit.after["amount_fen"] == -40_050
    assert balances.of_grant(session, grant.id).unspent_fen == 100_000 - 40_050


def test_a_refund_larger_than_the_surplus_or_otherwise_wrong_is_refused_and_changes_nothing(session, grant, world):
    complete(session, grant, world)
    bad = [
        (dict(amount="1000.01"), r"不能超过结余¥1,000\.00"),
        (dict(amount="0"), "必须大于零"),
        (dict(amount="abc"), "正确的金额"),
        (dict(amount="1.234"), "正确的金额"),
        (dict(ref=" "), "凭证号"),
        (dict(returned_on=timeutil.today() + timedelta(days=1)), "不能晚于今天"),
    ]
    for changes, message in bad:
        with pytest.raises(DomainError, match=message):
            refund(session, grant, world.finance_a, **changes)
        session.rollback()
    assert session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "refund")) == 0
    refund(session, grant, world.finance_a, "1000")
    with pytest.raises(DomainError, match=r"不能超过结余¥0\.00"):
        refund(session, grant, world.finance_a, "0.01")


def test_only_finance_refunds_and_only_at_completion_or_after_termination(session, grant, world):
    with pytest.raises(DomainError, match="结项或终止后"):
        refund(session, grant, world.finance_a)
    session.rollback()
    complete(session, grant, world)
    for other in (world.organizer_a, lead(session, grant), world.staff_a, world.organizer_b):
        with pytest.raises(NotAllowed):
            refund(session, grant, other)
        session.rollback()
    assert session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "refund")) == 0


def test_a_terminated_grant_shows_the_amount_to_ask_back_and_finance_records_it(
    session, client, login_as, grant, world
):
    login_as(world.organizer_a)
    page = client.get(f"/funding/grants/{grant.id}")
    assert "终止后须追回结余¥1,000.00" in page.text
    client.post(f"/funding/grants/{grant.id}/status", data={"target": "terminated", "reason": "团队解散"})
    page = client.get(f"/funding/grants/{grant.id}")
    assert "应向收款单位追回结余¥1,000.00" in page.text and "团队解散" in page.text
    assert "登记结余退回" not in page.text  # the organizer does not record money
    login_as(world.finance_a)
    page = client.get(f"/funding/grants/{grant.id}")
    assert "登记结余退回" in page.text
    url = f"/funding/grants/{grant.id}/refunds"
    answer = client.post(
        url, data={"returned_on": "2026-12-02", "amount": "2000", "ref": "TH-1"}, follow_redirects=True
    )
    assert "不能超过结余¥1,000.00" in answer.text
    answer = client.post(url, data={"returned_on": "昨天", "amount": "100", "ref": "TH-1"}, follow_redirects=True)
    assert "年-月-日" in answer.text
    answer = client.post(
        url, data={"returned_on": "2026-12-02", "amount": "1000", "ref": "TH-1"}, follow_redirects=True
    )
    assert "结余退回已登记" in answer.text
    assert balances.of_grant(session, grant.id).refunded_fen == 100_000


def test_the_settlement_section_shows_per_line_figures_at_completion(session, client, login_as, grant, world):
    login_as(lead(session, grant))
    assert "settlement-heading" not in client.get(f"/funding/grants/{grant.id}").text
    complete(session, grant, world)
    page = client.get(f"/funding/grants/{grant.id}")
    assert "settlement-heading" in page.text and "拨付分摊" in page.text and "¥1,000.00" in page.text
    assert "登记结余退回" not in page.text
    login_as(world.organizer_a)
    page = client.get(f"/funding/grants/{grant.id}")
    assert "“结项结算”暂不可用：账目未平" in page.text and 'value="settled"' not in page.text


def test_the_refund_route_refuses_everyone_but_finance(session, client, login_as, grant, world, make):
    complete(session, grant, world)
    url = f"/funding/grants/{grant.id}/refunds"
    data = {"returned_on": "2026-12-01", "amount": "10", "ref": "X"}
    from grants.auth.models import Role

    staff_a2 = make.user("staff_a2", community=world.community_a2, roles=[(Role.COMMUNITY_STAFF, world.community_a2)])
    for outsider in (make.user("other_team"), world.organizer_b, world.staff_b, world.judge_a, staff_a2):
        login_as(outsider)
        assert client.post(url, data=data).status_code == 404
        assert client.get(f"/funding/grants/{grant.id}").status_code == 404
    for member in (lead(session, grant), world.organizer_a, world.staff_a):
        login_as(member)
        assert client.post(url, data=data).status_code == 403
    with client.session_transaction() as sess:
        sess.clear()
    assert client.post(url, data=data).status_code in (302, 400)
    assert session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "refund")) == 0


def test_the_grant_page_issues_the_same_queries_whatever_the_number_of_reports(
    session, client, login_as, grant, world, query_counter
):
    login_as(world.organizer_a)
    url = f"/funding/grants/{grant.id}"

    def count():
        with query_counter() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    reports.return_report(session, actor=world.organizer_a, report=submit(session, grant), reason="重写")
    session.commit()
    few = count()
    for _ in range(4):
        reports.return_report(session, actor=world.organizer_a, report=submit(session, grant), reason="重写")
        session.commit()
    assert count() == few
