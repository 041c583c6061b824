"""Round 1 — eligibility screening: who decides what, reasons, closing the round."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grants.audit.models import AuditEntry
from grants.editions import service as edition_service
from grants.editions.states import edition_machine
from grants.errors import DomainError, NotAllowed
from grants.judging import eligibility
from grants.judging.models import EligibilityDecision
from grants.proposals import service as ps
from tests.judging.helpers import all_items, end_submission


@pytest.fixture
def setup(world, session, make):
    edition = world.edition_a
    edition_machine.transition(session, edition, "open", actor=None)
    session.commit()
    mine = make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)
    other = make.proposal(edition, submit=True, community_id=world.community_a2.id)
    rnd = edition_service.rounds_of(session, edition.id)[0]
    return rnd, mine, other


def test_staff_decides_for_own_community_once_the_round_is_open(session, world, setup):
    rnd, mine, other = setup
    with pytest.raises(DomainError, match="没有在进行中"):
        eligibility.decide(
            session, actor=world.staff_a, rnd=rnd, proposal=mine, outcome="pass", reason=None, checked=[]
        )
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    with pytest.raises(NotAllowed):
        eligibility.decide(
            session, actor=world.staff_a, rnd=rnd, proposal=other, outcome="pass", reason=None, checked=[]
        )
    with pytest.raises(NotAllowed):
        eligibility.decide(
            session, actor=world.staff_b, rnd=rnd, proposal=mine, outcome="pass", reason=None, checked=[]
        )
    with pytest.raises(DomainError, match="原因"):
        eligibility.decide(session, actor=world.staff_a, rnd=rnd, proposal=mine, outcome="fail", reason=" ", checked=[])
    items = [c.id for c in rnd.criteria]
    eligibility.decide(session, actor=world.staff_a, rnd=rnd, proposal=mine, outcome="pass", reason=None, checked=items)
    assert mine.status == "eligible"
    eligibility.decide(
        session,
        actor=world.street_staff_a,
        rnd=rnd,
        proposal=mine,
        outcome="fail",
        reason="不在本社区实施",
        checked=items[:2],
    )
    assert mine.status == "ineligible"
    decision = session.scalar(select(EligibilityDecision))
    assert (decision.outcome, decision.reason, decision.reviewer_id) == (
        "fail",
        "不在本社区实施",
        world.street_staff_a.id,
    )
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.startswith("eligibility"))).all()
    assert len(actions) == 2


def test_closing_needs_a_decision_on_every_submitted_proposal(session, world, setup):
    rnd, mine, other = setup
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    eligibility.decide(
        session, actor=world.organizer_a, rnd=rnd, proposal=mine, outcome="pass", reason=None, checked=all_items(rnd)
    )
    end_submission(session, rnd.edition)
    with pytest.raises(DomainError, match="还有1份"):
        eligibility.close_round(session, actor=world.organizer_a, rnd=rnd)
    ps.return_for_correction(session, actor=world.organizer_a, proposal=other, reason="补材料")
    with pytest.raises(DomainError, match="还有1份"):
        eligibility.close_round(session, actor=world.organizer_a, rnd=rnd)  # still being corrected
    with pytest.raises(NotAllowed):
        eligibility.close_round(session, actor=world.staff_a, rnd=rnd)
    ps.withdraw_proposal(session, actor=other.applicant, proposal=other)
    eligibility.close_round(session, actor=world.organizer_a, rnd=rnd)
    assert rnd.status == "closed"
    with pytest.raises(DomainError):
        eligibility.decide(
            session, actor=world.organizer_a, rnd=rnd, proposal=mine, outcome="fail", reason="改主意", checked=[]
        )


def test_pages(client, login_as, world, session, setup):
    rnd, mine, other = setup
    login_as(world.organizer_a)
    assert client.post(f"/review/rounds/{rnd.id}/open").status_code == 302
    login_as(world.staff_a)
    body = client.get(f"/review/rounds/{rnd.id}/eligibility").get_data(as_text=True)
    assert mine.title in body and f"/review/rounds/{rnd.id}/eligibility/{mine.id}" in body
    response = client.post(f"/review/rounds/{rnd.id}/eligibility/{mine.id}", data={"outcome": "fail"})
    assert response.status_code == 400 and "原因" in response.get_data(as_text=True)
    response = client.post(
        f"/review/rounds/{rnd.id}/eligibility/{mine.id}",
        data={"outcome": "pass", "checked": [c.id for c in rnd.criteria]},
    )
    assert response.status_code == 302
    session.refresh(mine)
    assert mine.status == "eligible"
    # Another community's proposal: not this reviewer's.
    assert client.get(f"/review/rounds/{rnd.id}/eligibility/{other.id}").status_code == 404
    assert client.post(f"/review/rounds/{rnd.id}/close").status_code == 403


@pytest.mark.parametrize("who", ["organizer_b", "staff_b", "resident", "judge_a"])
def test_outsiders_are_refused(client, login_as, world, session, setup, who):
    rnd, mine, _other = setup
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    login_as(getattr(world, who))
    assert client.get(f"/review/rounds/{rnd.id}/eligibility").status_code == 403
    assert client.post(f"/review/rounds/{rnd.id}/eligibility/{mine.id}", data={"outcome": "pass"}).status_code in (
        403,
        404,
    )
    assert client.post(f"/review/rounds/{rnd.id}/close").status_code == 403
    session.refresh(mine)
    assert mine.status == "submitted"


def test_anonymous_and_csrf(client, login_as, world, session, setup):
    rnd, _mine, _other = setup
    assert client.get(f"/review/rounds/{rnd.id}/eligibility").status_code == 302
    login_as(world.organizer_a)
    assert client.post(f"/review/rounds/{rnd.id}/open", csrf=False).status_code == 400
    session.refresh(rnd)
    assert rnd.status == "pending"


# --- issue 12 item 1: round 1 cannot close before the deadline; nothing left undecidable ----------


def test_round_one_cannot_close_while_submission_is_open_and_the_page_says_why(
    client, login_as, session, world, setup, make
):
    rnd, mine, other = setup
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    for proposal in (mine, other):
        eligibility.decide(
            session,
            actor=world.organizer_a,
            rnd=rnd,
            proposal=proposal,
            outcome="pass",
            reason=None,
            checked=all_items(rnd),
        )
    session.commit()
    with pytest.raises(DomainError, match="申报还没有截止"):
        eligibility.close_round(session, actor=world.organizer_a, rnd=rnd)
    login_as(world.organizer_a)
    body = client.get(f"/review/rounds/{rnd.id}/eligibility").get_data(as_text=True)
    assert "申报还没有截止" in body and f"/review/rounds/{rnd.id}/close" not in body
    client.post(f"/review/rounds/{rnd.id}/close")
    session.refresh(rnd)
    assert rnd.status == "open"
    # A late proposal arrives while the round is still open, and is decided in it.
    late = make.proposal(rnd.edition, submit=True, community_id=world.community_a.id)
    assert eligibility.decidable(late)
    eligibility.decide(
        session, actor=world.organizer_a, rnd=rnd, proposal=late, outcome="pass", reason=None, checked=all_items(rnd)
    )
    end_submission(session, rnd.edition)
    session.commit()
    body = client.get(f"/review/rounds/{rnd.id}/eligibility").get_data(as_text=True)
    assert f"/review/rounds/{rnd.id}/close" in body
    eligibility.close_round(session, actor=world.organizer_a, rnd=rnd)
    assert rnd.status == "closed"


def test_a_correction_left_past_its_deadline_can_be_failed_so_the_round_can_close(session, world, setup):
    from datetime import timedelta

    from grants.timeutil import now

    rnd, mine, other = setup
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    eligibility.decide(
        session, actor=world.organizer_a, rnd=rnd, proposal=mine, outcome="pass", reason=None, checked=all_items(rnd)
    )
    ps.return_for_correction(session, actor=world.organizer_a, proposal=other, reason="补材料")
    end_submission(session, rnd.edition)
    assert not eligibility.decidable(other)  # still within its correction deadline
    later = other.resubmit_deadline + timedelta(minutes=1)
    assert eligibility.decidable(other, later)
    with pytest.raises(DomainError, match="只能作出不通过"):
        eligibility.decide(
            session,
            actor=world.organizer_a,
            rnd=rnd,
            proposal=other,
            outcome="pass",
            reason=None,
            checked=all_items(rnd),
            at=later,
        )
    assert other.status == "returned"
    eligibility.decide(
        session,
        actor=world.organizer_a,
        rnd=rnd,
        proposal=other,
        outcome="fail",
        reason="逾期未补正",
        checked=[],
        at=later,
    )
    assert other.status == "ineligible"
    assert now() < later  # the decision above used the given time
    eligibility.close_round(session, actor=world.organizer_a, rnd=rnd)
    assert rnd.status == "closed"


def test_pass_with_an_unticked_item_needs_a_recorded_reason(client, login_as, session, world, setup):
    rnd, mine, _other = setup
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    items = all_items(rnd)
    login_as(world.staff_a)
    url = f"/review/rounds/{rnd.id}/eligibility/{mine.id}"
    response = client.post(url, data={"outcome": "pass", "checked": items[:-1]})
    assert response.status_code == 400 and "没有勾选" in response.get_data(as_text=True)
    session.refresh(mine)
    assert mine.status == "submitted"
    assert session.scalar(select(EligibilityDecision)) is None
    response = client.post(url, data={"outcome": "pass", "checked": items[:-1], "reason": "材料原件已现场核验"})
    assert response.status_code == 302
    session.refresh(mine)
    assert mine.status == "eligible"
    decision = session.scalar(select(EligibilityDecision))
    assert decision.reason == "材料原件已现场核验" and decision.checked == sorted(items[:-1])
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "eligibility.decide"))
    assert entry.after["unticked"] == [items[-1]] and entry.after["reason"] == "材料原件已现场核验"
