"""Scoring rounds: assigning judges, score sheets, locking, and who may see what."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.errors import DomainError, NotAllowed
from grants.judging import sheets
from grants.judging.models import Assignment, ConflictOfInterest, Score


def test_assignment_gives_k_judges_each_with_balanced_load_and_no_conflicts(session, world, scoring):
    rnd, proposals, judges = scoring
    session.add(
        ConflictOfInterest(edition_id=rnd.edition_id, judge_id=judges[1].id, proposal_id=proposals[0].id, reason="亲属")
    )
    session.flush()
    assert sheets.assign_round(session, actor=world.organizer_a, rnd=rnd) == 18
    rows = session.scalars(select(Assignment)).all()
    per_proposal = {p.id: [a.judge_id for a in rows if a.proposal_id == p.id] for p in proposals}
    assert all(len(set(js)) == 3 for js in per_proposal.values())
    assert judges[1].id not in per_proposal[proposals[0].id]
    loads = [sum(1 for a in rows if a.judge_id == j.id) for j in judges]
    assert max(loads) - min(loads) <= 1
    assert sheets.assign_round(session, actor=world.organizer_a, rnd=rnd) == 0  # idempotent
    with pytest.raises(NotAllowed):
        sheets.assign_round(session, actor=world.organizer_b, rnd=rnd)


def test_judge_living_in_the_community_is_never_assigned(session, world, scoring, make):
    rnd, _proposals, judges = scoring
    judges[0].community_id = world.community_a.id  # every proposal is in community A
    session.flush()
    sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)
    assert session.scalar(select(func.count()).select_from(Assignment).where(Assignment.judge_id == judges[0].id)) == 0


def test_sheet_rules(session, world, scoring):
    rnd, _proposals, judges = scoring
    sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)
    assignment = session.scalars(select(Assignment).where(Assignment.judge_id == judges[0].id)).first()
    criteria = rnd.criteria
    full = {c.id: str(c.max_points) for c in criteria}
    with pytest.raises(DomainError, match="没有在进行中"):
        sheets.save_sheet(session, actor=judges[0], assignment=assignment, raw_points=full, comment="", submit=True)
    rnd.status = "open"  # opened through the round machine on the pages; only the fact matters here
    session.flush()
    with pytest.raises(NotAllowed):
        sheets.save_sheet(session, actor=judges[1], assignment=assignment, raw_points=full, comment="", submit=False)
    for bad in ("-1", str(criteria[0].max_points + 1), "abc", "1.234"):
        with pytest.raises(DomainError):
            sheets.save_sheet(
                session,
                actor=judges[0],
                assignment=assignment,
                raw_points={criteria[0].id: bad},
                comment="",
                submit=False,
            )
    sheets.save_sheet(
        session,
        actor=judges[0],
        assignment=assignment,
        raw_points={criteria[0].id: "12.5"},
        comment="需求清楚",
        submit=False,
    )
    with pytest.raises(DomainError, match="请为"):
        sheets.save_sheet(
            session,
            actor=judges[0],
            assignment=assignment,
            raw_points={criteria[0].id: "12.5"},
            comment="",
            submit=True,
        )
    sheets.save_sheet(session, actor=judges[0], assignment=assignment, raw_points=full, comment="很好", submit=True)
    assert assignment.status == "submitted" and assignment.submitted_at is not None
    assert sum(s.points for s in assignment.scores) == rnd.max_total
    with pytest.raises(DomainError, match="锁定"):
        sheets.save_sheet(session, actor=judges[0], assignment=assignment, raw_points=full, comment="", submit=False)
    with pytest.raises(DomainError, match="原因"):
        sheets.unlock_sheet(session, actor=world.organizer_a, assignment=assignment, reason="")
    sheets.unlock_sheet(session, actor=world.organizer_a, assignment=assignment, reason="评委要求更正")
    assert assignment.status == "assigned"
    assert session.scalar(select(func.count()).select_from(Score).where(Score.assignment_id == assignment.id)) == len(
        criteria
    )  # unlocking discards no score


def test_judge_pages_show_only_own_sheets(client, login_as, world, session, scoring):
    rnd, _proposals, judges = scoring
    sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    login_as(world.organizer_a)
    assert client.post(f"/review/rounds/{rnd.id}/start").status_code == 302
    mine = session.scalars(select(Assignment).where(Assignment.judge_id == judges[0].id)).all()
    theirs = session.scalars(select(Assignment).where(Assignment.judge_id == judges[1].id)).first()
    login_as(judges[0])
    body = client.get("/review/queue").get_data(as_text=True)
    assert f"已完成 0 / {len(mine)}" in body
    assert client.get(f"/review/assignments/{theirs.id}").status_code == 403
    data = {f"c{c.id}": str(c.max_points) for c in rnd.criteria}
    data[f"c{rnd.criteria[0].id}"] = "999"
    response = client.post(f"/review/assignments/{mine[0].id}", data={**data, "action": "submit"})
    assert response.status_code == 400 and "之间" in response.get_data(as_text=True)
    data[f"c{rnd.criteria[0].id}"] = "10"
    response = client.post(f"/review/assignments/{mine[0].id}", data={**data, "action": "submit", "comment": "好"})
    assert response.status_code == 302
    # Another judge's sheet on a proposal both score stays invisible: its comment never shows.
    shared = next(
        a
        for a in mine
        if session.scalar(
            select(Assignment).where(Assignment.proposal_id == a.proposal_id, Assignment.judge_id != judges[0].id)
        )
    )
    other = session.scalar(
        select(Assignment).where(Assignment.proposal_id == shared.proposal_id, Assignment.judge_id != judges[0].id)
    )
    sheets.save_sheet(session, actor=other.judge, assignment=other, raw_points={}, comment="别人的评语", submit=False)
    session.commit()
    assert "别人的评语" not in client.get(f"/review/assignments/{shared.id}").get_data(as_text=True)
    login_as(world.organizer_a)
    assert "评分进度" in client.get(f"/review/rounds/{rnd.id}/sheets").get_data(as_text=True)
    login_as(world.organizer_b)
    assert client.get(f"/review/rounds/{rnd.id}/sheets").status_code == 403
    assert client.post(f"/review/rounds/{rnd.id}/assign").status_code == 403
    assert client.post(f"/review/assignments/{mine[0].id}/unlock", data={"reason": "x"}).status_code == 403
    login_as(world.resident)
    assert client.get(f"/review/assignments/{mine[0].id}").status_code == 403


def _row(id_: int, status: str) -> sheets.QueueRow:
    return sheets.QueueRow(id=id_, status=status, title=f"项目{id_}", round_name="初审", has_scores=False)


def test_the_next_sheet_to_score_follows_the_queue_and_wraps_round_to_the_first():
    queue = [_row(1, "submitted"), _row(2, "assigned"), _row(3, "submitted"), _row(4, "assigned")]
    following, left = sheets.next_to_score(queue, 2)
    assert following.id == 4 and left == 1  # the first still to score after it
    following, left = sheets.next_to_score(queue, 4)
    assert following.id == 2 and left == 1  # none after it: the first before it
    following, left = sheets.next_to_score(queue, 3)
    assert following.id == 4 and left == 2
    following, left = sheets.next_to_score(queue, 99)
    assert following.id == 2 and left == 2  # not in the queue (any more): from the start
    assert sheets.next_to_score([_row(1, "submitted"), _row(2, "assigned")], 2) == (None, 0)  # only itself left
    assert sheets.next_to_score([_row(1, "submitted")], 1) == (None, 0)
    assert sheets.next_to_score([], 1) == (None, 0)


def _started_round_signed_in_as_first_judge(client, login_as, world, session, scoring):
    """The round assigned and started by the organizer; the first judge signed in. Returns the
    round and the judge's sheets in the queue's order."""
    rnd, _proposals, judges = scoring
    sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    login_as(world.organizer_a)
    assert client.post(f"/review/rounds/{rnd.id}/start").status_code == 302
    mine = session.scalars(
        select(Assignment).where(Assignment.judge_id == judges[0].id).order_by(Assignment.proposal_id)
    ).all()
    login_as(judges[0])
    return rnd, mine


def test_a_submitted_sheet_opens_the_judges_next_sheet_until_all_are_in(client, login_as, world, session, scoring):
    rnd, mine = _started_round_signed_in_as_first_judge(client, login_as, world, session, scoring)
    assert len(mine) >= 3
    full = {f"c{c.id}": str(c.max_points) for c in rnd.criteria} | {"comment": "好", "action": "submit"}
    # Saving without submitting stays on the sheet.
    response = client.post(f"/review/assignments/{mine[1].id}", data={**full, "action": "save"})
    assert response.headers["Location"].endswith(f"/review/assignments/{mine[1].id}")
    # Submitting the second opens the third, and so on to the last, then the first (wrapping round).
    expected = [*mine[2:], mine[0]]
    current = mine[1]
    for left, following in zip(range(len(mine) - 1, 0, -1), expected, strict=True):
        response = client.post(f"/review/assignments/{current.id}", data=full)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/review/assignments/{following.id}")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert f"评分已提交。这是下一份待评分的项目（还有{left}份）。" in page
        current = following
    response = client.post(f"/review/assignments/{current.id}", data=full)
    assert response.headers["Location"].endswith("/review/queue")
    page = client.get("/review/queue").get_data(as_text=True)
    assert "评分已提交。您的评分表已全部提交。" in page and f"已完成 {len(mine)} / {len(mine)}" in page


def test_the_next_sheet_message_reads_in_english(client, login_as, world, session, scoring):
    rnd, mine = _started_round_signed_in_as_first_judge(client, login_as, world, session, scoring)
    client.post("/language", data={"lang": "en", "next": "/"})
    full = {f"c{c.id}": str(c.max_points) for c in rnd.criteria} | {"comment": "good", "action": "submit"}
    response = client.post(f"/review/assignments/{mine[0].id}", data=full, follow_redirects=True)
    assert f"Scores submitted. Here is the next proposal to score ({len(mine) - 1} left)." in response.get_data(
        as_text=True
    )
