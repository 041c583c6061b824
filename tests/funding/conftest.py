"""Funding fixtures: a grant as finalizing creates it (proposal, final publication, grant)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grants.editions import service as edition_service
from grants.funding.models import Grant
from grants.results.models import Publication


@pytest.fixture
def make_grant(session, make):
    """make_grant(edition, approved_fen=…): a winning proposal's grant in that edition."""

    def _make(edition, *, approved_fen: int = 380_001, community=None):
        proposal = make.proposal(edition, community=community, submit=True)
        rnd = edition_service.rounds_of(session, edition.id)[-1]
        publication = session.scalar(select(Publication).where(Publication.edition_id == edition.id))
        if publication is None:
            publication = Publication(
                edition_id=edition.id, round_id=rnd.id, number=1, status="final", final=True, title="结果"
            )
            session.add(publication)
            session.flush()
        grant = Grant(
            edition_id=edition.id,
            proposal_id=proposal.id,
            publication_id=publication.id,
            tier="一等奖",
            approved_fen=approved_fen,
        )
        session.add(grant)
        session.commit()
        return grant

    return _make
