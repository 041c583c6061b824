"""Issue 12 in Chromium: a judge reads the whole proposal beside the sheet (budget lines, team,
plan, an attachment) and submits with a running total; each demo resident's 我的申报 shows the
real stage of every proposal."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from grants.auth.models import User
from grants.demo import DEMO_PASSWORD
from grants.funding.models import Grant
from grants.judging.models import Assignment
from grants.proposals.models import Proposal
from tests.conftest import CSRF_RE
from tests.e2e.pages import sign_in
from tests.factories import PASSWORD
from tests.judging.test_sheet_reading import judged  # noqa: F401  (the fixture)

pytestmark = pytest.mark.e2e


def _context(browser, phone: bool):
    if phone:
        return browser.new_context(
            viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
        )
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")


def _new_page(context):
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def _login(browser, base: str, login: str, password: str, *, phone: bool = False):
    context = _context(browser, phone)
    page = _new_page(context)
    sign_in(page, base, login, password)
    return context, page


def _signed_in(browser, base: str, login: str, password: str, *, phone: bool = False):
    """A browser signed in by its own requests to the sign-in form, without rendering it (the form
    itself is walked in test_accounts_e2e); its pages open in the browser."""
    context = _context(browser, phone)
    token = CSRF_RE.search(context.request.get(base + "/login").text()).group(1)
    answer = context.request.post(
        base + "/login", form={"csrf_token": token, "login": login, "password": password}, max_redirects=0
    )
    assert answer.status == 302, answer.status
    return context, _new_page(context)


@pytest.mark.parametrize("on_phone", [False, True], ids=["desktop", "phone"])
def test_a_judge_reads_the_whole_proposal_and_submits(
    live_server,
    browser,
    session,
    world,
    judged,  # noqa: F811
    artifacts_dir,
    on_phone,
):
    from grants.judging import eligibility

    rnd, proposal, _photo = judged
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    sheet = session.scalars(
        select(Assignment).where(Assignment.round_id == rnd.id, Assignment.proposal_id == proposal.id)
    ).first()
    criteria = [(c.id, c.max_points) for c in rnd.criteria]
    context, page = _login(browser, live_server, sheet.judge.username, PASSWORD, phone=on_phone)
    try:
        page.goto(live_server + "/review/queue")
        page.get_by_role("link", name=proposal.title).first.click()
        proposal_part = page.locator(".sheet-proposal")
        for text in ("花盆1号", "花盆2号", "志愿者", "楼道清理", "3号楼", "场地照片.png"):
            expect(proposal_part.get_by_text(text).first, text).to_be_visible()
        expect(proposal_part.get_by_role("link", name="下载申报书PDF")).to_be_visible()
        href = proposal_part.get_by_role("link", name="场地照片.png").get_attribute("href")
        download = context.request.get(live_server + href)
        assert download.status == 200 and download.headers["content-type"].startswith("image/png")

        form = page.locator("#score")
        if on_phone:
            # Above the sheet, with a link down to the criteria that stays on screen.
            assert proposal_part.bounding_box()["y"] < form.bounding_box()["y"]
            page.get_by_role("link", name="跳到评分").click()
            page.locator(f"#c{criteria[0][0]}").wait_for(state="visible")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        else:
            left, right = proposal_part.bounding_box(), form.bounding_box()
            assert left["x"] + left["width"] <= right["x"] and right["y"] < left["y"] + left["height"]
        total = 0
        for criterion_id, max_points in criteria:
            given = max_points - 1
            page.locator(f"#c{criterion_id}").fill(str(given))
            total += given
        assert page.locator("#sheet-total").inner_text() == f"{total:.2f}"
        page.screenshot(path=str(artifacts_dir / f"issue12-sheet-{'phone' if on_phone else 'desktop'}.png"))
        page.get_by_role("button", name="提交评分").click()
        page.get_by_text("评分已提交").wait_for()
    finally:
        context.close()
    session.commit()  # end the test's read snapshot
    assert session.get(Assignment, sheet.id).status == "submitted"


def _expected(proposal: Proposal, grant: Grant | None, current_edition_id: int) -> tuple[str, ...]:
    """The words a card must show for this demo proposal (from its records, not from standing.py)."""
    if proposal.status == "withdrawn":
        return ("已撤回",)
    if proposal.status == "ineligible":
        return ("资格审查未通过",)
    if proposal.status == "submitted":
        return ("等待资格审查",)
    if proposal.status == "returned":
        return ("退回补正", "补正截止")
    if proposal.status == "draft":
        return ("草稿",)
    if grant is not None and grant.signed_at is not None:  # the demo's past grants are being funded
        return ("资助实施中", grant.tier, "查看资助项目")
    if grant is not None:
        return ("获得资助", grant.tier)
    if proposal.edition_id == current_edition_id:
        return ("评审中",)
    return ("未",)  # 未晋级 or 未获资助 in the finished past edition


def test_each_demo_resident_sees_the_real_stage_of_each_proposal(
    live_server, browser, app, session, artifacts_dir, demo_data
):
    from grants.editions.models import Edition

    current = session.scalar(select(Edition).where(Edition.number == 3))
    grants = {g.proposal_id: g for g in session.scalars(select(Grant))}
    residents = session.scalars(select(User).where(User.username.like("resident%")).order_by(User.id)).all()
    seen_stages: set[str] = set()
    awarded_past_and_current = 0
    for resident in residents:
        proposals = session.scalars(
            select(Proposal).where(Proposal.applicant_id == resident.id).order_by(Proposal.created_at.desc())
        ).all()
        if not proposals:
            continue
        context, page = _signed_in(browser, live_server, resident.username, DEMO_PASSWORD, phone=True)
        try:
            page.goto(live_server + "/my/proposals")
            cards = page.locator(".my-proposals > li")
            assert cards.count() == len(proposals)
            assert "资格审查通过" not in page.locator("main").inner_text()
            for card, proposal in zip(cards.all(), proposals, strict=True):
                text = card.inner_text()
                assert proposal.title in text
                for words in _expected(proposal, grants.get(proposal.id), current.id):
                    assert words in text, (resident.username, proposal.title, words, text)
                seen_stages.add(card.get_attribute("data-stage"))
            if any(p.id in grants for p in proposals) and any(p.edition_id == current.id for p in proposals):
                awarded_past_and_current += 1
                page.screenshot(path=str(artifacts_dir / f"issue12-mine-{resident.username}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        finally:
            context.close()
    # The demo has last year's winners who apply again this year, and losers of each kind.
    assert awarded_past_and_current >= 1
    assert {"funded", "in_review", "ineligible"} <= seen_stages, seen_stages
