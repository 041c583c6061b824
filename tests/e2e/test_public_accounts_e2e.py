"""Public accounts (资金使用公开) on a phone in Chromium: reached from the edition's results, each
project a card, no sideways scrolling, no accessibility violations."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import axe_violations, phone_context
from tests.public_accounts.conftest import funded  # noqa: F401  (fixture used here)

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone_for_axe(browser):
    """A phone-sized page; the CSP is bypassed only so that axe can be injected as a script."""
    context = phone_context(browser)
    yield context.new_page()
    context.close()


def test_the_public_follows_the_money_of_an_edition_on_a_phone(live_server, phone_for_axe, funded, artifacts_dir):  # noqa: F811
    books = funded(6)
    page = phone_for_axe
    page.goto(f"{live_server}/results/{books.edition.id}")
    page.get_by_role("link", name=f"{books.edition.name}资金使用公开").click()

    expect(page.locator("h1")).to_have_text(f"{books.edition.name}资金使用公开")
    cards = page.locator("table.public-accounts tbody tr")
    expect(cards).to_have_count(6)
    first = cards.nth(0)
    expect(first.get_by_role("link", name="项目1号")).to_be_visible()
    expect(first.locator("td[data-label='已拨付']")).to_be_visible()
    box = first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    assert axe_violations(page) == []
    page.screenshot(path=str(artifacts_dir / "public-accounts-phone.png"), full_page=True)

    first.get_by_role("link", name="项目1号").click()
    expect(page.locator("h1")).to_have_text("项目1号")
