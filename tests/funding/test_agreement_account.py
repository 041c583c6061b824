"""A change of the receiving unit or account after signing: requested by the organizer, decided by
a different person with the finance role, applied on approval, audited; one open request a grant."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.auth import service as auth_service
from grants.auth.models import Role
from grants.errors import DomainError, NotAllowed
from grants.funding import agreement
from grants.funding.models import AccountChange, Grant

NEW = {
    "receiving_unit": "甲区社会组织服务中心",
    "account_name": "甲区社会组织服务中心",
    "account_bank": "工商银行城关支行",
    "account_no": "9558 8000 1111 2222",
}


@pytest.fixture
def grant(make_grant, world, sign_grant, kept):
    def build():
        return sign_grant(make_grant(world.edition_a, approved_fen=380_001, community=world.community_a))

    return kept("funding.agreement_account.grant", build)


def _request(session, grant, actor, **changes):
    values = {**NEW, "reason": "居委会账户注销，改由枢纽组织代管", **changes}
    change = agreement.request_account_change(session, actor=actor, grant=grant, **values)
    session.commit()
    return change


def test_finance_approves_a_change_which_then_applies_and_every_step_is_audited(session, world, grant):
    change = _request(session, grant, world.organizer_a)
    assert grant.account_no == "6228480012345678"  # nothing changes before the approval
    agreement.decide_account_change(session, actor=world.finance_a, grant=grant, change=change, approve=True, note="")
    session.commit()
    session.expire_all()
    grant = session.get(Grant, grant.id)
    assert (grant.receiving_unit, grant.account_bank, grant.account_no) == (
        "甲区社会组织服务中心",
        "工商银行城关支行",
        "9558800011112222",
    )
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "AccountChange").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["account_change.request", "account_change.approve"]
    assert entries[0].actor_id == world.organizer_a.id and entries[0].after["account_no"] == "9558800011112222"
    assert entries[1].after == {"status": "approved"} and entries[1].actor_id == world.finance_a.id
    applied = session.scalars(select(AuditEntry).where(AuditEntry.action == "grant.account_change")).one()
    assert applied.object_id == grant.id and applied.before["account_no"] == "6228480012345678"
    assert applied.after["account_no"] == "9558800011112222" and applied.actor_id == world.finance_a.id


def test_a_rejection_needs_a_reason_and_leaves_the_account_as_it_was(session, world, grant):
    change = _request(session, grant, world.organizer_a)
    with pytest.raises(DomainError, match="驳回时请填写原因"):
        agreement.decide_account_change(
            session, actor=world.finance_a, grant=grant, change=change, approve=False, note=""
        )
    session.rollback()
    agreement.decide_account_change(
        session, actor=world.finance_a, grant=grant, change=change, approve=False, note="账户信息未核实"
    )
    session.commit()
    assert session.get(Grant, grant.id).account_no == "6228480012345678"
    assert session.get(AccountChange, change.id).status == "rejected"
    with pytest.raises(DomainError, match="已经处理过"):
        agreement.decide_account_change(
            session, actor=world.finance_a, grant=grant, change=change, approve=True, note=""
        )


def test_the_requester_cannot_approve_even_holding_the_finance_role_and_the_organizer_is_not_finance(
    session, world, grant
):
    change = _request(session, grant, world.organizer_a)
    with pytest.raises(NotAllowed, match="本区财务"):
        agreement.decide_account_change(
            session, actor=world.organizer_a, grant=grant, change=change, approve=True, note=""
        )
    session.rollback()
    auth_service.grant_role(session, actor=None, user=world.organizer_a, role=Role.FINANCE, scope=world.district_a)
    session.commit()
    with pytest.raises(NotAllowed, match="不能审批自己的变更"):
        agreement.decide_account_change(
            session, actor=world.organizer_a, grant=grant, change=change, approve=True, note=""
        )
    session.rollback()
    assert session.get(AccountChange, change.id).status == "requested"
    assert session.get(Grant, grant.id).account_no == "6228480012345678"


def test_one_open_request_per_grant_and_bad_requests_change_nothing(session, world, grant, make_grant):
    _request(session, grant, world.organizer_a)
    with pytest.raises(DomainError, match="已有一项待审批"):
        _request(session, grant, world.organizer_a, account_no="1234567890")
    session.rollback()
    with pytest.raises(DomainError, match="请填写变更原因"):
        _request(session, grant, world.organizer_a, reason="  ")
    session.rollback()
    with pytest.raises(NotAllowed):
        _request(session, grant, world.finance_a)
    session.rollback()
    unsigned = make_grant(world.edition_a, community=world.community_a)
    with pytest.raises(DomainError, match="已签订协议"):
        _request(session, unsigned, world.organizer_a)
    session.rollback()
    assert session.scalar(select(func.count(AccountChange.id))) == 1


def test_a_request_that_changes_nothing_is_refused(session, world, grant):
    with pytest.raises(DomainError, match="无需变更"):
        _request(
            session,
            grant,
            world.organizer_a,
            receiving_unit="樱桃社区居民委员会",
            account_name="樱桃社区居民委员会",
            account_bank="农业银行城关支行",
            account_no="6228480012345678",
        )


def test_the_open_request_index_refuses_a_second_one_that_slipped_past_the_check(session, world, grant, monkeypatch):
    _request(session, grant, world.organizer_a)
    monkeypatch.setattr(agreement, "open_account_change", lambda *_args: None)  # as if a concurrent request won
    with pytest.raises(DomainError, match="已有一项待审批"):
        _request(session, grant, world.organizer_a, account_no="1234567890")
    session.rollback()
    assert session.scalar(select(func.count(AccountChange.id))) == 1


def test_the_pages_request_show_and_decide_a_change(client, login_as, session, world, grant, make):
    login_as(world.organizer_a)
    form = client.get(f"/funding/grants/{grant.id}/account-change")
    assert form.status_code == 200 and 'value="樱桃社区居民委员会"' in form.text
    bad = client.post(f"/funding/grants/{grant.id}/account-change", data={**NEW, "reason": ""})
    assert bad.status_code == 400 and session.scalar(select(func.count(AccountChange.id))) == 0
    answer = client.post(f"/funding/grants/{grant.id}/account-change", data={**NEW, "reason": "换代管单位"})
    assert answer.status_code == 302
    change = session.scalars(select(AccountChange)).one()
    page = client.get(f"/funding/grants/{grant.id}")
    assert "收款账户变更待财务审批" in page.text and f"/account-changes/{change.id}" in page.text
    assert (
        client.post(f"/funding/grants/{grant.id}/account-changes/{change.id}", data={"outcome": "approve"}).status_code
        == 403
    )
    login_as(world.finance_a)
    page = client.get(f"/funding/grants/{grant.id}/account-changes/{change.id}")
    assert page.status_code == 200 and "换代管单位" in page.text and 'name="outcome"' in page.text
    refused = client.post(f"/funding/grants/{grant.id}/account-changes/{change.id}", data={"outcome": "reject"})
    assert refused.status_code == 400 and "驳回时请填写原因" in refused.text
    done = client.post(f"/funding/grants/{grant.id}/account-changes/{change.id}", data={"outcome": "approve"})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Grant, grant.id).account_bank == "工商银行城关支行"
    second_finance = make.user("finance_a2", roles=[(Role.FINANCE, world.district_a)])
    login_as(second_finance)
    again = client.post(
        f"/funding/grants/{grant.id}/account-changes/{change.id}", data={"outcome": "reject", "note": "x"}
    )
    assert again.status_code == 400 and "已经处理过" in again.text
