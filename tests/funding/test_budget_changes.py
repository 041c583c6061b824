"""Budget changes: the lead proposes a whole new budget, the organizer approves (a new frozen
version) or rejects, the lead may withdraw; every rule refuses with a clear message and changes
nothing; Σ lines = the approved amount after every approved change."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from grants.funding import budget_changes, expenses, service
from grants.funding.budget_changes import ProposedLine
from grants.funding.models import BudgetChange, BudgetItem, BudgetVersion, BudgetVersionLine, GrantStatus
from grants.proposals.models import BudgetCategory
from tests.funding.test_expenses import APPROVED, photo


@pytest.fixture
def grant(make_grant, sign_grant, world, kept):
    def build():
        return sign_grant(make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a))

    return kept("funding.budget_changes.grant", build)


@pytest.fixture
def items(session, grant):
    return session.scalars(
        select(BudgetItem).where(BudgetItem.grant_id == grant.id).order_by(BudgetItem.position)
    ).all()


def moved(items, *, first=(4_000, 20), second=(2_000, 20)):
    """Version 1 is 花盆和土 ¥50 × 20 + 宣传海报 ¥20 × 10; by default ¥200 moves to the posters."""
    return [
        ProposedLine(items[0].id, None, "", *first),
        ProposedLine(items[1].id, None, "", *second),
    ]


def ask(session, grant, lines, reason="海报需求增加", actor=None):
    return budget_changes.request_change(
        session, actor=actor or grant.proposal.applicant, grant=grant, lines=lines, reason=reason
    )


def counts(session) -> tuple[int, int, int, int, int]:
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (BudgetChange, BudgetVersion, BudgetVersionLine, BudgetItem, AuditEntry)
    )


def refused(session, error, match, call):
    session.commit()
    before = counts(session)
    with pytest.raises(error, match=match):
        call()
    session.rollback()
    assert counts(session) == before


def lines_total(session, version) -> int:
    return session.scalar(
        select(func.sum(BudgetVersionLine.amount_fen)).where(BudgetVersionLine.version_id == version.id)
    )


def spend(session, app, grant, item, amount_fen, invoice_no):
    expense = expenses.record_expense(
        session,
        actor=grant.proposal.applicant,
        grant=grant,
        data=expenses.ExpenseData(
            spent_on=date(2026, 11, 25),
            item_id=item.id,
            payee="店",
            amount_fen=amount_fen,
            purpose="物",
            invoice_no=invoice_no,
            receipt=expenses.Upload("r.jpg", photo(), app.config["ATTACHMENT_MAX_BYTES"]),
        ),
        upload_dir=Path(app.config["UPLOAD_DIR"]),
    )
    session.commit()
    return expense


def test_an_approved_change_becomes_version_2_frozen_with_its_approver_and_reason(session, grant, items, world):
    change = ask(session, grant, moved(items))
    session.commit()
    assert change.status == "requested" and sum(line["amount_fen"] for line in change.lines) == APPROVED
    budget_changes.decide_change(session, actor=world.organizer_a, change=change, approve=True, note="同意")
    session.commit()
    version = service.current_budget(session, grant.id)
    assert (version.number, version.approved_by_id, version.reason) == (2, world.organizer_a.id, "海报需求增加")
    assert change.version_id == version.id and change.status == "approved"
    assert lines_total(session, version) == APPROVED == version.total_fen
    amounts = budget_changes.version_lines(session, version.id)
    assert (amounts[items[0].id].amount_fen, amounts[items[1].id].amount_fen) == (80_000, 40_000)
    first = session.scalars(select(BudgetVersion).where(BudgetVersion.number == 1)).one()
    assert budget_changes.version_lines(session, first.id)[items[0].id].amount_fen == 100_000  # frozen
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("budget_change.%"))).all()
    assert sorted(actions) == ["budget_change.approve", "budget_change.request"]


def test_a_new_line_gets_a_budget_item_and_expenses_can_be_booked_on_it(session, app, grant, items, world):
    category = session.scalars(
        select(BudgetCategory).where(BudgetCategory.edition_id == grant.edition_id, BudgetCategory.name == "场地")
    ).one()
    lines = [
        *moved(items, first=(5_000, 14), second=(2_000, 10)),
        ProposedLine(None, category.id, "活动室租用", 10_000, 3),
    ]
    change = ask(session, grant, lines)
    session.commit()
    budget_changes.decide_change(session, actor=world.organizer_a, change=change, approve=True, note="")
    session.commit()
    new_item = session.scalars(select(BudgetItem).where(BudgetItem.item == "活动室租用")).one()
    assert (new_item.grant_id, new_item.position, new_item.category_id) == (grant.id, 3, category.id)
    assert lines_total(session, service.current_budget(session, grant.id)) == APPROVED
    assert spend(session, app, grant, new_item, 30_000, "AB12345678").status == "pending"


def test_the_lines_must_add_up_to_the_approved_amount(session, grant, items):
    refused(
        session,
        DomainError,
        "应等于核定金额¥1,200.00（相差¥0.20）",
        lambda: ask(session, grant, moved(items, first=(4_000, 20), second=(1_999, 20))),
    )
    refused(session, DomainError, "应等于核定金额", lambda: ask(session, grant, moved(items, first=(6_000, 20))))


def test_no_line_below_what_is_already_spent_on_it(session, app, grant, items, world):
    spend(session, app, grant, items[0], 70_000, "AB12345678")
    pending = spend(session, app, grant, items[0], 15_000, "AB12345679")
    expenses.review_expense(session, actor=world.staff_a, expense=pending, accept=True, reason="")
    session.commit()
    # ¥850 spent on line 1: ¥800 is too little, ¥850 is enough
    refused(session, DomainError, "已有支出¥850.00", lambda: ask(session, grant, moved(items)))
    assert ask(session, grant, moved(items, first=(4_250, 20), second=(1_750, 20))).status == "requested"


def test_spending_after_the_request_is_checked_again_when_approving(session, app, grant, items, world):
    change = ask(session, grant, moved(items))
    session.commit()
    spend(session, app, grant, items[0], 90_000, "AB12345678")
    refused(
        session,
        DomainError,
        "已有支出¥900.00",
        lambda: budget_changes.decide_change(session, actor=world.organizer_a, change=change, approve=True, note=""),
    )
    assert session.get(BudgetChange, change.id).status == "requested"


def test_the_editions_budget_rules_hold_on_the_new_budget(session, grant, items):
    labour = session.scalars(
        select(BudgetCategory).where(
            BudgetCategory.edition_id == grant.edition_id, BudgetCategory.max_share_percent == 30
        )
    ).one()
    over_share = [
        *moved(items, first=(3_000, 20), second=(2_000, 10)),
        ProposedLine(None, labour.id, "讲师", 40_000, 1),
    ]
    refused(session, DomainError, "不能超过申请金额的30%", lambda: ask(session, grant, over_share))
    over_unit = [*moved(items, first=(3_000, 20), second=(2_000, 10)), ProposedLine(None, labour.id, "讲师", 0, 0)]
    over_unit[0] = ProposedLine(items[0].id, None, "", 60_000, 1)
    over_unit[1] = ProposedLine(items[1].id, None, "", 60_000, 1)
    category = session.get(BudgetCategory, items[0].category_id)
    category.max_unit_price_fen = 50_000
    refused(session, DomainError, "单价不能超过¥500.00", lambda: ask(session, grant, over_unit[:2]))
    refused(
        session,
        DomainError,
        "请填写支出项目",
        lambda: ask(session, grant, [*moved(items, first=(3_000, 20)), ProposedLine(None, labour.id, " ", 20_000, 1)]),
    )


def test_an_unchanged_line_keeps_its_approved_unit_price(session, make_grant, sign_grant, world):
    # approved below the request: version 1 holds each line as one unit of its apportioned amount
    grant = sign_grant(make_grant(world.edition_a, approved_fen=60_000, community=world.community_a))
    items = session.scalars(
        select(BudgetItem).where(BudgetItem.grant_id == grant.id).order_by(BudgetItem.position)
    ).all()
    version = budget_changes.version_lines(session, service.current_budget(session, grant.id).id)
    session.get(BudgetCategory, items[0].category_id).max_unit_price_fen = 10_000
    first = version[items[0].id]
    assert first.amount_fen == 50_000 and first.quantity == 1
    lines = [
        ProposedLine(items[0].id, None, "", first.unit_price_fen, 1),
        ProposedLine(items[1].id, None, "", 1_000, 10),
    ]
    assert ask(session, grant, lines).status == "requested"


def test_one_open_request_at_a_time_then_a_new_one_after_a_decision(session, grant, items, world):
    first = ask(session, grant, moved(items))
    session.commit()
    refused(
        session,
        Conflict,
        "已有一份预算调整申请",
        lambda: ask(session, grant, moved(items, first=(4_500, 20), second=(1_500, 20))),
    )
    budget_changes.decide_change(session, actor=world.organizer_a, change=first, approve=False, note="理由不充分")
    session.commit()
    assert (first.status, first.decision_note) == ("rejected", "理由不充分")
    assert service.current_budget(session, grant.id).number == 1
    second = ask(session, grant, moved(items, first=(4_500, 20), second=(1_500, 20)))
    session.commit()
    budget_changes.withdraw_change(session, actor=grant.proposal.applicant, change=second)
    session.commit()
    assert second.status == "withdrawn"
    assert ask(session, grant, moved(items)).status == "requested"


def test_the_database_refuses_a_second_open_request(session, grant, items):
    from sqlalchemy.exc import IntegrityError

    change = ask(session, grant, moved(items))
    session.commit()
    session.add(
        BudgetChange(
            grant_id=grant.id,
            base_version_id=change.base_version_id,
            lines=change.lines,
            reason="x",
            requested_by_id=change.requested_by_id,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_rejection_needs_a_reason_and_a_decision_is_made_once(session, grant, items, world):
    change = ask(session, grant, moved(items))
    refused(
        session,
        DomainError,
        "驳回时请填写原因",
        lambda: budget_changes.decide_change(session, actor=world.organizer_a, change=change, approve=False, note=" "),
    )
    budget_changes.decide_change(session, actor=world.organizer_a, change=change, approve=True, note="")
    session.commit()
    refused(
        session,
        InvalidTransition,
        "已经处理过",
        lambda: budget_changes.decide_change(session, actor=world.organizer_a, change=change, approve=True, note=""),
    )
    refused(
        session,
        InvalidTransition,
        "已经处理过",
        lambda: budget_changes.withdraw_change(session, actor=grant.proposal.applicant, change=change),
    )


def test_who_may_ask_decide_and_withdraw(session, grant, items, world, make):
    for actor in (world.staff_a, world.organizer_a, world.resident):
        refused(session, NotAllowed, "项目负责人", lambda actor=actor: ask(session, grant, moved(items), actor=actor))
    change = ask(session, grant, moved(items))
    for actor in (grant.proposal.applicant, world.staff_a, world.finance_a, world.organizer_b, world.judge_a):
        refused(
            session,
            NotAllowed,
            "主办方",
            lambda actor=actor: budget_changes.decide_change(
                session, actor=actor, change=change, approve=True, note=""
            ),
        )
    refused(
        session,
        NotAllowed,
        "项目负责人",
        lambda: budget_changes.withdraw_change(session, actor=world.organizer_a, change=change),
    )


def test_bad_requests_are_refused_with_a_clear_message(session, grant, items, make_grant, sign_grant, world):
    refused(session, DomainError, "调整原因", lambda: ask(session, grant, moved(items), reason="  "))
    refused(
        session,
        DomainError,
        "与当前预算相同",
        lambda: ask(session, grant, moved(items, first=(5_000, 20), second=(2_000, 10))),
    )
    other = sign_grant(make_grant(world.edition_a, approved_fen=APPROVED, community=world.community_a))
    foreign = session.scalars(select(BudgetItem).where(BudgetItem.grant_id == other.id)).first()
    refused(
        session,
        DomainError,
        "不属于这个项目",
        lambda: ask(session, grant, [ProposedLine(foreign.id, None, "", 1_000, 120)]),
    )
    twice = [ProposedLine(items[0].id, None, "", 1_000, 60), ProposedLine(items[0].id, None, "", 1_000, 60)]
    refused(session, DomainError, "重复", lambda: ask(session, grant, twice))


@pytest.mark.parametrize(
    "status", [GrantStatus.SUSPENDED.value, GrantStatus.SETTLED.value, GrantStatus.TERMINATED.value]
)
def test_no_change_on_a_grant_that_is_suspended_or_finished(session, grant, items, status):
    grant.status = status  # test setup
    refused(session, DomainError, "不能调整预算", lambda: ask(session, grant, moved(items)))


def test_a_line_taken_to_zero_leaves_the_new_version(session, grant, items, world):
    change = ask(
        session, grant, [ProposedLine(items[0].id, None, "", 6_000, 20), ProposedLine(items[1].id, None, "", 2_000, 0)]
    )
    budget_changes.decide_change(session, actor=world.organizer_a, change=change, approve=True, note="")
    session.commit()
    version = service.current_budget(session, grant.id)
    assert set(budget_changes.version_lines(session, version.id)) == {items[0].id}
    assert lines_total(session, version) == APPROVED


def test_the_sum_of_lines_equals_the_approved_amount_after_every_approved_change(session, grant, items, world):
    plans = [((4_000, 20), (2_000, 20)), ((4_400, 20), (1_600, 20)), ((3_000, 30), (1_500, 20))]
    for number, (first, second) in enumerate(plans, start=2):
        change = ask(session, grant, moved(items, first=first, second=second))
        budget_changes.decide_change(session, actor=world.organizer_a, change=change, approve=True, note="")
        session.commit()
        version = service.current_budget(session, grant.id)
        assert version.number == number and lines_total(session, version) == APPROVED == version.total_fen
    views = budget_changes.versions(session, grant.id)
    assert [v.version.number for v in views] == [4, 3, 2, 1]
    assert [(d.before_fen, d.after_fen) for d in views[0].diff] == [(88_000, 90_000), (32_000, 30_000)]


def test_a_request_is_not_approved_while_the_grant_is_suspended(session, grant, items, world):
    change = ask(session, grant, moved(items))
    grant.status = GrantStatus.SUSPENDED.value  # test setup: suspended after the request
    refused(
        session,
        DomainError,
        "不能调整预算",
        lambda: budget_changes.decide_change(session, actor=world.organizer_a, change=change, approve=True, note=""),
    )
    budget_changes.decide_change(session, actor=world.organizer_a, change=change, approve=False, note="先恢复拨付")
    session.commit()
    assert change.status == "rejected"
