"""The ways into a journey: the public project page, the organizer's proposal and grant pages and
the applicant's 我的申报; and the ways out: the notice, the group's public page once it is rated."""

from __future__ import annotations

from sqlalchemy import delete, select

from grants.incubation.models import StarNomination
from grants.results.models import PublicationEntry


def _body(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_the_public_project_page_links_to_the_journey(client, session, story):
    entry_id = session.scalar(
        select(PublicationEntry.id).where(
            PublicationEntry.publication_id == story.notice.id, PublicationEntry.proposal_id == story.proposal.id
        )
    )
    assert f'href="{story.url()}"' in _body(client, f"/results/projects/{entry_id}")
    journey = _body(client, story.url())
    assert f'href="/results/projects/{entry_id}"' in journey
    assert f'href="/results/{story.edition.id}/notices/{story.notice.id}"' in journey


def test_the_organizers_proposal_and_grant_pages_link_to_the_journey(client, login_as, world, story):
    login_as(world.organizer_a)
    assert f'href="{story.url()}"' in _body(client, f"/proposals/{story.proposal.id}")
    assert f'href="{story.url()}"' in _body(client, f"/funding/grants/{story.grant.id}")


def test_the_applicants_proposals_link_to_their_journeys(client, login_as, story):
    login_as(story.applicant)
    mine = _body(client, "/my/proposals")
    assert f'href="{story.url()}"' in mine and f'href="{story.url(story.later_public)}"' in mine


def test_street_staff_reading_a_proposal_are_offered_no_journey_they_cannot_open(client, login_as, world, story):
    """Street staff read the street's proposals but see no grant: no full version for them, and an
    unlisted project has no public one."""
    login_as(world.street_staff_a)
    assert f'href="{story.url(story.unlisted)}"' not in _body(client, f"/proposals/{story.unlisted.id}")
    assert client.get(story.url(story.unlisted)).status_code == 404


def test_the_journey_links_to_the_groups_public_page_only_when_the_group_has_one(client, session, story):
    public_group = f'href="/ratings/groups/{story.group.id}"'
    assert public_group in _body(client, story.url())
    assert _body(client, f"/ratings/groups/{story.group.id}")
    session.execute(delete(StarNomination).where(StarNomination.group_id == story.group.id))
    session.commit()
    body = _body(client, story.url())
    assert public_group not in body and f'href="/groups/{story.group.id}"' not in body
    assert "甲一社区花友会" in body  # named, without a link to a page the public may not open
