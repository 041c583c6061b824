"""Funding fixtures: a grant as finalizing creates it (proposal, final publication, grant)."""

from __future__ import annotations

import secrets
from datetime import date

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


@pytest.fixture
def scan(session, world):
    """scan(): an uploaded agreement scan (a stored PNG) as an Attachment row of no proposal."""
    from grants.proposals.models import Attachment

    def _scan():
        attachment = Attachment(
            proposal_id=None,
            uploaded_by_id=world.organizer_a.id,
            stored_name=f"scan-{secrets.token_hex(8)}",
            original_name="协议扫描件.png",
            mime="image/png",
            size=1234,
            sha256="0" * 64,
        )
        session.add(attachment)
        session.flush()
        return attachment

    return _scan


@pytest.fixture
def sign_grant(session, world, scan):
    """sign_grant(grant): the agreement signed by the district's organizer, committed."""
    from grants.funding import service

    def _sign(grant, *, actor=None):
        service.sign(
            session,
            actor=actor or world.organizer_a,
            grant=grant,
            signed_on=date(2026, 11, 20),
            receiving_unit="樱桃社区居民委员会",
            account_name="樱桃社区居民委员会",
            account_bank="农业银行城关支行",
            account_no="6228 4800 1234 5678",
            scan=scan(),
        )
        session.commit()
        return grant

    return _sign
