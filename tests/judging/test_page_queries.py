"""The pages judges and organizers open most load only what they show (issue 12 item 9)."""

from __future__ import annotations

from sqlalchemy import select

from grants.judging.models import Assignment

# Every signed-in page: the user with their roles and the count of unread messages in the menu, in one query.
USER = 1


def test_judge_queue_is_one_query_for_all_its_rows(client, login_as, session, world, assigned, query_counter):
    _rnd, proposals, judges = assigned
    judge = judges[0]
    mine = session.scalars(select(Assignment).where(Assignment.judge_id == judge.id)).all()
    assert len(mine) >= 3
    login_as(judge)
    with query_counter() as statements:
        body = client.get("/review/queue").get_data(as_text=True)
    # the user, the queue rows, the organizer's reminders: no loading per row
    assert len(statements) == USER + 2, statements
    titles = {p.id: p.title for p in proposals}
    assert all(titles[a.proposal_id] in body for a in mine)
    assert f"已完成 0 / {len(mine)}" in body
    assert body.count("申报利益冲突") == len(mine)  # nothing scored yet


def test_round_results_page_has_a_fixed_query_budget(client, login_as, session, world, assigned, query_counter):
    rnd, _proposals, _judges = assigned
    url = f"/review/rounds/{rnd.id}/results"
    login_as(world.organizer_a)
    with query_counter() as statements:
        body = client.get(url).get_data(as_text=True)
    assert "评分进度" in body
    # was 34 on the demo: every sheet loaded its proposal, team, budget, plan, attachments and judge;
    # one more since the page lists the sheets that do not count (withdrawn or held)
    assert len(statements) <= USER + 13, statements  # was USER + 15: the edition's rounds in one query
    assert not any("team_members" in s or "budget_lines" in s or "scores.criterion_id" in s for s in statements)
    assert not [s for s in statements if "edition_categories.edition_id IN" in s]  # not through the round


def test_the_sheet_page_loads_no_role_or_category_rows_through_the_graph(
    client, login_as, session, world, assigned, query_counter
):
    _rnd, _proposals, judges = assigned
    sheet = session.scalars(select(Assignment).where(Assignment.judge_id == judges[0].id)).first()
    sheet_id, title = sheet.id, sheet.proposal.title
    client = login_as(judges[0])
    client.get(f"/review/assignments/{sheet_id}")
    # As in production, the request starts from an empty session (the test's shares the app context).
    session.close()
    with query_counter() as statements:
        body = client.get(f"/review/assignments/{sheet_id}").get_data(as_text=True)
    assert title in body
    # The judge's roles come with the user; neither they nor the edition's categories are loaded
    # again through the sheet's object graph (assignment → judge → roles → editions → categories).
    assert not [s for s in statements if "role_grants.user_id IN" in s]
    assert not [s for s in statements if "edition_categories.edition_id IN" in s]
    # The proposal's body is kept rendered per submitted version (grants/proposals/rendered.py): a
    # second visit reads no team, plan or budget rows; the sheet itself is the assignment with its
    # round and proposal, criteria, scores, attachments and the conflict check.
    assert not [s for s in statements if "team_members" in s or "activity_plan_items" in s or "budget_lines" in s]
    assert len(statements) <= USER + 5, statements


def test_a_closed_round_shows_its_stored_results_without_ranking_again(
    client, login_as, session, world, final_closed, query_counter, monkeypatch
):
    from grants.editions.service import rounds_of
    from grants.judging import closing

    _edition, final, proposals = final_closed
    titles = {p.id: p.title for p in proposals}
    for rnd in rounds_of(session, final.edition_id)[1:]:  # both scoring rounds, closed
        # What the page showed when it ranked the round again on each visit.
        preview = closing.rank_round(session, rnd)
        figures = closing.closed_round(session, rnd)
        assert (figures.judge_means, figures.round_mean, figures.combined) == (
            preview.judge_means,
            preview.round_mean,
            preview.combined,
        )
        assert [r.id for r in figures.rows] == [r.id for r in closing.stored_results(session, rnd)]
        assert [r.proposal_id for r in figures.rows] == [r.proposal_id for r in preview.rows]

    def ranked_again(*_args, **_kwargs):
        raise AssertionError("a closed round's page ranks it again")

    monkeypatch.setattr(closing, "rank_round", ranked_again)
    login_as(world.organizer_a)
    with query_counter() as statements:
        body = client.get(f"/review/rounds/{final.id}/results").get_data(as_text=True)
    assert "本轮结果" in body and "评委打分尺度" in body
    stored = closing.stored_results(session, final)
    positions = [body.index(titles[r.proposal_id]) for r in stored]
    assert positions == sorted(positions)  # in the stored rank order
    # the user, the round, its progress and sheets, the stored results with their proposals'
    # labels, the judges' totals, the edition's rounds and the sheets that do not count
    assert len(statements) <= USER + 8, statements
