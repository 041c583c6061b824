"""Judging integrity checked where the score is written (issue 11, item 1): a judge in conflict with
a proposal, or whose judge role was revoked, can neither save nor submit, and closing a round
counts no such sheet. Conflicts withdraw sheets (saved or submitted) with the reason; revoking the
role withdraws open sheets and holds submitted ones until the organizer keeps or discards them."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.auth import service as auth_service
from grants.auth.models import Role, RoleGrant
from grants.editions.states import RoundStatus
from grants.errors import DomainError, NotAllowed
from grants.judging import closing, exports, panel, policy, sheets
from grants.judging.models import Assignment, ConflictOfInterest, RoundResult, Score
from grants.judging.states import SheetStatus
from tests.judging.helpers import split_total


def _sheets(session, rnd, *, judge=None, proposal_id=None) -> list[Assignment]:
    query = select(Assignment).where(Assignment.round_id == rnd.id).order_by(Assignment.id)
    if judge is not None:
        query = query.where(Assignment.judge_id == judge.id)
    if proposal_id is not None:
        query = query.where(Assignment.proposal_id == proposal_id)
    return list(session.scalars(query).unique())


def _fill(session, rnd, total: int, *, skip=()) -> None:
    """Submit every open sheet of the round with ``total`` points (sheets in ``skip`` left alone)."""
    for sheet in _sheets(session, rnd):
        if sheet.id in skip or sheet.status != SheetStatus.ASSIGNED:
            continue
        sheets.save_sheet(
            session, actor=sheet.judge, assignment=sheet, raw_points=split_total(rnd, total), comment="", submit=True
        )
    session.commit()


def _score(session, sheet, total: int, *, submit: bool) -> None:
    sheets.save_sheet(
        session,
        actor=sheet.judge,
        assignment=sheet,
        raw_points=split_total(sheet.round, total),
        comment="偏高的评语",
        submit=submit,
    )
    session.commit()


def _state(session) -> tuple:
    """What a refused request must leave alone: sheets, their points, and the audit log."""
    rows = tuple(
        session.execute(
            select(Assignment.id, Assignment.judge_id, Assignment.status, Assignment.comment).order_by(Assignment.id)
        ).all()
    )
    points = tuple(session.execute(select(Score.assignment_id, Score.points).order_by(Score.id)).all())
    return rows, points, session.scalar(select(func.count()).select_from(AuditEntry))


def _actions(session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _spare_judge(session, world, make, name: str):
    judge = make.user(name)
    panel.add_judge(session, actor=world.organizer_a, edition=world.edition_a, login=judge.username)
    session.commit()
    return judge


def _row_for(ranking, proposal_id):
    return next(r for r in ranking.rows if r.proposal_id == proposal_id)


# --- conflicts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("submit", [False, True], ids=["points-saved", "submitted"])
def test_conflict_after_scoring_withdraws_the_sheet_refuses_writes_and_closing_counts_it_not(
    client, login_as, session, world, make, assigned, submit
):
    rnd, _proposals, judges = assigned
    judge = judges[1]
    sheet = _sheets(session, rnd, judge=judge)[0]
    sheet_id, proposal_id = sheet.id, sheet.proposal_id
    _score(session, sheet, 100, submit=submit)  # far above the others' 50: counting it would show

    login_as(world.organizer_a)
    response = client.post(
        f"/review/editions/{world.edition_a.id}/conflicts",
        data={"judge_id": judge.id, "proposal_id": proposal_id, "reason": "申报人是评委的表弟"},
    )
    assert response.status_code == 302
    session.expire_all()
    sheet = session.get(Assignment, sheet_id)
    assert sheet.status == SheetStatus.WITHDRAWN
    assert (sheet.withdrawal_cause, sheet.withdrawal_reason, sheet.withdrawn_by_id) == (
        "conflict",
        "申报人是评委的表弟",
        world.organizer_a.id,
    )
    assert sheet.withdrawn_at is not None and sheet.judge_id == judge.id
    assert sum(s.points for s in sheet.scores) == 100  # kept as the record, never counted
    declared = _actions(session, "conflict.declare")[-1]
    assert declared.after["sheets_withdrawn"] == [sheet_id] and declared.after["sheets_removed"] == 0
    (withdrawal,) = _actions(session, "sheet.withdraw")
    assert (withdrawal.actor_id, withdrawal.object_id) == (world.organizer_a.id, sheet_id)
    assert withdrawal.before == {"status": "submitted" if submit else "assigned"}
    assert withdrawal.after == {"status": "withdrawn"} and "申报人是评委的表弟" in withdrawal.reason

    # The judge can neither save nor submit it, through the service or the page.
    before = _state(session)
    for action in ("save", "submit"):
        with pytest.raises(DomainError, match="利益冲突"):
            sheets.save_sheet(
                session,
                actor=judge,
                assignment=sheet,
                raw_points=split_total(rnd, 10),
                comment="",
                submit=action == "submit",
            )
        session.rollback()
    login_as(judge)
    page = client.get(f"/review/assignments/{sheet_id}")
    assert page.status_code == 200 and "已因利益冲突撤回" in page.get_data(as_text=True)
    assert 'name="action" value="submit"' not in page.get_data(as_text=True)
    form = {f"c{c.id}": "1" for c in rnd.criteria} | {"action": "submit"}
    refused = client.post(f"/review/assignments/{sheet_id}", data=form)
    assert refused.status_code == 400 and "利益冲突" in refused.get_data(as_text=True)
    assert f"/review/assignments/{sheet_id}" not in client.get("/review/queue").get_data(as_text=True)
    assert not policy.can_score(judge, sheet)
    assert _state(session) == before

    # The preview counts the two other judges only; closing refuses, naming the sheet to reassign.
    _fill(session, rnd, 50)
    ranking = closing.rank_round(session, rnd)
    assert _row_for(ranking, proposal_id).judges == 2 and _row_for(ranking, proposal_id).raw_score == 50
    assert [s.assignment_id for s in ranking.withdrawn] == [sheet_id]
    with pytest.raises(DomainError, match="请先改派") as refused_close:
        closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    assert judge.display_name in str(refused_close.value) and sheet.proposal.title in str(refused_close.value)
    session.rollback()
    assert session.get(type(rnd), rnd.id).status == RoundStatus.OPEN

    # Reassigned to a judge without a conflict and scored, the round closes without the withdrawn points.
    spare = _spare_judge(session, world, make, "spare_after_conflict")
    login_as(world.organizer_a)
    assert client.post(f"/review/assignments/{sheet_id}/reassign", data={"judge_id": spare.id}).status_code == 302
    session.expire_all()
    sheet = session.get(Assignment, sheet_id)
    assert (sheet.status, sheet.judge_id, sheet.withdrawal_cause, sheet.scores) == ("assigned", spare.id, None, [])
    assert [e.object_id for e in _actions(session, "sheet.replace")] == [sheet_id]
    _fill(session, rnd, 50)
    closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    result = session.scalar(
        select(RoundResult).where(RoundResult.round_id == rnd.id, RoundResult.proposal_id == proposal_id)
    )
    assert (result.judges, result.raw_score) == (3, Decimal(50))


def test_a_conflict_found_while_the_round_was_closed_is_not_counted_after_reopening(session, world, assigned):
    rnd, _proposals, judges = assigned
    _fill(session, rnd, 50)
    sheet = _sheets(session, rnd, judge=judges[0])[0]
    closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    panel.declare_conflict(
        session,
        actor=world.organizer_a,
        edition=world.edition_a,
        judge_id=judges[0].id,
        proposal_id=sheet.proposal_id,
        reason="结束后才发现",
    )
    closing.reopen_round(session, actor=world.organizer_a, rnd=rnd, reason="处理利益冲突")
    session.commit()
    assert session.get(Assignment, sheet.id).status == SheetStatus.SUBMITTED  # a closed round was history
    ranking = closing.rank_round(session, rnd)
    assert _row_for(ranking, sheet.proposal_id).judges == 2
    assert [s.assignment_id for s in ranking.withdrawn] == [sheet.id]
    raw = exports.raw_sheets(session, rnd).rows
    assert raw and not [r for r in raw if (r[2], r[4]) == (sheet.proposal_id, judges[0].id)]
    with pytest.raises(DomainError, match="请先改派"):
        closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)


def test_a_panel_round_closes_without_the_withdrawn_sheet(session, world, scoring):
    rnd, _proposals, judges = scoring
    rnd.mode = "panel"
    sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)
    rnd.status = RoundStatus.OPEN.value
    session.commit()
    sheet = _sheets(session, rnd, judge=judges[2])[0]
    _score(session, sheet, 100, submit=True)
    panel.declare_conflict(
        session,
        actor=world.organizer_a,
        edition=world.edition_a,
        judge_id=judges[2].id,
        proposal_id=sheet.proposal_id,
        reason="合作伙伴",
    )
    session.commit()
    _fill(session, rnd, 40)
    closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    result = session.scalar(
        select(RoundResult).where(RoundResult.round_id == rnd.id, RoundResult.proposal_id == sheet.proposal_id)
    )
    assert (result.judges, result.raw_score) == (len(judges) - 1, Decimal(40))


def test_conflicted_judge_is_refused_even_before_any_withdrawal(session, world, assigned):
    """can_score and save_sheet look the conflict up themselves, not only the sheet's status."""
    rnd, _proposals, judges = assigned
    sheet = _sheets(session, rnd, judge=judges[0])[0]
    session.add(
        ConflictOfInterest(
            edition_id=world.edition_a.id, judge_id=judges[0].id, proposal_id=sheet.proposal_id, reason="直接写入"
        )
    )
    session.commit()
    assert policy.can_open_sheet(judges[0], sheet) and not policy.can_score(judges[0], sheet)
    with pytest.raises(DomainError, match="利益冲突"):
        sheets.save_sheet(
            session, actor=judges[0], assignment=sheet, raw_points=split_total(rnd, 10), comment="", submit=True
        )


def test_proxy_entry_and_sheet_import_refuse_a_withdrawn_sheet(client, login_as, session, world, assigned):
    rnd, _proposals, judges = assigned
    sheet = _sheets(session, rnd, judge=judges[3])[0]
    _score(session, sheet, 30, submit=False)
    panel.declare_conflict(
        session,
        actor=world.organizer_a,
        edition=world.edition_a,
        judge_id=judges[3].id,
        proposal_id=sheet.proposal_id,
        reason="同一单位",
    )
    session.commit()
    before = _state(session)
    login_as(world.organizer_a)
    page = client.get(f"/review/assignments/{sheet.id}/proxy")
    assert page.status_code == 200 and "已因利益冲突撤回" in page.get_data(as_text=True)
    form = {f"c{c.id}": "1" for c in rnd.criteria} | {"action": "submit"}
    refused = client.post(f"/review/assignments/{sheet.id}/proxy", data=form)
    assert refused.status_code == 400 and "利益冲突" in refused.get_data(as_text=True)
    header = "评委,项目编号," + ",".join(c.name for c in rnd.criteria)
    row = f"{judges[3].username},{sheet.proposal_id}," + ",".join("1" for _c in rnd.criteria)
    table = panel.read_table(f"{header}\n{row}\n".encode(), "sheets.csv")
    with pytest.raises(panel.ImportRejected) as caught:
        panel.import_sheets(session, actor=world.organizer_a, rnd=rnd, table=table)
    assert "第2行" in caught.value.problems[0] and "利益冲突" in caught.value.problems[0]
    session.rollback()
    assert _state(session) == before


# --- revoked judges -----------------------------------------------------------------------------------


@pytest.fixture
def revoked(client, login_as, session, world, assigned):
    """judges[2] submitted one sheet and saved points on another; the organizer then revokes the role."""
    rnd, _proposals, judges = assigned
    judge = judges[2]
    submitted, drafted, *untouched = _sheets(session, rnd, judge=judge)
    _score(session, submitted, 100, submit=True)
    _score(session, drafted, 20, submit=False)
    grant = session.scalar(select(RoleGrant).where(RoleGrant.user_id == judge.id, RoleGrant.role == Role.JUDGE.value))
    login_as(world.organizer_a)
    assert client.post(f"/admin/roles/{grant.id}/revoke").status_code == 302
    session.expire_all()
    return rnd, judge, session.get(Assignment, submitted.id), [drafted.id] + [s.id for s in untouched]


def test_revoking_the_role_withdraws_open_sheets_and_holds_submitted_ones(session, world, revoked):
    rnd, judge, held, open_ids = revoked
    assert held.status == SheetStatus.HELD and held.withdrawal_cause == "role_revoked"
    assert held.withdrawn_by_id == world.organizer_a.id and judge.display_name in held.withdrawal_reason
    for sheet_id in open_ids:
        sheet = session.get(Assignment, sheet_id)
        assert (sheet.status, sheet.withdrawal_cause, sheet.judge_id) == ("withdrawn", "role_revoked", judge.id)
    assert [e.object_id for e in _actions(session, "sheet.hold")] == [held.id]
    table = exports.judge_sheet(session, rnd, judge.id)
    status_column = table.headers.index("状态")
    statuses = {row[0]: row[status_column] for row in table.rows}
    assert statuses[held.proposal_id] == "评审资格已撤销" and set(statuses.values()) == {"评审资格已撤销", "已撤回"}
    assert sorted(e.object_id for e in _actions(session, "sheet.withdraw")) == sorted(open_ids)
    assert all(e.actor_id == world.organizer_a.id for e in _actions(session, "sheet.withdraw"))
    assert len(_actions(session, "role.revoke")) == 1
    progress = {
        j.id: (assigned, submitted, len(missing))
        for j, assigned, submitted, missing in sheets.progress_by_judge(session, rnd)
    }
    assert progress[judge.id] == (1 + len(open_ids), 0, 0)  # nothing of theirs counts, nothing left to remind
    # Other judges' sheets are untouched.
    others = [s for s in _sheets(session, rnd) if s.judge_id != judge.id]
    assert {s.status for s in others} == {"assigned"} and all(s.withdrawal_cause is None for s in others)


def test_a_revoked_judge_has_an_empty_queue_and_cannot_open_or_post_a_sheet(client, login_as, session, revoked):
    rnd, judge, held, open_ids = revoked
    before = _state(session)
    login_as(judge)
    queue = client.get("/review/queue").get_data(as_text=True)
    assert "目前没有需要您评分的项目" in queue
    form = {f"c{c.id}": "1" for c in rnd.criteria} | {"action": "submit"}
    for sheet_id in [held.id, *open_ids]:
        assert client.get(f"/review/assignments/{sheet_id}").status_code == 403
        assert client.post(f"/review/assignments/{sheet_id}", data=form).status_code == 403
        assert client.post(f"/review/assignments/{sheet_id}/conflict", data={"reason": "x"}).status_code == 403
    session.expire_all()
    judge = session.get(type(judge), judge.id)
    sheet = session.get(Assignment, open_ids[0])
    assert not policy.can_open_sheet(judge, sheet) and not policy.can_score(judge, sheet)
    with pytest.raises(DomainError, match="撤回"):
        sheets.save_sheet(
            session, actor=judge, assignment=sheet, raw_points=split_total(rnd, 10), comment="", submit=True
        )
    session.rollback()
    assert _state(session) == before


def test_a_held_sheet_is_not_counted_until_the_organizer_decides(client, login_as, session, world, revoked):
    rnd, judge, held, _open_ids = revoked
    _fill(session, rnd, 50)
    ranking = closing.rank_round(session, rnd)
    assert _row_for(ranking, held.proposal_id).raw_score == 50  # the held 100 points are not in it
    assert [s.assignment_id for s in ranking.held] == [held.id]
    with pytest.raises(DomainError, match="保留或作废") as refused:
        closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    assert judge.display_name in str(refused.value)
    session.rollback()
    login_as(world.organizer_a)
    for url in (f"/review/rounds/{rnd.id}/results", f"/review/rounds/{rnd.id}/sheets"):
        body = client.get(url).get_data(as_text=True)
        assert "不计分的评分表" in body and f"/review/assignments/{held.id}/decide" in body
        assert "评审资格已撤销" in body


def test_the_organizer_keeps_a_held_sheet_and_it_counts(client, login_as, session, world, revoked):
    rnd, _judge, held, _open_ids = revoked
    login_as(world.organizer_a)
    missing_reason = client.post(f"/review/assignments/{held.id}/decide", data={"action": "keep", "reason": " "})
    assert missing_reason.status_code == 302
    session.expire_all()
    assert session.get(Assignment, held.id).status == SheetStatus.HELD
    response = client.post(
        f"/review/assignments/{held.id}/decide", data={"action": "keep", "reason": "撤销前已认真评完"}
    )
    assert response.status_code == 302
    session.expire_all()
    kept = session.get(Assignment, held.id)
    assert kept.status == SheetStatus.SUBMITTED
    (entry,) = _actions(session, "sheet.keep")
    assert (entry.actor_id, entry.object_id, entry.reason) == (world.organizer_a.id, held.id, "撤销前已认真评完")
    assert entry.before == {"status": "held"} and entry.after == {"status": "submitted"}
    row = _row_for(closing.rank_round(session, rnd), held.proposal_id)
    assert row.judges == 1 and row.raw_score == 100  # only the kept sheet is submitted so far


def test_the_organizer_discards_a_held_sheet_and_it_must_be_reassigned(client, login_as, session, world, make, revoked):
    rnd, _judge, held, open_ids = revoked
    login_as(world.organizer_a)
    response = client.post(f"/review/assignments/{held.id}/decide", data={"action": "discard", "reason": "资格撤销"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Assignment, held.id).status == SheetStatus.WITHDRAWN
    (entry,) = _actions(session, "sheet.discard")
    assert (entry.actor_id, entry.reason, entry.after) == (world.organizer_a.id, "资格撤销", {"status": "withdrawn"})
    again = client.post(f"/review/assignments/{held.id}/decide", data={"action": "keep", "reason": "反悔"})
    assert again.status_code == 302 and session.get(Assignment, held.id).status == SheetStatus.WITHDRAWN
    _fill(session, rnd, 50)
    with pytest.raises(DomainError, match="请先改派"):
        closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    session.rollback()
    spares = [_spare_judge(session, world, make, f"spare_{i}") for i in range(2)]
    for sheet_id in [held.id, *open_ids]:
        sheet = session.get(Assignment, sheet_id)
        spare = next(
            s for s in spares if s.id not in {a.judge_id for a in _sheets(session, rnd, proposal_id=sheet.proposal_id)}
        )
        panel.reassign(session, actor=world.organizer_a, assignment=sheet, judge_id=spare.id)
        session.commit()
    _fill(session, rnd, 50)
    results = closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    assert {r.raw_score for r in results} == {Decimal(50)} and {r.judges for r in results} == {3}


def test_revoking_another_role_or_in_another_edition_leaves_sheets_alone(session, world, make, assigned):
    rnd, _proposals, judges = assigned
    judge = judges[1]
    other = auth_service.grant_role(
        session, actor=world.organizer_b, user=judge, role=Role.JUDGE, scope=world.edition_b
    )
    staff = auth_service.grant_role(
        session, actor=world.organizer_a, user=judge, role=Role.COMMUNITY_STAFF, scope=world.community_a
    )
    session.commit()
    before = {s.id: s.status for s in _sheets(session, rnd, judge=judge)}
    auth_service.revoke_role(session, actor=world.organizer_b, grant=other)
    auth_service.revoke_role(session, actor=world.organizer_a, grant=staff)
    session.commit()
    assert {s.id: s.status for s in _sheets(session, rnd, judge=judge)} == before
    assert not _actions(session, "sheet.withdraw")


# --- who may decide -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["organizer_b", "judge_a", "staff_a", "resident", "revoked_judge"])
def test_only_the_editions_organizer_decides_on_a_held_sheet(client, login_as, session, world, revoked, who):
    _rnd, judge, held, _open_ids = revoked
    actor = judge if who == "revoked_judge" else getattr(world, who)
    before = _state(session)
    login_as(actor)
    for action in ("keep", "discard"):
        response = client.post(f"/review/assignments/{held.id}/decide", data={"action": action, "reason": "越权"})
        assert response.status_code == 403
    from grants.judging import integrity

    with pytest.raises(NotAllowed):
        integrity.decide_held_sheet(session, actor=actor, assignment=held, keep=True, reason="越权")
    session.rollback()
    assert _state(session) == before


def test_decide_refuses_posts_without_csrf_and_unknown_actions(client, login_as, session, world, revoked):
    _rnd, _judge, held, _open_ids = revoked
    before = _state(session)
    login_as(world.organizer_a)
    assert (
        client.post(
            f"/review/assignments/{held.id}/decide", data={"action": "keep", "reason": "x"}, csrf=False
        ).status_code
        == 400
    )
    response = client.post(f"/review/assignments/{held.id}/decide", data={"action": "delete", "reason": "x"})
    assert response.status_code == 302
    assert "请选择保留或作废" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _state(session) == before


def test_another_judge_cannot_open_or_write_someone_elses_sheet(client, login_as, session, assigned):
    rnd, _proposals, judges = assigned
    sheet = _sheets(session, rnd, judge=judges[0])[0]
    before = _state(session)
    login_as(judges[1])
    assert client.get(f"/review/assignments/{sheet.id}").status_code == 403
    form = {f"c{c.id}": "1" for c in rnd.criteria} | {"action": "submit"}
    assert client.post(f"/review/assignments/{sheet.id}", data=form).status_code == 403
    assert not policy.can_open_sheet(judges[1], sheet) and not policy.can_score(judges[1], sheet)
    assert _state(session) == before


def test_can_score_needs_an_open_round_and_an_unsubmitted_sheet(session, world, assigned):
    rnd, _proposals, judges = assigned
    first, second = _sheets(session, rnd, judge=judges[0])[:2]
    assert policy.can_score(judges[0], first)
    _score(session, first, 10, submit=True)
    assert policy.can_open_sheet(judges[0], first) and not policy.can_score(judges[0], first)
    rnd.status = RoundStatus.CLOSED.value
    session.commit()
    assert not policy.can_score(judges[0], second)


def test_the_auth_layer_does_not_import_judging():
    code = "import sys, grants.auth.service, grants.auth.policy; print('grants.judging' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
