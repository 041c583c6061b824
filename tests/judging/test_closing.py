"""Closing scoring rounds: stored results, advancement, idempotence, concurrency, re-opening,
judge groups and rounds combined by weight."""

from __future__ import annotations

import threading
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.db import db, run_in_transaction
from grants.editions import service as edition_service
from grants.editions.models import Round
from grants.errors import DomainError, NotAllowed
from grants.judging import closing, eligibility, sheets
from grants.judging.models import Assignment, JudgeGroup, JudgeGroupMember, RoundResult, Score
from tests.judging.helpers import score_round


def _open(session, world, rnd, *, top_n=2):
    rnd.advancement, rnd.advance_top_n = "top_n", top_n
    sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()


@pytest.fixture
def scored(session, world, scoring):
    """Round 2 with every sheet submitted: judge j gives proposal p the total 40 + 5·p_index + j_index."""
    rnd, proposals, judges = scoring
    _open(session, world, rnd)
    p_index = {p.id: i for i, p in enumerate(proposals)}
    j_index = {j.id: i for i, j in enumerate(judges)}
    score_round(session, rnd, lambda j, p: 40 + 5 * p_index[p] + j_index[j])
    session.commit()
    return rnd, proposals, judges


def _expected_means(session, rnd):
    sheets_by_proposal = {}
    for a in session.scalars(select(Assignment).where(Assignment.round_id == rnd.id)).unique():
        sheets_by_proposal.setdefault(a.proposal_id, []).append(sum(s.points for s in a.scores))
    return {p: Fraction(sum(v)) / len(v) for p, v in sheets_by_proposal.items()}


def test_closing_stores_ranked_results_and_the_top_n_enter_the_next_round(session, world, scored):
    rnd, _proposals, _judges = scored
    expected = _expected_means(session, rnd)
    results = closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    assert rnd.status == "closed"
    assert [r.rank for r in results] == list(range(1, 7))
    order = sorted(expected, key=lambda p: -expected[p])
    assert [r.proposal_id for r in results] == order
    for r in results:
        assert r.score == closing.to_decimal(expected[r.proposal_id]) and r.judges == 3
        assert r.spread >= 0 and r.raw_score == r.score
    assert [r.advanced for r in results] == [True, True, False, False, False, False]
    final = edition_service.rounds_of(session, rnd.edition_id)[2]
    assert closing.proposal_ids_in_round(session, final) == sorted(order[:2])
    # Closing again changes nothing and writes no second result set.
    again = closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    assert [r.id for r in again] == [r.id for r in results]
    assert session.scalar(select(func.count()).select_from(RoundResult)) == 6
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "round.results")) == 1


def test_min_score_rule_and_the_previous_round_breaks_ties(session, world, scored):
    rnd, _proposals, _judges = scored
    rnd.advancement, rnd.advance_min_score = "min_score", Decimal("60")
    results = closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    assert all(r.advanced == (r.score >= 60) for r in results)
    assert any(r.advanced for r in results) and not all(r.advanced for r in results)


def test_closing_is_refused_while_sheets_are_missing_and_changes_nothing(session, world, scoring):
    rnd, _proposals, judges = scoring
    _open(session, world, rnd)
    skip = session.scalars(select(Assignment).where(Assignment.round_id == rnd.id)).first()
    score_round(session, rnd, lambda j, p: None if (j, p) == (skip.judge_id, skip.proposal_id) else 50)
    session.commit()
    ranking = closing.rank_round(session, rnd)  # the preview works on what is submitted
    assert len(ranking.rows) == 6 and ranking.missing_sheets == 1
    with pytest.raises(DomainError, match="1张评分表没有提交"):
        closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    session.rollback()
    assert rnd.status == "open"
    assert session.scalar(select(func.count()).select_from(RoundResult)) == 0
    with pytest.raises(NotAllowed):
        closing.close_scoring_round(session, actor=world.organizer_b, rnd=rnd)
    with pytest.raises(NotAllowed):
        closing.close_scoring_round(session, actor=judges[0], rnd=rnd)


def test_a_later_round_cannot_start_before_the_earlier_one_closes(session, world, scored):
    rnd, _proposals, _judges = scored
    final = edition_service.rounds_of(session, rnd.edition_id)[2]
    with pytest.raises(DomainError, match="请先结束"):
        eligibility.open_round(session, actor=world.organizer_a, rnd=final)


def test_reopening_needs_a_reason_keeps_scores_and_discards_the_stored_results(session, world, scored):
    rnd, _proposals, _judges = scored
    closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    scores_before = session.scalar(select(func.count()).select_from(Score))
    with pytest.raises(DomainError, match="原因"):
        closing.reopen_round(session, actor=world.organizer_a, rnd=rnd, reason=" ")
    session.rollback()
    with pytest.raises(NotAllowed):
        closing.reopen_round(session, actor=world.organizer_b, rnd=rnd, reason="核分")
    closing.reopen_round(session, actor=world.organizer_a, rnd=rnd, reason="评委3的分数录入有误")
    session.commit()
    assert rnd.status == "open"
    assert session.scalar(select(func.count()).select_from(RoundResult)) == 0
    assert session.scalar(select(func.count()).select_from(Score)) == scores_before
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "round.reopen"))
    assert entry.reason == "评委3的分数录入有误"
    # Closed again, it stores a fresh result set; once the final round starts it cannot re-open.
    closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    final = edition_service.rounds_of(session, rnd.edition_id)[2]
    eligibility.open_round(session, actor=world.organizer_a, rnd=final)
    with pytest.raises(DomainError, match="已经开始"):
        closing.reopen_round(session, actor=world.organizer_a, rnd=rnd, reason="再核")


def test_two_concurrent_closings_store_one_result_set(app, session, world, scored):
    rnd, _proposals, _judges = scored
    round_id, organizer_id = rnd.id, world.organizer_a.id
    session.commit()
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def worker():
        with app.app_context():
            try:
                from grants.auth.models import User

                actor = db.session.get(User, organizer_id)
                target = db.session.get(Round, round_id)
                barrier.wait()
                # As a request would: the loser of a race runs again (SERIALIZABLE on PostgreSQL).
                run_in_transaction(lambda work: closing.close_scoring_round(work, actor=actor, rnd=target))
            except Exception as exc:  # collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(RoundResult)) == 6
    closings = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "round.close")
    assert session.scalar(closings.where(AuditEntry.object_id == round_id)) == 1


def test_judge_groups_are_aggregated_apart_then_weighted(session, world, scoring):
    rnd, proposals, judges = scoring
    rnd.mode = "panel"  # every judge scores every proposal
    _open(session, world, rnd, top_n=6)
    experts = JudgeGroup(round_id=rnd.id, name="专家评委", weight_percent=70)
    public = JudgeGroup(round_id=rnd.id, name="大众评审", weight_percent=30)
    session.add_all([experts, public])
    session.flush()
    for judge in judges[:2]:
        session.add(JudgeGroupMember(group_id=experts.id, round_id=rnd.id, judge_id=judge.id))
    session.add(JudgeGroupMember(group_id=public.id, round_id=rnd.id, judge_id=judges[2].id))
    session.flush()
    given = {judges[0].id: 80, judges[1].id: 90, judges[2].id: 40, judges[3].id: 60}
    score_round(session, rnd, lambda j, p: given[j])
    with pytest.raises(DomainError, match="评委组"):  # judges[3] is in no group
        closing.rank_round(session, rnd)
    session.add(JudgeGroupMember(group_id=public.id, round_id=rnd.id, judge_id=judges[3].id))
    session.flush()
    results = closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    # experts mean 85, public mean 50 → 0.7·85 + 0.3·50 = 74.5 for every proposal; ties by submission.
    assert {r.score for r in results} == {Decimal("74.5")}
    assert [r.proposal_id for r in results] == [p.id for p in proposals]
    assert all(r.judges == 4 and r.spread == 50 for r in results)


def test_the_last_round_combines_weighted_rounds_on_a_hundred_point_scale(session, world, scored):
    rnd, _proposals, _judges = scored
    rounds = edition_service.rounds_of(session, rnd.edition_id)
    final = rounds[2]
    rnd.weight_percent, final.weight_percent = 40, 60
    second = {r.proposal_id: r for r in closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)}
    final.advancement = "all"
    sheets.assign_round(session, actor=world.organizer_a, rnd=final)
    eligibility.open_round(session, actor=world.organizer_a, rnd=final)
    score_round(session, final, lambda j, p: 50)
    results = closing.close_scoring_round(session, actor=world.organizer_a, rnd=final)
    assert len(results) == 2
    for r in results:
        assert r.round_score == 50
        expected = (Fraction(40) * Fraction(second[r.proposal_id].round_score) * 100 / rnd.max_total + 60 * 50) / 100
        assert r.score == closing.to_decimal(expected)
    assert results[0].proposal_id == max(second, key=lambda p: second[p].score)  # the earlier round decides
