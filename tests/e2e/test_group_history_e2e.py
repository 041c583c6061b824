"""On a phone: street staff open their street's groups, filter them and read a group's history; the
organizer reads the group's record beside its new proposal. Cards, not wide tables; no serious axe
violation; screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from grants.incubation import service
from grants.incubation.service import GroupData
from tests.e2e.axe import AXE_JS, axe_violations, phone_context
from tests.e2e.pages import sign_in
from tests.factories import PASSWORD
from tests.funding.conftest import make_grant, scan, sign_grant  # noqa: F401 (fixtures)
from tests.incubation.history_fixtures import add_activity, add_evaluation, add_money, add_round_results, utc

pytestmark = pytest.mark.e2e


def _fits_and_passes_axe(page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    assert axe_violations(page) == []


def test_street_staff_and_the_organizer_read_a_groups_history_on_a_phone(
    live_server,
    browser,
    session,
    make,
    world,
    make_grant,  # noqa: F811 (the imported fixture)
    sign_grant,  # noqa: F811
    artifacts_dir,
):
    assert AXE_JS.exists()
    grant = make_grant(world.edition_a, approved_fen=120_000, community=world.community_a)
    grant.proposal.title = "樱花树下共建花园"
    sign_grant(grant)
    group = service.create_group_from_grant(
        session, actor=world.staff_a, grant=grant, data=GroupData(name="花友会", kind="volunteer")
    )
    add_round_results(session, grant)
    add_money(session, grant, world.organizer_a, paid=72_000, spent=50_000, refunded=22_000)
    add_evaluation(session, grant, world.organizer_a, kind="final", total=91, passed=True, at=utc(2026, 11, 30))
    for year in (2025, 2026):
        add_activity(session, group, at=utc(year, 6, 1, 2), served=30, halves=(3, 4), by=world.staff_a)
    session.commit()
    edition = make.edition(world.district_a, number=2, name="甲区第二届")
    proposal = make.proposal(
        edition, group.leader, submit=True, community_id=world.community_a.id, group_id=group.id, title="花友会第二年"
    )

    context = phone_context(browser)
    page = context.new_page()
    sign_in(page, live_server, world.street_staff_a.login_name, PASSWORD)
    page.goto(live_server + "/groups/")
    page.get_by_role("link", name="甲街道的三自组织").click()
    expect(page.get_by_role("heading", name="甲街道的三自组织")).to_be_visible()
    page.get_by_label("组织类型").select_option(label="志愿")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("link", name="花友会")).to_be_visible()
    _fits_and_passes_axe(page)
    page.screenshot(path=str(artifacts_dir / "groups_street_list_phone.png"), full_page=True)

    page.get_by_role("link", name="花友会").click()
    expect(page.get_by_role("heading", name="历届记录")).to_be_visible()
    expect(page.get_by_text("孵化来源：本组织由这个资助项目的团队发展而来")).to_be_visible()
    expect(page.get_by_role("cell", name="2025")).to_be_visible()
    _fits_and_passes_axe(page)
    page.screenshot(path=str(artifacts_dir / "group_history_phone.png"), full_page=True)

    page.context.clear_cookies()
    sign_in(page, live_server, world.organizer_a.login_name, PASSWORD)
    page.goto(f"{live_server}/proposals/{proposal.id}")
    expect(page.get_by_role("heading", name="申报组织的记录")).to_be_visible()
    expect(page.get_by_text("7小时")).to_be_visible()
    _fits_and_passes_axe(page)
    page.screenshot(path=str(artifacts_dir / "proposal_group_record_phone.png"), full_page=True)
    context.close()
