"""On a phone: the organizer opens the district figures from the menu, chooses a street and reads its
figures, charts and tables, then follows a figure to the rows it counts. No sideways scrolling, no
serious axe violation; screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from grants.figures import queries
from grants.figures.scope import Scope
from tests.e2e.axe import AXE_JS, axe_violations, phone_context
from tests.e2e.pages import sign_in
from tests.factories import PASSWORD
from tests.figures.conftest import generated  # noqa: F401  (fixture used here)

pytestmark = pytest.mark.e2e


def _fits_and_passes_axe(page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    assert axe_violations(page) == []


def test_the_organizer_opens_the_figures_of_a_street_on_a_phone(
    live_server,
    browser,
    session,
    world,
    generated,  # noqa: F811 (the imported fixture)
    artifacts_dir,
):
    assert AXE_JS.exists()
    made = generated(proposals=24, activities=10)
    street = made.streets[1]
    figures = queries.figures(session, Scope(made.district, street=street))
    context = phone_context(browser)
    page = context.new_page()
    sign_in(page, live_server, world.organizer_a.login_name, PASSWORD)

    page.get_by_text("菜单").click()
    page.get_by_role("link", name="数据总览").click()
    expect(page.get_by_role("heading", name="数据总览")).to_be_visible()
    expect(page.locator("#figures-summary")).to_contain_text("已先后开展了三届社区公益微创投大赛")
    _fits_and_passes_axe(page)
    page.screenshot(path=str(artifacts_dir / "figures_district_phone.png"), full_page=True)

    page.get_by_label("地区").select_option(label=street.name)
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", name="数据总览")).to_contain_text(street.name)
    expect(page.locator("#figures-summary")).to_contain_text(f"{street.name}有{figures.funded}个居民项目获得支持")
    expect(page.locator('[data-figure="activities"]')).to_have_text(f"{figures.activities:,}")
    expect(page.get_by_role("img", name="各届资金：核定、拨付、支出")).to_be_visible()
    expect(page.get_by_role("img", name="各社区已核实活动（场次）")).to_be_visible()
    for svg in page.locator("svg.chart-svg").all():
        box = svg.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    _fits_and_passes_axe(page)
    page.screenshot(path=str(artifacts_dir / "figures_street_phone.png"), full_page=True)

    page.get_by_label("时间范围").select_option(label="2025年")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", name="数据总览")).to_contain_text("2025年")
    expect(page.locator("#figures-summary")).to_contain_text(f"2025年，{street.name}收到居民项目申报")
    _fits_and_passes_axe(page)
    page.screenshot(path=str(artifacts_dir / "figures_street_year_phone.png"), full_page=True)

    kinds = page.locator('[data-figure^="kind-"] a')
    first = next(link for link in kinds.all() if link.inner_text() != "0")
    count = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", name=f"{street.name}的三自组织")).to_be_visible()
    expect(page.get_by_text(f"共 {count} 个", exact=True)).to_be_visible()
    expect(page.get_by_text("只列出2025年有已核实活动的组织。")).to_be_visible()
    context.close()
