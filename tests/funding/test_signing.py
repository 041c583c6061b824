"""Signing the agreement fixes the tranches and the first budget; the grant's lifecycle guards."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from grants import timeutil
from grants.audit.models import AuditEntry
from grants.editions.states import EditionStatus, edition_machine
from grants.errors import DomainError, InvalidTransition, NotAllowed
from grants.funding import plan, service
from grants.funding.models import BudgetVersionLine, GrantStatus
from grants.funding.states import grant_machine


@pytest.fixture
def grant(make_grant, world):
    return make_grant(world.edition_a, approved_fen=380_001, community=world.community_a)


def test_signing_fixes_tranches_and_a_first_budget_that_add_up_to_the_approved_amount(
    session, grant, sign_grant, world
):
    sign_grant(grant)
    assert grant.status == GrantStatus.SIGNED.value and grant.signed_by_id == world.organizer_a.id
    parts = service.tranches_of(session, grant.id)
    assert [(t.name, t.amount_fen) for t in parts] == [("首期款", 228_001), ("尾款", 152_000)]
    budget = service.current_budget(session, grant.id)
    lines = session.scalars(select(BudgetVersionLine).where(BudgetVersionLine.version_id == budget.id)).all()
    assert budget.number == 1 and sum(line.amount_fen for line in lines) == 380_001 == budget.total_fen
    assert grant.account_no == "6228480012345678" and grant.agreement_no.startswith("WCT-")
    assert plan.locked(session, grant.edition_id)
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "grant.sign")).one()
    assert audit.after == {"status": "signed"}


def test_signing_refuses_another_person_a_second_time_a_future_date_and_a_bad_account(
    session, grant, sign_grant, world, scan
):
    def attempt(**changes):
        values = dict(
            actor=world.organizer_a,
            grant=grant,
            signed_on=date(2026, 11, 20),
            receiving_unit="居委会",
            account_name="居委会",
            account_bank="银行",
            account_no="622848001234",
            scan=scan(),
        )
        values.update(changes)
        service.sign(session, **values)

    with pytest.raises(NotAllowed):
        attempt(actor=world.staff_a)
    with pytest.raises(DomainError, match="不能晚于今天"):
        attempt(signed_on=timeutil.today() + timedelta(days=1))
    with pytest.raises(DomainError, match="6到32位数字"):
        attempt(account_no="abc")
    with pytest.raises(DomainError, match="收款单位"):
        attempt(receiving_unit="  ")
    session.rollback()
    sign_grant(grant)
    with pytest.raises(DomainError, match="已经登记签订"):
        attempt()


def test_moves_that_follow_from_a_step_are_not_offered_by_hand(session, grant, world):
    with pytest.raises(InvalidTransition):
        grant_machine.transition(session, grant, GrantStatus.SIGNED.value, actor=world.organizer_a)
    assert [t.target for t in grant_machine.available(grant, world.organizer_a)] == [GrantStatus.TERMINATED]
    assert grant_machine.available(grant, world.finance_a) == []


def test_an_edition_closes_only_when_every_grant_is_settled_or_terminated(session, grant, world):
    edition = world.edition_a
    edition.status = EditionStatus.FUNDING.value  # test setup: the edition as finalizing leaves it
    session.commit()
    with pytest.raises(DomainError, match="1个资助项目未结项或终止"):
        edition_machine.transition(session, edition, EditionStatus.CLOSED.value, actor=world.organizer_a)
    grant_machine.transition(session, grant, GrantStatus.TERMINATED.value, actor=world.organizer_a, reason="放弃")
    edition_machine.transition(session, edition, EditionStatus.CLOSED.value, actor=world.organizer_a)
    assert edition.status == EditionStatus.CLOSED.value


def test_the_grant_page_is_seen_by_its_people_only_and_moves_go_through_the_state_machine(
    session, client, login_as, grant, sign_grant, world, make
):
    sign_grant(grant)
    url = f"/funding/grants/{grant.id}"
    for viewer in (world.organizer_a, world.finance_a, world.staff_a):
        login_as(viewer)
        page = client.get(url)
        assert page.status_code == 200 and "228,001" not in page.text and "¥2,280.01" in page.text
    outsider = make.user("outsider")
    for viewer in (outsider, world.organizer_b, world.staff_b, world.judge_a):
        login_as(viewer)
        assert client.get(url).status_code == 404
        assert client.post(url + "/status", data={"target": "terminated", "reason": "x"}).status_code == 404
    login_as(world.finance_a)
    assert client.post(url + "/status", data={"target": "terminated", "reason": "x"}).status_code == 403
    login_as(world.organizer_a)
    client.post(url + "/status", data={"target": "settled"})
    session.expire_all()
    assert session.get(type(grant), grant.id).status == "signed"
    answer = client.post(url + "/status", data={"target": "terminated", "reason": "团队解散"}, follow_redirects=True)
    assert "团队解散" in answer.text
    session.expire_all()
    assert session.get(type(grant), grant.id).status == "terminated"
