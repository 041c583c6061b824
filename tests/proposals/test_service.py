"""Proposal rules: drafts, budget, submission window, one per applicant, return, resubmit, withdraw."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.editions.states import edition_machine
from grants.errors import Conflict, DomainError, NotAllowed
from grants.proposals import budget
from grants.proposals import service as ps
from grants.proposals.models import BudgetLine, Proposal, ProposalVersion
from grants.timeutil import now


@pytest.fixture
def edition(world, session):
    edition_machine.transition(session, world.edition_a, "open", actor=None)
    session.commit()
    return world.edition_a


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_complete_proposal_submits_and_becomes_read_only(session, make, world, edition):
    proposal = make.proposal(edition, world.resident)
    ps.submit_proposal(session, actor=world.resident, proposal=proposal)
    session.commit()
    assert proposal.status == "submitted" and proposal.version == 1 and proposal.submitted_at is not None
    assert proposal.requested_fen == 5_000 * 20 + 2_000 * 10
    assert _count(session, ProposalVersion) == 1
    with pytest.raises(NotAllowed, match="不能再修改"):
        ps.save_draft(session, actor=world.resident, proposal=proposal, data=make.proposal_data(edition))
    assert session.scalar(select(AuditEntry.action).where(AuditEntry.action == "proposal.submit"))


def test_incomplete_draft_saves_but_does_not_submit_and_says_what_is_missing(session, make, world, edition):
    proposal = ps.start_proposal(session, actor=world.resident, edition=edition)
    ps.save_draft(session, actor=world.resident, proposal=proposal, data=ps.ProposalData(title="只有名字"))
    session.commit()
    with pytest.raises(DomainError) as err:
        ps.submit_proposal(session, actor=world.resident, proposal=proposal)
    message = str(err.value)
    assert "服务领域" in message and "团队至少需要3人" in message and "承诺" in message
    session.rollback()
    assert session.get(Proposal, proposal.id).status == "draft"


def test_submission_after_the_deadline_is_refused_and_changes_nothing(session, make, world, edition):
    proposal = make.proposal(edition, world.resident)
    late = edition.submission_closes_at + timedelta(seconds=1)
    with pytest.raises(DomainError, match="截止"):
        ps.submit_proposal(session, actor=world.resident, proposal=proposal, at=late)
    session.rollback()
    stored = session.get(Proposal, proposal.id)
    assert stored.status == "draft" and stored.version == 0
    assert _count(session, ProposalVersion) == 0


def test_budget_over_the_cap_is_refused_naming_the_rule(session, make, world, edition):
    proposal = ps.start_proposal(session, actor=world.resident, edition=edition)
    categories = ps.budget_categories(session, edition.id)
    lines = [budget.Line(i, categories[0].id, f"物资{i}", 199_900, 3) for i in range(1, 3)]
    with pytest.raises(ps.BudgetRuleError) as err:
        ps.save_draft(session, actor=world.resident, proposal=proposal, data=make.proposal_data(edition, lines=lines))
    assert "超过了本届单个项目资助上限¥5,000.00" in err.value.messages[-1]
    session.rollback()
    assert _count(session, BudgetLine) == 0


def test_unit_price_and_share_limits_name_the_line(session, make, world, edition):
    proposal = ps.start_proposal(session, actor=world.resident, edition=edition)
    cats = {c.name: c for c in ps.budget_categories(session, edition.id)}
    lines = [
        budget.Line(1, cats["活动物资"].id, "音响", 250_000, 1),
        budget.Line(2, cats["人员补贴/劳务"].id, "劳务", 100_000, 1),
        budget.Line(3, cats["活动物资"].id, "纸笔", 10_000, 1),
    ]
    with pytest.raises(ps.BudgetRuleError) as err:
        ps.save_draft(session, actor=world.resident, proposal=proposal, data=make.proposal_data(edition, lines=lines))
    assert err.value.messages[0].startswith("预算第1行") and "¥2,000.00" in err.value.messages[0]
    assert any(m.startswith("预算第2行") and "30%" in m for m in err.value.messages)


def test_second_proposal_in_the_same_edition_is_refused(session, make, world, edition):
    make.proposal(edition, world.resident)
    with pytest.raises(Conflict, match="只能申报一个"):
        ps.start_proposal(session, actor=world.resident, edition=edition)
    session.rollback()
    assert _count(session, Proposal) == 1


def test_second_proposal_is_allowed_when_the_edition_allows_it_or_after_withdrawal(session, make, world, edition):
    first = make.proposal(edition, world.resident)
    ps.withdraw_proposal(session, actor=world.resident, proposal=first)
    assert ps.start_proposal(session, actor=world.resident, edition=edition).id != first.id
    edition.one_proposal_per_applicant = False
    assert ps.start_proposal(session, actor=world.resident, edition=edition)


def test_team_smaller_than_the_minimum_cannot_submit(session, make, world, edition):
    proposal = make.proposal(edition, world.resident, team_size=2)
    with pytest.raises(DomainError, match="团队至少需要3人"):
        ps.submit_proposal(session, actor=world.resident, proposal=proposal)


def test_return_for_correction_then_resubmit_once(session, make, world, edition):
    proposal = make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)
    with pytest.raises(NotAllowed):
        ps.return_for_correction(session, actor=world.staff_b, proposal=proposal, reason="x")
    with pytest.raises(DomainError, match="原因"):
        ps.return_for_correction(session, actor=world.staff_a, proposal=proposal, reason=" ")
    session.rollback()
    ps.return_for_correction(session, actor=world.staff_a, proposal=proposal, reason="预算说明不清")
    session.commit()
    assert proposal.status == "returned" and proposal.resubmit_deadline > now()
    data = make.proposal_data(edition, community_id=world.community_a.id, title="楼道微花园（修改版）")
    ps.save_draft(session, actor=world.resident, proposal=proposal, data=data)
    ps.submit_proposal(session, actor=world.resident, proposal=proposal)
    session.commit()
    assert proposal.status == "submitted" and proposal.version == 2 and proposal.resubmissions == 1
    versions = session.scalars(select(ProposalVersion).order_by(ProposalVersion.version)).all()
    assert [v.snapshot["title"] for v in versions] == ["楼道微花园", "楼道微花园（修改版）"]
    with pytest.raises(DomainError, match="补正过一次"):
        ps.return_for_correction(session, actor=world.organizer_a, proposal=proposal, reason="再改")


def test_resubmission_after_the_correction_deadline_is_refused(session, make, world, edition):
    proposal = make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)
    ps.return_for_correction(
        session, actor=world.organizer_a, proposal=proposal, reason="补材料", deadline=now() + timedelta(hours=1)
    )
    with pytest.raises(DomainError, match="补正截止时间"):
        ps.submit_proposal(session, actor=world.resident, proposal=proposal, at=now() + timedelta(hours=2))


def test_withdraw_before_round_two_only(session, make, world, edition):
    proposal = make.proposal(edition, world.resident, submit=True)
    with pytest.raises(NotAllowed):
        ps.withdraw_proposal(session, actor=world.organizer_a, proposal=proposal)
    from grants.editions.models import Round

    second = session.scalar(select(Round).where(Round.edition_id == edition.id, Round.position == 2))
    second.status = "open"  # judging's own state machine moves rounds; here only the fact matters
    session.flush()
    with pytest.raises(DomainError, match="评分阶段"):
        ps.withdraw_proposal(session, actor=world.resident, proposal=proposal)


def test_starting_outside_the_window_is_refused(session, make, world):
    with pytest.raises(DomainError, match="不在申报期内"):
        ps.start_proposal(session, actor=world.resident, edition=world.edition_a)  # still in draft


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 6), st.integers(-10, 260_000), st.integers(-1, 40)), max_size=8),
        min_size=1,
        max_size=5,
    )
)
def test_no_sequence_of_saves_stores_a_budget_that_breaks_a_rule(session, make, world, edition, attempts):
    proposal = session.scalar(select(Proposal).where(Proposal.applicant_id == world.resident.id))
    if proposal is None:
        proposal = ps.start_proposal(session, actor=world.resident, edition=edition)
        session.commit()
    categories = ps.budget_categories(session, edition.id)
    for attempt in attempts:
        lines = [
            budget.Line(i, categories[c].id, f"项目{i}", price, qty)
            for i, (c, price, qty) in enumerate(attempt, start=1)
        ]
        try:
            ps.save_draft(
                session, actor=world.resident, proposal=proposal, data=make.proposal_data(edition, lines=lines)
            )
            session.commit()
        except DomainError:
            session.rollback()
        stored = session.get(Proposal, proposal.id)
        stored_lines = session.scalars(select(BudgetLine).where(BudgetLine.proposal_id == proposal.id)).all()
        total = sum(line.amount_fen for line in stored_lines)
        assert stored.requested_fen == total <= edition.cap_fen
        by_id = {c.id: c for c in categories}
        for line in stored_lines:
            assert line.amount_fen == line.unit_price_fen * line.quantity
            assert line.unit_price_fen <= by_id[line.category_id].max_unit_price_fen
        labour = sum(line.amount_fen for line in stored_lines if by_id[line.category_id].max_share_percent)
        assert labour * 100 <= 30 * total
