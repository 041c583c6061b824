"""Community staff on a phone: a group's volunteer hours, a member's activities, and a 志愿服务证明
issued from the member's page; nothing is wider than the phone."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from grants.incubation.models import GroupMember, VolunteerCertificate
from tests.e2e.pages import sign_in
from tests.factories import PASSWORD
from tests.incubation.conftest import make_activity, make_group  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


def test_staff_read_the_hours_and_issue_a_certificate_from_a_phone(
    live_server,
    phone,
    world,
    session,
    make_group,  # noqa: F811 (the imported fixture)
    make_activity,  # noqa: F811
    artifacts_dir,
):
    group = make_group(members=2)
    member = session.scalars(
        select(GroupMember).where(GroupMember.group_id == group.id, GroupMember.name == "成员0")
    ).one()
    make_activity(group, hours={member: 5}, on=date(2026, 3, 8), title="妇女节义剪")
    make_activity(group, hours={member: 4}, on=date(2025, 10, 1), title="国庆游园")

    page = phone
    sign_in(page, live_server, world.staff_a.username, PASSWORD)
    page.goto(f"{live_server}/groups/{group.id}")
    page.get_by_role("link", name="志愿服务时长").click()
    expect(page.get_by_role("heading", name="志愿服务时长")).to_be_visible()
    expect(page.get_by_text("4.5 小时").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "hours_group_phone.png"), full_page=True)

    page.get_by_role("link", name="成员0").click()
    expect(page.get_by_text("妇女节义剪")).to_be_visible()
    page.get_by_label("证明期间自").fill("2026-01-01")
    page.get_by_label("至", exact=True).fill("2026-11-30")
    page.get_by_role("button", name="开具志愿服务证明").click()
    expect(page.get_by_text(re.compile("志愿服务证明已开具"))).to_be_visible()
    session.commit()  # end the read snapshot taken before the request
    certificate = session.scalars(select(VolunteerCertificate)).one()
    expect(page.get_by_text(f"志愿服务证明已开具，编号{certificate.number}。")).to_be_visible()
    expect(page.get_by_role("link", name=f"编号{certificate.number}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "hours_member_phone.png"), full_page=True)
