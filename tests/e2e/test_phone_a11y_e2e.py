"""Every page of every demo role on a 390×844 phone: no sideways scrolling of the page, no table
row shown as a card with a value in pieces beside its label, and no serious or critical WCAG 2 A/AA
violation found by axe-core (issue 12 item 5 and accessibility).

Each role's pages are found by following the links of the pages it sees, starting from the home
page; URLs that differ only in their ids count as one page (one project page stands for all).
Screenshots go to test-artifacts/phone/<role>/.

On both databases every page walked must answer without a server error. How a page fits the phone
and what axe-core finds depend on its HTML and CSS only, which are the same on either database (the
demo is the same: tests/test_demo.py), so Chromium walks the pages in the SQLite pass; the
PostgreSQL pass follows the same links with the test client, which asks the server for the same
pages without a browser's work.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections import deque
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import IS_POSTGRES
from tests.e2e.axe import AXE_JS, axe_page_report, phone_context
from tests.e2e.pages import sign_in

pytestmark = pytest.mark.e2e

PASSWORD = "demo12345"
ROLES = ("anonymous", "resident1", "staff1", "street1", "judge1", "finance", "organizer")
MAX_PAGES = 70  # per role; the demo's organizer has about 50 kinds of page
# Downloads, files and actions reached by a link are not pages to walk.
NOT_A_PAGE = re.compile(
    r"\.(pdf|csv|xlsx|zip|png|jpe?g|svg|ico|json)(\?|$)|/export|/download|/files?/|/attachments/\d+|"
    r"/certificate|/logout|/language|/static/|/api/|/pdf(\?|$)|/(csv|xlsx)(\?|$)"
)
# The wide tables of issue 12 item 5 must be among the pages walked.
ITEM_5_PAGES = {
    "organizer": [
        r"^/review/rounds/N/results$",  # ranking
        r"^/review/editions/N/awards$",  # awards and amounts
        r"^/admin/editions/$",  # edition names
        r"^/publications/N$",  # the draft notice
    ],
    "anonymous": [r"^/results/N/statistics$", r"^/results/N$"],
}


# Pages every role shares (only the menu differs): walked once, by the role that owns them here;
# the other roles do not walk them (nor follow their links).
SHARED = re.compile(r"^/results/|^/account|^/objections/mine$|^/login$|^/register$")
SHARED_OWNER = {
    "anonymous": re.compile(r"^/results/|^/login$|^/register$"),
    "resident1": re.compile(r"^/account|^/objections/mine$"),
}


def _walks_shared(role: str, key: str) -> bool:
    owner = SHARED_OWNER.get(role)
    return owner is not None and bool(owner.search(key))


def _pattern(url: str) -> str:
    """The page a URL shows, ids and query strings left out (filters and pages of a list are one page)."""
    return re.sub(r"\d+", "N", urlsplit(url).path)


def _walk(visit, base: str, role: str, first: list[str]) -> tuple[dict[str, str], list[str]]:
    """Visit the role's pages (``visit(url)`` -> (problems, links)); returns ({pattern: url}, problems)."""
    seen: dict[str, str] = {}
    problems: list[str] = []
    queue = deque([base + path for path in ["/", *first]])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        key = _pattern(url[len(base) :])
        if key in seen:
            continue
        seen[key] = url
        if SHARED.search(key) and not _walks_shared(role, key):
            continue
        found, hrefs = visit(url, key)
        problems += found
        for href in hrefs:
            href = urldefrag(href)[0]
            path = href[len(base) :]
            if href.startswith(base) and not NOT_A_PAGE.search(path) and _pattern(path) not in seen:
                queue.append(href)
    return seen, problems


def _in_chromium(page, role: str, shots):
    """A page as the phone shows it: it fits, axe finds nothing serious, a screenshot is kept."""

    def visit(url: str, key: str) -> tuple[list[str], list[str]]:
        response = page.goto(url)
        if response is not None and response.status >= 500:
            return [f"{role} {url}: answered {response.status}"], []
        if (
            response is None
            or response.status >= 400
            or not response.headers.get("content-type", "").startswith("text/html")
        ):
            return [], []
        violations, (scroll_width, screen_width), links, split = axe_page_report(page)
        problems = [f"{role} {url}: {violation}" for violation in violations]
        if scroll_width > screen_width:
            problems.append(f"{role} {url}: the page is {scroll_width} px wide on a {screen_width} px screen")
        for label in sorted(set(split)):
            problems.append(f"{role} {url}: the card's {label} is in pieces spread beside its label")
        # the whole page where issue 12 found wide tables, the first screen elsewhere
        whole = any(re.search(p, key) for p in ITEM_5_PAGES.get(role, []))
        name = re.sub(r"[^a-zA-Z0-9]+", "-", key).strip("-") or "home"
        page.screenshot(path=str(shots / f"{role}-{name}.png"), full_page=whole)
        return problems, links

    return visit


LINK = re.compile(r"<a\s[^>]*?href=\"([^\"]*)\"")


def _through_the_client(client, role: str):
    """A page as the server answers it (following redirects, as the browser does), and its links."""

    def visit(url: str, _key: str) -> tuple[list[str], list[str]]:
        response = client.get(url, follow_redirects=True)
        if response.status_code >= 500:
            return [f"{role} {url}: answered {response.status_code}"], []
        if response.status_code >= 400 or response.mimetype != "text/html":
            return [], []
        here = response.request.url
        return [], [urljoin(here, html.unescape(href)) for href in LINK.findall(response.get_data(as_text=True))]

    return visit


@pytest.fixture
def demo(app, session, demo_data) -> dict[str, list[str]]:
    """The demo, plus a draft notice of the current edition; returns the pages to walk first for a
    role (the past edition's, whose tables are full, stand for the current edition's pages)."""
    from sqlalchemy import select

    from grants.auth.models import User
    from grants.editions.models import Edition
    from grants.editions.service import rounds_of
    from grants.funding.models import Grant
    from grants.results import service as results_service

    # 第二届 (last year's, with the hand-written stories); 第一届 is older still.
    past = session.scalar(select(Edition).where(Edition.number == 2))
    current = session.scalar(select(Edition).where(Edition.number == 3))
    organizer = session.scalar(select(User).where(User.username == "organizer"))
    draft = results_service.prepare(
        session,
        actor=organizer,
        edition=current,
        rnd=rounds_of(session, current.id)[0],
        settings=results_service.Settings(title="资格审查结果公示"),
    )
    session.commit()
    final = rounds_of(session, past.id)[-1]
    # The past edition's grants carried through funding: resident1 leads one with expenses of
    # every status and a budget change; the settled one shows its settlement and refund.
    grants = {
        g.proposal.applicant.username: g.id for g in session.scalars(select(Grant).where(Grant.edition_id == past.id))
    }
    return {
        "organizer": [
            f"/publications/{draft.id}",
            f"/review/rounds/{final.id}/results",
            f"/review/editions/{past.id}/awards",
            f"/admin/editions/{past.id}",
            f"/funding/grants/{grants['resident1']}",
        ],
        "resident1": [f"/funding/grants/{grants['resident1']}"],
        # the past edition's list of grants and its reconciliation, full of data (issue 13 item 10 pages)
        "finance": [
            "/funding/queue",
            f"/funding/grants/{grants['resident3']}",
            f"/funding/editions/{past.id}/grants",
            f"/funding/editions/{past.id}/reconcile",
        ],
    }


# One test per role, so that the test run's workers share the walk (it is the suite's longest).
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_the_demo_role_fits_a_phone_and_passes_axe(role, demo, app, request, artifacts_dir):
    if IS_POSTGRES:
        client = app.test_client()
        if role != "anonymous":
            assert client.post("/login", data={"login": role, "password": PASSWORD}).status_code == 302
        seen, problems = _walk(_through_the_client(client, role), "http://localhost", role, demo.get(role, []))
    else:
        assert AXE_JS.exists(), f"{AXE_JS} is missing: `make test` installs axe-core from the npm registry"
        base, browser = request.getfixturevalue("live_server"), request.getfixturevalue("browser")
        shots = artifacts_dir / "phone" / role
        shutil.rmtree(shots, ignore_errors=True)
        shots.mkdir(parents=True)
        context = phone_context(browser)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.dismiss())
        if role != "anonymous":
            sign_in(page, base, role, PASSWORD)
        seen, problems = _walk(_in_chromium(page, role, shots), base, role, demo.get(role, []))
        context.close()
        (shots / "walked.json").write_text(json.dumps(sorted(seen), ensure_ascii=False, indent=1))
    assert not problems, "\n".join(problems)
    for wanted in ITEM_5_PAGES.get(role, []):
        assert any(re.search(wanted, p) for p in seen), (role, wanted, sorted(seen))
    assert len(seen) >= 3, sorted(seen)


def test_the_menu_collapses_on_a_phone_and_opens_without_javascript(demo, live_server, browser, artifacts_dir):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_server, "organizer", PASSWORD)
    header = page.locator(".site-header")
    assert header.bounding_box()["height"] <= 110  # was 250 px of an 844 px screen
    menu = page.get_by_role("link", name="操作日志")
    expect(menu).to_be_hidden()
    page.locator("label.nav-toggle-label").click()
    expect(menu).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "phone-menu-open.png"))
    menu.click()
    assert page.locator("h1").inner_text() == "操作日志"
    context.close()

    wide = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = wide.new_page()
    sign_in(page, live_server, "organizer", PASSWORD)
    expect(page.get_by_role("link", name="操作日志")).to_be_visible()  # no toggle on a desktop
    expect(page.locator("label.nav-toggle-label")).to_be_hidden()
    wide.close()
