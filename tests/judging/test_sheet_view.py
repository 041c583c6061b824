"""The judge's score sheet page reads a model shaped for it (grants/judging/reading.py): the same
page as from the assignment's object graph, in fewer queries, with every check still made."""

from __future__ import annotations

from sqlalchemy import select

from grants.judging import reading, sheets
from grants.judging.models import Assignment, ConflictOfInterest

USER = 1  # the signed-in user with their roles and unread count (grants/auth/sessions.py)


def _first_sheet(session, judge) -> Assignment:
    return session.scalars(select(Assignment).where(Assignment.judge_id == judge.id).order_by(Assignment.id)).first()


def test_the_sheet_page_is_three_queries_of_columns_and_shows_what_was_entered(
    client, login_as, session, world, assigned, query_counter
):
    _rnd, _proposals, judges = assigned
    judge = judges[0]
    sheet = _first_sheet(session, judge)
    criteria = sheet.round.criteria
    points = {c.id: str(c.max_points - 1) for c in criteria}
    sheets.save_sheet(session, actor=judge, assignment=sheet, raw_points=points, comment="预算<清楚>", submit=False)
    session.commit()
    sheet_id, title = sheet.id, sheet.proposal.title
    entered = {criterion_id: str(value) for criterion_id, value in sheet.points_by_criterion().items()}
    assert len(entered) == len(criteria) > 0
    login_as(judge)
    client.get(f"/review/assignments/{sheet_id}")
    session.close()
    with query_counter() as statements:
        body = client.get(f"/review/assignments/{sheet_id}").get_data(as_text=True)
    # the sheet with its round, proposal, names and conflict check; criteria with points; attachments
    assert len(statements) == USER + 3, statements
    assert title in body and "预算&lt;清楚&gt;" in body
    for criterion_id, value in entered.items():
        assert f'name="c{criterion_id}" data-points' in body and f'value="{value}"' in body


def test_the_read_model_answers_as_the_assignment_does(session, world, assigned):
    _rnd, _proposals, judges = assigned
    sheet = _first_sheet(session, judges[0])
    view = reading.sheet_view(session, sheet.id)
    assert (view.id, view.judge_id, view.proposal_id, view.status) == (
        sheet.id,
        sheet.judge_id,
        sheet.proposal_id,
        sheet.status,
    )
    assert view.round.edition_id == sheet.round.edition_id and view.round.max_total == sheet.round.max_total
    assert [c.id for c in view.round.criteria] == [c.id for c in sheet.round.criteria]
    assert view.points_by_criterion() == sheet.points_by_criterion()
    assert view.proposal.community.full_name == sheet.proposal.community.full_name
    assert view.proposal.applicant.display_name == sheet.proposal.applicant.display_name
    assert view.judge is sheet.judge
    assert reading.sheet_view(session, 10**9) is None


def test_a_declared_conflict_still_blocks_the_sheet_page(client, login_as, session, world, assigned):
    rnd, _proposals, judges = assigned
    judge = judges[0]
    sheet = _first_sheet(session, judge)
    # Declared without withdrawing the sheet: the page finds the conflict itself.
    session.add(ConflictOfInterest(edition_id=rnd.edition_id, judge_id=judge.id, proposal_id=sheet.proposal_id))
    session.commit()
    body = login_as(judge).get(f"/review/assignments/{sheet.id}").get_data(as_text=True)
    assert "评委与这个项目有利益冲突，不能保存或提交评分。" in body
    assert 'id="score"' not in body


def test_another_judges_sheet_and_a_missing_one_are_refused(client, login_as, session, world, assigned):
    _rnd, _proposals, judges = assigned
    sheet = _first_sheet(session, judges[0])
    assert login_as(judges[1]).get(f"/review/assignments/{sheet.id}").status_code == 403
    assert login_as(world.organizer_a).get(f"/review/assignments/{sheet.id}").status_code == 403
    assert login_as(judges[0]).get("/review/assignments/999999").status_code == 404


def test_numbers_no_score_can_be_come_back_with_a_message_and_the_typed_total(
    client, login_as, session, world, assigned
):
    _rnd, _proposals, judges = assigned
    judge = judges[0]
    sheet = _first_sheet(session, judge)
    first, *others = sheet.round.criteria
    login_as(judge)
    for bad in ("NaN", "1e309", "-Infinity", "1e999999", "abc"):
        typed = {f"c{first.id}": bad, **{f"c{c.id}": "2" for c in others}}
        response = client.post(f"/review/assignments/{sheet.id}", data={**typed, "action": "save"})
        body = response.get_data(as_text=True)
        assert response.status_code == 400, bad
        assert f"“{first.name}”的分数" in body and f'value="{bad}"' in body  # the message, and what was typed
        assert f'<output id="sheet-total" aria-live="polite">{2 * len(others)}.00</output>' in body
    session.expire_all()
    assert session.get(Assignment, sheet.id).points_by_criterion() == {}
