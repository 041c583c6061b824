"""A crawl over the demo (`flask seed-demo`, as `demo_data` keeps it): every project's public journey, as an anonymous visitor
opens it, shows no name of an applicant, a team member or a group member, no mobile and no score
that no notice published; every project never named in a notice is not found."""

from __future__ import annotations

import re

from sqlalchemy import select

from grants.auth.models import User
from grants.funding.models import Grant
from grants.incubation.models import Group, GroupMember
from grants.proposals.models import Proposal, TeamMember
from grants.results.models import Publication, PublicationEntry
from grants.results.states import PUBLIC_STATUSES
from tests.journey.conftest import unpublished_scores

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _names(session, proposal_id: int) -> set[str]:
    """Full names of the project's applicant and team, and of the members of its group(s)."""
    names = set(
        session.scalars(
            select(User.display_name).join(Proposal, Proposal.applicant_id == User.id).where(Proposal.id == proposal_id)
        )
    )
    names |= set(session.scalars(select(TeamMember.name).where(TeamMember.proposal_id == proposal_id)))
    grants = select(Grant.id).where(Grant.proposal_id == proposal_id)
    groups = select(Group.id).where(
        Group.id.in_(select(Proposal.group_id).where(Proposal.id == proposal_id)) | Group.origin_grant_id.in_(grants)
    )
    names |= set(session.scalars(select(GroupMember.name).where(GroupMember.group_id.in_(groups))))
    return {n for n in names if n}


def test_no_public_journey_of_the_demo_shows_a_name_a_mobile_or_an_unpublished_score(app, client, session, demo_data):
    listed = set(
        session.scalars(
            select(PublicationEntry.proposal_id)
            .join(Publication, Publication.id == PublicationEntry.publication_id)
            .where(Publication.status.in_(PUBLIC_STATUSES))
        )
    )
    assert len(listed) >= 6
    opened = 0
    for proposal_id in session.scalars(select(Proposal.id).order_by(Proposal.id)):
        response = client.get(f"/projects/{proposal_id}/journey")
        if proposal_id not in listed:
            assert response.status_code == 404, proposal_id
            continue
        assert response.status_code == 200, proposal_id
        html = response.get_data(as_text=True)
        names = _names(session, proposal_id)
        assert len(names) >= 3, proposal_id  # the applicant and a team, at least
        for name in names:
            assert name not in html, (proposal_id, name)
        proposal = session.get(Proposal, proposal_id)
        for score in unpublished_scores(session, proposal):
            assert not re.search(rf"(?<![\d.]){re.escape(score)}(?!\d)", html), (proposal_id, score)
        assert not MOBILE.search(html), proposal_id
        opened += 1
    assert opened == len(listed)
