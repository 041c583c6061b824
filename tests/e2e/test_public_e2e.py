"""The public results page of an edition with 500 listed projects, on a phone in Chromium:
readable, with no sideways scrolling of the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.results.public_data import listed_edition

pytestmark = pytest.mark.e2e


def test_public_results_page_with_500_projects_fits_a_phone(live_server, phone, session, world, make, artifacts_dir):
    publication = listed_edition(session, make, world.edition_a, world.community_a, 500, title="甲区第一届获奖项目公示")
    page = phone
    page.goto(f"{live_server}/results/")
    page.get_by_role("link", name="甲区第一届：公示名单").click()

    assert page.locator("h1").inner_text() == publication.title
    assert page.title().startswith(publication.title)
    assert "共500个项目" in page.locator("table.public-list caption").inner_text()
    rows = page.locator("table.public-list tbody tr")
    assert rows.count() == 500
    first = rows.nth(0)
    assert "社区项目001" in first.inner_text() and "¥2,000.00" in first.inner_text()
    expect(first.get_by_role("link", name="社区项目001")).to_be_visible()
    expect(page.get_by_role("link", name="登录后可在异议期内提出异议")).to_be_visible()

    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], overflow
    # Each project is a card as wide as the screen at most.
    box = first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390

    page.screenshot(path=str(artifacts_dir / "public-results-phone.png"))

    first.get_by_role("link", name="社区项目001").click()
    assert page.locator("h1").inner_text() == "社区项目001"
    assert "批**人" in page.content() and "批量申报人" not in page.content()
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], overflow

    page.goto(f"{live_server}/results/{world.edition_a.id}/statistics")
    assert page.locator("#fig-listed").inner_text() == "500"
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert overflow[0] <= overflow[1], overflow
    page.screenshot(path=str(artifacts_dir / "public-statistics-phone.png"), full_page=True)
