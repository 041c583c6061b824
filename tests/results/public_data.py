"""Test data for the public pages: a published list of any length, written directly (fast)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from grants.editions import service as edition_service
from grants.proposals.models import Proposal
from grants.results.models import Publication, PublicationEntry
from grants.timeutil import now


def listed_edition(session, make, edition, community, n: int, *, title: str = "获奖项目公示") -> Publication:
    """A published awards list (window open) of ``n`` submitted proposals of ``edition``."""
    rnd = edition_service.rounds_of(session, edition.id)[-1]
    applicant = make.user(name="批量申报人", community=community)
    category_id = edition.categories[0].id
    at = now()
    proposals = [
        Proposal(
            edition_id=edition.id,
            applicant_id=applicant.id,
            community_id=community.id,
            category_id=category_id,
            status="eligible",
            title=f"社区项目{i:03d}",
            summary="项目简介",
            need_analysis="不公开的需求分析",
            requested_fen=300_000,
            submitted_at=at - timedelta(days=30),
        )
        for i in range(1, n + 1)
    ]
    session.add_all(proposals)
    session.flush()
    publication = Publication(
        edition_id=edition.id,
        round_id=rnd.id,
        number=1,
        final=True,
        status="published",
        title=title,
        introduction="经评审，现将获奖项目公示如下。",
        office_name="区民政局",
        judges=["评委甲", "评委乙"],
        window_days=5,
        opens_at=at - timedelta(days=1),
        closes_at=at + timedelta(days=6),
    )
    session.add(publication)
    session.flush()
    tiers = ("一等奖", "二等奖", "三等奖")
    session.add_all(
        PublicationEntry(
            publication_id=publication.id,
            proposal_id=proposal.id,
            position=i,
            rank=i,
            title=proposal.title,
            applicant="批**人",
            community=community.name,
            street=community.street.name,
            category=edition.categories[0].name,
            summary=proposal.summary,
            team_size=3,
            score=Decimal("90.00") - Decimal(i) / 100,
            tier=tiers[min(i - 1, 2)],
            approved_fen=200_000,
        )
        for i, proposal in enumerate(proposals, start=1)
    )
    session.commit()
    return publication
