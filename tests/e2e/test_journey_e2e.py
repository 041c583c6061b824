"""Issue 15 in Chromium on a 390×844 phone: a member of the public follows a past project of the demo
from the results list to its journey (项目全程) and on to the group it became — no sideways
scrolling, no serious or critical axe violation, nothing private on the way. Screenshots go to
test-artifacts/journey-*.png."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from grants import timeutil
from grants.auth.models import User
from grants.demo import DEMO_PASSWORD
from grants.editions.models import Edition
from grants.funding.models import Grant
from grants.incubation.models import Group, GroupMember, SheetStage, StarCampaign, StarNomination, StarSheet
from grants.incubation.ratings import campaigns, decisions, sheets
from grants.incubation.ratings import queries as rating_queries
from grants.proposals.models import TeamMember
from grants.results.models import PublicationEntry
from tests.e2e.axe import AXE_JS, axe_violations, phone_context
from tests.e2e.pages import sign_in
from tests.incubation.rating_fixtures import points_for

pytestmark = pytest.mark.e2e

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
FOUR_STARS = 170  # half points: 85 of 100, four stars by the default cut-offs


def _user(session, login: str) -> User:
    return session.scalar(select(User).where(User.username == login))


def _rate_the_current_campaign(session) -> None:
    """The demo's current star rating waits at the street stage; carry it to its final stars as the
    street, the district's assessors and the organizer would, the notice a fortnight past."""
    campaign = session.scalar(select(StarCampaign).where(StarCampaign.status == "street_review"))
    organizer = _user(session, "organizer")
    nominations = list(session.scalars(select(StarNomination).where(StarNomination.campaign_id == campaign.id)))
    scored = set(session.scalars(select(StarSheet.nomination_id).where(StarSheet.stage == SheetStage.STREET.value)))
    points = points_for(session, campaign, FOUR_STARS)
    for nomination in nominations:
        if nomination.id not in scored:
            sheets.score_street(session, actor=_user(session, "street1"), nomination=nomination, points=points)
    campaigns.move_stage(session, actor=organizer, campaign=campaign, target="district_review")
    for assessor in campaigns.assessors_of(session, campaign.id):
        for nomination in nominations:
            sheets.score_district(session, actor=assessor.user, nomination=nomination, points=points)
    for nomination in nominations:
        decisions.decide(session, actor=organizer, nomination=nomination)
    decisions.publish(session, actor=organizer, campaign=campaign, now=timeutil.now() - timedelta(days=20))
    decisions.finalize(session, actor=organizer, campaign=campaign, on=timeutil.today() - timedelta(days=1))


@pytest.fixture
def rated_past_project(app, session, demo_data):
    """The demo, and a past edition's funded project whose group has a public page (stars)."""
    grown = select(Group).where(Group.origin_grant_id.is_not(None)).order_by(Group.id)

    def rated() -> Group | None:
        public = rating_queries.public_group_ids(session)
        return next((g for g in session.scalars(grown) if g.id in public), None)

    group = rated()
    if group is None:
        _rate_the_current_campaign(session)
        session.commit()
        group = rated()
    assert group is not None
    grant = session.get(Grant, group.origin_grant_id)
    return grant.proposal, group


def _fits_and_passes_axe(page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: {width[0]} px wide on a {width[1]} px screen"
    assert not axe_violations(page), page.url


def _private_strings(session, proposal, group) -> list[str]:
    names = [proposal.applicant.display_name, *(m.name for m in proposal.team)]
    names += session.scalars(select(GroupMember.name).where(GroupMember.group_id == group.id))
    mobiles = [proposal.applicant_mobile or "", *(m.mobile for m in proposal.team)]
    mobiles += session.scalars(select(TeamMember.mobile).where(TeamMember.proposal_id == proposal.id))
    return [s for s in names + mobiles if s]


def test_the_public_follows_a_past_project_to_its_journey_and_its_group(
    rated_past_project, live_server, browser, session, artifacts_dir
):
    assert AXE_JS.exists(), f"{AXE_JS} is missing: `make test` installs axe-core from the npm registry"
    proposal, group = rated_past_project
    edition = session.get(Edition, proposal.edition_id)
    title = session.scalar(
        select(PublicationEntry.title)
        .where(PublicationEntry.proposal_id == proposal.id)
        .order_by(PublicationEntry.id.desc())
    )
    secrets = _private_strings(session, proposal, group)
    assert DEMO_PASSWORD  # the demo's users exist; nobody signs in here

    context = phone_context(browser)
    page = context.new_page()
    page.goto(f"{live_server}/results/")
    page.get_by_role("link", name=f"{edition.name}：公示名单").click()
    page.locator("table.public-list").get_by_role("link", name=title, exact=True).click()
    assert page.locator("h1").inner_text() == title

    page.get_by_role("link", name="项目全程").click()
    page.wait_for_url(f"**/projects/{proposal.id}/journey")
    assert page.locator("h1").inner_text() == title
    expect(page.get_by_text("公开版本")).to_be_visible()
    timeline = page.get_by_role("list", name="项目全程时间线")
    for step in ("提交申报", "获得资助", "签订资助协议", "资金使用", "成立三自组织", "组织活动", "星级评定"):
        expect(timeline.get_by_role("heading", name=step)).to_be_visible()
    html = page.content()
    for secret in secrets:
        assert secret not in html, secret
    assert not MOBILE.search(html)
    _fits_and_passes_axe(page)
    page.screenshot(path=str(artifacts_dir / "journey-public-phone.png"), full_page=True)

    timeline.get_by_role("link", name=group.name).first.click()
    page.wait_for_url(f"**/ratings/groups/{group.id}")
    assert page.locator("h1").inner_text() == group.name
    expect(page.get_by_role("heading", name="星级")).to_be_visible()
    _fits_and_passes_axe(page)
    page.screenshot(path=str(artifacts_dir / "journey-group-phone.png"), full_page=True)
    context.close()


def test_the_applicant_and_the_organizer_open_their_versions_on_a_phone(
    rated_past_project, live_server, browser, session, artifacts_dir
):
    proposal, _group = rated_past_project
    applicant = proposal.applicant.username
    for login, mark in ((applicant, "申报人版本"), ("organizer", "完整版本")):
        context = phone_context(browser)
        page = context.new_page()
        sign_in(page, live_server, login, DEMO_PASSWORD)
        if login == applicant:
            page.goto(f"{live_server}/my/proposals")
            page.get_by_role("link", name=re.compile(rf"^项目全程\W*{re.escape(proposal.title)}$")).click()
        else:
            page.goto(f"{live_server}/proposals/{proposal.id}")
            page.get_by_role("link", name="项目全程").click()
        page.wait_for_url(f"**/projects/{proposal.id}/journey")
        expect(page.get_by_text(mark)).to_be_visible()
        expect(page.get_by_text(proposal.applicant.display_name).first).to_be_visible()
        _fits_and_passes_axe(page)
        page.screenshot(
            path=str(artifacts_dir / f"journey-{'applicant' if login == applicant else 'organizer'}-phone.png"),
            full_page=True,
        )
        context.close()
