"""Residents see where they stand: each proposal's real stage from round results, the notice and
the grant, on 我的申报 and the proposal's page (issue 12, item 3)."""

from __future__ import annotations

from grants.proposals import standing
from grants.proposals.models import Proposal
from grants.proposals.standing import Stage
from grants.results import service
from grants.timeutil import now
from tests.results.conftest import after_window


def _stages(session, proposals):
    return [s.stage for s in standing.standings(session, proposals)]


def test_after_the_final_round_finalists_wait_for_the_notice_and_the_others_did_not_advance(session, awarded):
    _edition, final, proposals = awarded
    rows = standing.standings(session, proposals)
    assert [r.stage for r in rows] == [Stage.AWAITING_NOTICE] * 4 + [Stage.NOT_ADVANCED] * 2
    assert rows[4].label == "未晋级" and rows[4].round_name != final.name
    assert all(r.tier is None for r in rows)  # tiers are not shown before the notice


def test_the_notice_shows_the_tier_and_the_objection_deadline_then_grants_are_awarded_and_funded(
    session, world, published
):
    publication, proposals = published
    rows = standing.standings(session, proposals)
    assert [r.stage for r in rows[:3]] == [Stage.IN_NOTICE] * 3
    assert (rows[0].tier, rows[1].tier) == ("一等奖", "二等奖")
    assert rows[0].deadline == publication.closes_at and rows[0].deadline_label == "异议期截止"
    assert rows[0].entry_id is not None
    assert rows[3].stage == Stage.NOT_ADVANCED and rows[3].label == "未获资助"

    grants = service.finalize(session, actor=world.organizer_a, publication=publication, now=after_window(publication))
    session.commit()
    rows = standing.standings(session, proposals)
    assert [r.stage for r in rows[:3]] == [Stage.AWARDED] * 3
    assert rows[0].tier == "一等奖" and rows[0].approved_fen == grants[0].approved_fen
    grants[0].signed_at = now()
    session.commit()
    assert _stages(session, proposals)[0] == Stage.FUNDED


def test_my_proposals_page_shows_the_stage_not_the_eligibility_status(session, published, login_as):
    _publication, proposals = published
    page = login_as(proposals[0].applicant).get("/my/proposals").get_data(as_text=True)
    assert "公示中" in page and "一等奖" in page and "异议期截止" in page
    assert "资格审查通过" not in page
    page = login_as(proposals[5].applicant).get("/my/proposals").get_data(as_text=True)
    assert "未晋级" in page and "资格审查通过" not in page
    detail = login_as(proposals[0].applicant).get(f"/proposals/{proposals[0].id}").get_data(as_text=True)
    assert "公示中" in detail and "一等奖" in detail


def test_released_comments_are_listed_with_the_stage(session, world, awarded, login_as):
    from grants.judging import closing

    _edition, final, proposals = awarded
    closing.release_comments(session, actor=world.organizer_a, rnd=final)
    session.commit()
    row = standing.standings(session, [proposals[0]])[0]
    assert row.comments and row.comments[0][0] == final.name
    page = login_as(proposals[0].applicant).get("/my/proposals").get_data(as_text=True)
    assert row.comments[0][1][0] in page


def test_stages_of_many_proposals_cost_the_same_queries(session, published, query_counter):
    _publication, proposals = published
    counts = []
    for n in (2, 6):
        session.expire_all()
        loaded = [session.get(Proposal, p.id) for p in proposals[:n]]
        assert all(p.edition.name for p in loaded)
        with query_counter() as statements:
            standing.standings(session, loaded)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 5
