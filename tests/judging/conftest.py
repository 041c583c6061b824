"""Shared judging fixtures."""

from __future__ import annotations

import pytest

from grants.auth.models import Role
from grants.editions import service as edition_service
from grants.editions.states import edition_machine
from grants.judging import closing, eligibility, sheets
from tests.judging.helpers import all_items, end_submission, score_round


@pytest.fixture
def scoring(world, session, make, chained):
    """Edition A with 6 eligible proposals, 4 judges and round 2 (k=3) still pending."""
    return chained("scoring", lambda: _scoring(world, session, make))


def _scoring(world, session, make):
    edition = world.edition_a
    edition_machine.transition(session, edition, "open", actor=None)
    session.commit()
    proposals = [make.proposal(edition, submit=True, community_id=world.community_a.id) for _ in range(6)]
    judges = [world.judge_a] + [make.user(f"judge_x{i}", roles=[(Role.JUDGE, edition)]) for i in range(3)]
    first, second = edition_service.rounds_of(session, edition.id)[:2]
    eligibility.open_round(session, actor=None, rnd=first)
    for proposal in proposals:
        eligibility.decide(
            session,
            actor=world.organizer_a,
            rnd=first,
            proposal=proposal,
            outcome="pass",
            reason=None,
            checked=all_items(first),
        )
    end_submission(session, edition)
    eligibility.close_round(session, actor=world.organizer_a, rnd=first)
    session.commit()
    return second, proposals, judges


@pytest.fixture
def assigned(session, world, scoring, chained):
    """The scoring fixture's round 2 with its sheets assigned and the round open."""
    return chained("assigned", lambda: _assigned(session, world, scoring))


def _assigned(session, world, scoring):
    rnd, proposals, judges = scoring
    sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    return rnd, proposals, judges


@pytest.fixture
def final_closed(session, world, scoring, chained):
    """Round 2 sends 4 of 6 proposals on; the final round ranks them 1–4 by their index."""
    return chained("final_closed", lambda: _final_closed(session, world, scoring))


def _final_closed(session, world, scoring):
    rnd, proposals, _judges = scoring
    index = {p.id: i for i, p in enumerate(proposals)}
    rnd.advancement, rnd.advance_top_n = "top_n", 4
    sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    score_round(session, rnd, lambda j, p: 90 - 5 * index[p])
    closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    final = edition_service.rounds_of(session, rnd.edition_id)[2]
    sheets.assign_round(session, actor=world.organizer_a, rnd=final)
    eligibility.open_round(session, actor=world.organizer_a, rnd=final)
    score_round(session, final, lambda j, p: 95 - 10 * index[p])
    closing.close_scoring_round(session, actor=world.organizer_a, rnd=final)
    session.commit()
    return world.edition_a, final, proposals
