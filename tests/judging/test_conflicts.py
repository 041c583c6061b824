"""Conflicts of interest (grants.judging.panel): declared by the judge on their own sheet or by the
organizer for a judge and a proposal, honoured by the automatic assignment and by manual
reassignment, listed per edition, audited, and refused to anyone else.

Complements tests/judging/test_panel.py with the rules it does not pin down."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.editions.states import RoundStatus
from grants.errors import DomainError, NotAllowed
from grants.judging import panel, sheets
from grants.judging.models import Assignment, ConflictOfInterest, Score


def _sheets_of(session, judge, proposal_id=None) -> list[Assignment]:
    query = select(Assignment).where(Assignment.judge_id == judge.id).order_by(Assignment.id)
    if proposal_id is not None:
        query = query.where(Assignment.proposal_id == proposal_id)
    return list(session.scalars(query).unique())


def _holders(session, rnd, proposal_id) -> list[int]:
    return list(
        session.scalars(
            select(Assignment.judge_id).where(Assignment.round_id == rnd.id, Assignment.proposal_id == proposal_id)
        )
    )


def _snapshot(session) -> tuple:
    """Sheets, scores, conflicts and audit entries: what a refused action must leave alone."""
    sheet_rows = tuple(session.execute(select(Assignment.id, Assignment.judge_id).order_by(Assignment.id)).all())
    counts = tuple(
        session.scalar(select(func.count()).select_from(model)) for model in (Score, ConflictOfInterest, AuditEntry)
    )
    return sheet_rows, counts


def _score(session, judge, assignment, *, submit: bool) -> None:
    points = {c.id: "1" for c in assignment.round.criteria}
    sheets.save_sheet(session, actor=judge, assignment=assignment, raw_points=points, comment="", submit=submit)
    session.commit()


# --- the judge declares -------------------------------------------------------------------------------


def test_judge_declaring_removes_the_unscored_sheet_records_and_audits_it(client, login_as, session, world, assigned):
    _rnd, _proposals, judges = assigned
    judge = judges[1]
    mine = _sheets_of(session, judge)[0]
    mine_id, proposal_id = mine.id, mine.proposal_id
    others = [a.id for a in _sheets_of(session, judge)]
    login_as(judge)
    page = client.get(f"/review/assignments/{mine_id}/conflict")
    assert page.status_code == 200 and mine.proposal.title in page.get_data(as_text=True)
    response = client.post(f"/review/assignments/{mine_id}/conflict", data={"reason": "申报人是我的邻居"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/queue")
    assert session.get(Assignment, mine_id) is None
    conflict = session.scalar(select(ConflictOfInterest).where(ConflictOfInterest.judge_id == judge.id))
    assert (conflict.proposal_id, conflict.declared_by_id, conflict.reason, conflict.edition_id) == (
        proposal_id,
        judge.id,
        "申报人是我的邻居",
        world.edition_a.id,
    )
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "conflict.declare"))
    assert entry.actor_id == judge.id and entry.object_id == conflict.id
    assert entry.after["sheets_removed"] == 1 and entry.district_id == world.district_a.id
    # Only that sheet went: the judge's other sheets stay.
    assert [a.id for a in _sheets_of(session, judge)] == [i for i in others if i != mine_id]


def test_assign_round_never_gives_the_declared_proposal_back_to_that_judge(session, world, assigned):
    rnd, _proposals, judges = assigned
    judge = judges[0]
    mine = _sheets_of(session, judge)[0]
    proposal_id = mine.proposal_id
    panel.declare_own_conflict(session, actor=judge, assignment=mine, reason="亲属关系")
    session.commit()
    assert len(_holders(session, rnd, proposal_id)) == 2
    for _ in range(2):  # running it again only fills gaps, never with the conflicted judge
        sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)
        session.commit()
        holders = _holders(session, rnd, proposal_id)
        assert judge.id not in holders and len(holders) == 3


@pytest.mark.parametrize("submit", [False, True], ids=["draft-scores", "submitted"])
def test_declaring_on_a_scored_sheet_is_refused_and_changes_nothing(client, login_as, session, world, assigned, submit):
    _rnd, _proposals, judges = assigned
    judge = judges[2]
    mine = _sheets_of(session, judge)[0]
    _score(session, judge, mine, submit=submit)
    before = _snapshot(session)
    with pytest.raises(DomainError, match="联系主办方"):
        panel.declare_own_conflict(session, actor=judge, assignment=mine, reason="后来才发现")
    session.rollback()
    login_as(judge)
    response = client.post(f"/review/assignments/{mine.id}/conflict", data={"reason": "后来才发现"})
    assert response.status_code == 400 and "联系主办方" in response.get_data(as_text=True)
    assert _snapshot(session) == before


def test_a_reason_is_required(client, login_as, session, world, assigned):
    _rnd, _proposals, judges = assigned
    mine = _sheets_of(session, judges[0])[0]
    before = _snapshot(session)
    login_as(judges[0])
    for reason in ("", "   ", "长" * 501):
        response = client.post(f"/review/assignments/{mine.id}/conflict", data={"reason": reason})
        assert response.status_code == 400 and "原因" in response.get_data(as_text=True)
    assert _snapshot(session) == before


@pytest.mark.parametrize("who", ["other_judge", "organizer_a", "organizer_b", "resident"])
def test_only_the_sheets_judge_may_declare_on_it(client, login_as, session, world, assigned, who):
    _rnd, _proposals, judges = assigned
    sheet = _sheets_of(session, judges[0])[0]
    actor = judges[1] if who == "other_judge" else getattr(world, who)
    before = _snapshot(session)
    login_as(actor)
    assert client.get(f"/review/assignments/{sheet.id}/conflict").status_code == 403
    assert client.post(f"/review/assignments/{sheet.id}/conflict", data={"reason": "冒名"}).status_code == 403
    with pytest.raises(NotAllowed):
        panel.declare_own_conflict(session, actor=actor, assignment=sheet, reason="冒名")
    session.rollback()
    assert _snapshot(session) == before


def test_queue_offers_the_declaration_only_on_unscored_unsubmitted_sheets(client, login_as, session, assigned):
    _rnd, _proposals, judges = assigned
    judge = judges[3]
    first, second, *_rest = _sheets_of(session, judge)
    _score(session, judge, first, submit=True)
    login_as(judge)
    body = client.get("/review/queue").get_data(as_text=True)
    assert f"/review/assignments/{first.id}/conflict" not in body
    assert f"/review/assignments/{second.id}/conflict" in body and "申报利益冲突" in body


# --- the organizer declares -----------------------------------------------------------------------------


def test_organizer_declaration_removes_only_unscored_sheets_of_that_pair(client, login_as, session, world, assigned):
    _rnd, _proposals, judges = assigned
    judge = judges[1]
    scored, unscored = _sheets_of(session, judge)[:2]
    _score(session, judge, scored, submit=False)
    pairs = [(scored.id, scored.proposal_id), (unscored.id, unscored.proposal_id)]
    other_judges_sheets = {a.id for j in judges if j.id != judge.id for a in _sheets_of(session, j)}
    login_as(world.organizer_a)
    url = f"/review/editions/{world.edition_a.id}/conflicts"
    for _sheet_id, proposal_id in pairs:
        response = client.post(url, data={"judge_id": judge.id, "proposal_id": proposal_id, "reason": "同事"})
        assert response.status_code == 302
    session.expire_all()
    remaining = {a.id for a in _sheets_of(session, judge)}
    assert pairs[0][0] in remaining and pairs[1][0] not in remaining  # the scored one waits for the organizer
    assert {a.id for j in judges if j.id != judge.id for a in _sheets_of(session, j)} == other_judges_sheets
    recorded = session.scalars(select(ConflictOfInterest).where(ConflictOfInterest.judge_id == judge.id)).all()
    assert {c.proposal_id for c in recorded} == {proposal_id for _sheet_id, proposal_id in pairs}
    assert all(c.declared_by_id == world.organizer_a.id for c in recorded)
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "conflict.declare")).all()
    assert len(entries) == 2 and all(e.actor_id == world.organizer_a.id for e in entries)
    page = client.get(url).get_data(as_text=True)
    assert "同事" in page and judge.display_name in page


def test_organizer_declaration_leaves_closed_rounds_alone(session, world, assigned):
    rnd, _proposals, judges = assigned
    sheet = _sheets_of(session, judges[0])[0]
    rnd.status = RoundStatus.CLOSED.value  # a closed round's sheets are history
    session.commit()
    panel.declare_conflict(
        session,
        actor=world.organizer_a,
        edition=world.edition_a,
        judge_id=judges[0].id,
        proposal_id=sheet.proposal_id,
        reason="事后发现",
    )
    session.commit()
    assert session.get(Assignment, sheet.id) is not None
    assert session.scalar(select(func.count()).select_from(ConflictOfInterest)) == 1


def test_organizer_declaration_checks_the_judge_and_the_proposal(session, world, make, assigned):
    _rnd, proposals, judges = assigned
    outsider = make.user("not_a_judge")
    other_edition_proposal = make.proposal(world.edition_b, submit=True, community_id=world.community_b.id)
    before = _snapshot(session)
    cases = [
        (world.organizer_a, outsider.id, proposals[0].id, "理由", DomainError, "评委"),
        (world.organizer_a, judges[0].id, other_edition_proposal.id, "理由", DomainError, "申报项目"),
        (world.organizer_a, judges[0].id, 0, "理由", DomainError, "申报项目"),
        (world.organizer_a, judges[0].id, proposals[0].id, " ", DomainError, "原因"),
        (world.organizer_b, judges[0].id, proposals[0].id, "理由", NotAllowed, "权限"),
        (judges[1], judges[0].id, proposals[0].id, "理由", NotAllowed, "权限"),
    ]
    for actor, judge_id, proposal_id, reason, error, message in cases:
        with pytest.raises(error, match=message):
            panel.declare_conflict(
                session,
                actor=actor,
                edition=world.edition_a,
                judge_id=judge_id,
                proposal_id=proposal_id,
                reason=reason,
            )
        session.rollback()
    assert _snapshot(session) == before


def test_conflicts_of_lists_the_editions_conflicts_newest_first(session, world, make, assigned):
    _rnd, proposals, judges = assigned
    for judge, proposal in ((judges[0], proposals[0]), (judges[1], proposals[1])):
        panel.declare_conflict(
            session,
            actor=world.organizer_a,
            edition=world.edition_a,
            judge_id=judge.id,
            proposal_id=proposal.id,
            reason=f"理由{judge.id}",
        )
        session.commit()
    listed = panel.conflicts_of(session, world.edition_a)
    assert [(c.judge_id, c.proposal_id) for c in listed] == [
        (judges[1].id, proposals[1].id),
        (judges[0].id, proposals[0].id),
    ]
    assert panel.conflicts_of(session, world.edition_b) == []


# --- reassignment -------------------------------------------------------------------------------------


def test_reassign_refuses_conflicted_busy_and_outside_judges(session, world, make, assigned):
    rnd, _proposals, judges = assigned
    sheet = _sheets_of(session, judges[0])[0]
    busy = next(j for j in _holders(session, rnd, sheet.proposal_id) if j != judges[0].id)
    declared = make.user("declared_judge")
    neighbour = make.user("neighbour_judge", community=world.community_a)  # lives where the proposal is
    outsider = make.user("outsider_judge")
    for user in (declared, neighbour):
        panel.add_judge(session, actor=world.organizer_a, edition=world.edition_a, login=user.username)
    session.add(ConflictOfInterest(edition_id=world.edition_a.id, judge_id=declared.id, proposal_id=sheet.proposal_id))
    session.commit()
    before = _snapshot(session)
    for judge_id, message in (
        (declared.id, "利益冲突"),
        (neighbour.id, "利益冲突"),
        (busy, "已经在评"),
        (outsider.id, "另一位"),
        (judges[0].id, "另一位"),
        (0, "另一位"),
    ):
        with pytest.raises(DomainError, match=message):
            panel.reassign(session, actor=world.organizer_a, assignment=sheet, judge_id=judge_id)
        session.rollback()
    free = make.user("free_judge")
    panel.add_judge(session, actor=world.organizer_a, edition=world.edition_a, login=free.username)
    session.commit()
    with pytest.raises(NotAllowed):
        panel.reassign(session, actor=world.organizer_b, assignment=sheet, judge_id=free.id)
    session.rollback()
    assert _snapshot(session)[0] == before[0]


def test_reassign_refuses_submitted_sheets_and_closed_rounds(session, world, make, assigned):
    rnd, _proposals, judges = assigned
    free = make.user("free_judge2")
    panel.add_judge(session, actor=world.organizer_a, edition=world.edition_a, login=free.username)
    session.commit()
    submitted, pending = _sheets_of(session, judges[1])[:2]
    _score(session, judges[1], submitted, submit=True)
    with pytest.raises(DomainError, match="已提交"):
        panel.reassign(session, actor=world.organizer_a, assignment=submitted, judge_id=free.id)
    session.rollback()
    rnd.status = RoundStatus.CLOSED.value
    session.commit()
    with pytest.raises(DomainError, match="已结束"):
        panel.reassign(session, actor=world.organizer_a, assignment=pending, judge_id=free.id)


def test_reassign_page_moves_the_sheet_clears_draft_points_and_audits_both_judges(
    client, login_as, session, world, make, assigned
):
    _rnd, _proposals, judges = assigned
    sheet = _sheets_of(session, judges[2])[0]
    _score(session, judges[2], sheet, submit=False)
    free = make.user("free_judge3", name="后备评委")
    panel.add_judge(session, actor=world.organizer_a, edition=world.edition_a, login=free.username)
    session.commit()
    login_as(world.organizer_a)
    page = client.get(f"/review/assignments/{sheet.id}/reassign")
    assert page.status_code == 200 and "后备评委" in page.get_data(as_text=True)
    response = client.post(f"/review/assignments/{sheet.id}/reassign", data={"judge_id": free.id})
    assert response.status_code == 302
    session.expire_all()
    moved = session.get(Assignment, sheet.id)
    assert moved.judge_id == free.id
    assert session.scalar(select(func.count()).select_from(Score).where(Score.assignment_id == sheet.id)) == 0
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "sheet.reassign"))
    assert (entry.actor_id, entry.before, entry.after) == (
        world.organizer_a.id,
        {"judge_id": judges[2].id},
        {"judge_id": free.id},
    )
    refused = client.post(f"/review/assignments/{sheet.id}/reassign", data={"judge_id": free.id})
    assert refused.status_code == 400 and "另一位" in refused.get_data(as_text=True)


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["organizer_b", "judge", "staff_a", "resident"])
def test_only_the_editions_organizer_reaches_the_conflict_and_reassign_pages(
    client, login_as, session, world, assigned, who
):
    _rnd, proposals, judges = assigned
    sheet = _sheets_of(session, judges[0])[0]
    actor = judges[0] if who == "judge" else getattr(world, who)
    before = _snapshot(session)
    login_as(actor)
    conflicts_url = f"/review/editions/{world.edition_a.id}/conflicts"
    assert client.get(conflicts_url).status_code == 403
    declaration = {"judge_id": judges[1].id, "proposal_id": proposals[0].id, "reason": "越权"}
    assert client.post(conflicts_url, data=declaration).status_code == 403
    assert client.get(f"/review/assignments/{sheet.id}/reassign").status_code == 403
    assert client.post(f"/review/assignments/{sheet.id}/reassign", data={"judge_id": judges[1].id}).status_code == 403
    assert _snapshot(session) == before


def test_conflict_pages_refuse_posts_without_csrf(client, login_as, session, world, assigned):
    _rnd, proposals, judges = assigned
    sheet = _sheets_of(session, judges[0])[0]
    before = _snapshot(session)
    login_as(world.organizer_a)
    declaration = {"judge_id": judges[1].id, "proposal_id": proposals[0].id, "reason": "同事"}
    assert (
        client.post(f"/review/editions/{world.edition_a.id}/conflicts", data=declaration, csrf=False).status_code == 400
    )
    login_as(judges[0])
    assert (
        client.post(f"/review/assignments/{sheet.id}/conflict", data={"reason": "亲属"}, csrf=False).status_code == 400
    )
    assert _snapshot(session) == before
