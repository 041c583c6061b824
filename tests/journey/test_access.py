"""Who may open which journey: a table of project × viewer → status and version. A project never
named in a public notice is not found (404) by anyone but its applicant, its district's organizer
and its community's staff; a draft only by its applicant."""

from __future__ import annotations

import pytest

from grants.auth import policy as auth_policy
from grants.funding import policy as funding_policy
from grants.journey import policy
from grants.proposals import policy as proposal_policy

VERSION_MARK = {"organizer": "完整版本", "applicant": "申报人版本", "public": "公开版本"}


def _viewer(world, story, who: str):
    return {
        "anonymous": None,
        "applicant": story.applicant,
        "unlisted_applicant": story.unlisted.applicant,
        "organizer_a": world.organizer_a,
        "staff_a": world.staff_a,
        "street_staff_a": world.street_staff_a,
        "finance_a": world.finance_a,
        "judge_a": world.judge_a,
        "resident": world.resident,
        "organizer_b": world.organizer_b,
        "staff_b": world.staff_b,
    }[who]


# (project, viewer, expected status, expected version)
TABLE = [
    ("listed", "anonymous", 200, "public"),
    ("listed", "applicant", 200, "applicant"),
    ("listed", "organizer_a", 200, "organizer"),
    ("listed", "staff_a", 200, "organizer"),
    ("listed", "street_staff_a", 200, "public"),
    ("listed", "finance_a", 200, "public"),
    ("listed", "resident", 200, "public"),
    ("listed", "organizer_b", 200, "public"),
    ("listed", "staff_b", 200, "public"),
    ("unlisted", "anonymous", 404, None),
    ("unlisted", "unlisted_applicant", 200, "applicant"),
    ("unlisted", "applicant", 404, None),  # another resident
    ("unlisted", "organizer_a", 200, "organizer"),
    ("unlisted", "staff_a", 200, "organizer"),
    ("unlisted", "street_staff_a", 404, None),
    ("unlisted", "finance_a", 404, None),
    ("unlisted", "judge_a", 404, None),
    ("unlisted", "resident", 404, None),
    ("unlisted", "organizer_b", 404, None),  # another district's organizer
    ("unlisted", "staff_b", 404, None),  # another community's staff
]


@pytest.mark.parametrize(("project", "who", "status", "version"), TABLE, ids=[f"{p}-{w}" for p, w, _s, _v in TABLE])
def test_who_sees_which_journey(client, login_as, world, story, project, who, status, version):
    viewer = _viewer(world, story, who)
    if viewer is not None:
        login_as(viewer)
    proposal = story.proposal if project == "listed" else story.unlisted
    response = client.get(story.url(proposal))
    assert response.status_code == status
    if version:
        body = response.get_data(as_text=True)
        assert VERSION_MARK[version] in body
        assert all(mark not in body for name, mark in VERSION_MARK.items() if name != version)


def test_a_draft_is_its_applicants_alone(client, login_as, make, world):
    draft = make.proposal(world.edition_a, community=world.community_a)
    url = f"/projects/{draft.id}/journey"
    assert client.get(url).status_code == 404
    for user in (world.organizer_a, world.staff_a, world.resident):
        login_as(user)
        assert client.get(url).status_code == 404, user.login_name
    login_as(draft.applicant)
    assert client.get(url).status_code == 200


def test_an_unknown_project_is_not_found(client, login_as, world):
    assert client.get("/projects/999999/journey").status_code == 404
    login_as(world.organizer_a)
    assert client.get("/projects/999999/journey").status_code == 404


def test_the_full_version_goes_to_whoever_may_open_both_the_proposal_and_its_grant(story, world):
    """grants/journey/policy.py agrees with the proposal's and the grant's own policies."""
    proposal, grant = story.proposal, story.grant
    facts = policy.Facts(proposal.applicant_id, proposal.version, world.district_a.id, proposal.community_id)
    for user in (
        world.organizer_a,
        world.staff_a,
        world.street_staff_a,
        world.finance_a,
        world.judge_a,
        world.resident,
        world.organizer_b,
        world.staff_b,
    ):
        both = proposal_policy.can_view(user, proposal) and funding_policy.can_view(user, grant)
        assert policy.sees_all(user, facts) == both, user.login_name
    assert not policy.sees_all(story.applicant, facts) and policy.is_applicant(story.applicant, facts)
    assert auth_policy.is_organizer(world.organizer_a, world.district_a.id)


def test_the_public_version_is_cacheable_and_a_signed_in_version_is_not(client, login_as, world, story):
    response = client.get(story.url())
    assert response.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in response.headers
    login_as(world.organizer_a)
    response = client.get(story.url())
    assert "public" not in response.headers["Cache-Control"]
    assert "no-store" in response.headers["Cache-Control"]
