"""One edition through all three rounds in Chromium: eligibility, assigned scoring (k = 3, top 2
advance), final panel of five judges with the trimmed mean; the final ranking matches the numbers
computed by hand below."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from grants.auth.models import Role
from grants.editions import service as edition_service
from grants.editions.models import Edition
from grants.editions.states import edition_machine
from grants.judging.models import Assignment, RoundResult
from grants.timeutil import now
from tests.e2e.pages import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.e2e

# Round 2 (mean of the three assigned judges): every judge gives the same total, so A 80, B 70, C 60
# and A and B advance (top 2).
PRELIMINARY = {"A": 80, "B": 70, "C": 60}
# Final panel of five judges, trimmed mean (five judges reach the threshold of 5):
#   A: 90 85 80 70 95 → drop 95 and 70 → (90 + 85 + 80) / 3 = 85.00   (plain mean 84.00)
#   B: 88 92 60 86 87 → drop 92 and 60 → (88 + 86 + 87) / 3 = 87.00   (plain mean 82.60)
# so B ranks first although its plain mean is lower.
FINAL = {"A": [90, 85, 80, 70, 95], "B": [88, 92, 60, 86, 87]}
EXPECTED = [("B", "87.00"), ("A", "85.00")]


def _login(browser, base: str, login: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, login, PASSWORD)
    return context, page


def _split(criteria, total: int) -> dict[int, int]:
    points, left = {}, total
    for c in criteria:
        points[c.id] = min(left, c.max_points)
        left -= points[c.id]
    return points


def _score_queue(signed_in, browser, base, judge, criteria, total_of) -> int:
    """The judge scores every open sheet of their queue; returns how many. Each judge signs in
    once, in a browser of their own kept in ``signed_in`` (judge id → (context, page)) for the
    next round."""
    if judge.id not in signed_in:
        signed_in[judge.id] = _login(browser, base, judge.username)
    _context, page = signed_in[judge.id]
    page.goto(base + "/review/queue")
    links = [a.get_attribute("href") for a in page.locator(".cards h2 a").all()]
    for href in links:
        page.goto(base + href)
        title = page.locator("h1").inner_text()
        for criterion_id, value in _split(criteria, total_of(title)).items():
            page.locator(f"#c{criterion_id}").fill(str(value))
        page.get_by_role("button", name="提交评分").click()
        page.get_by_text("评分已提交").wait_for()
    return len(links)


def test_three_rounds_end_at_the_hand_computed_ranking(live_server, browser, world, session, make, artifacts_dir):
    edition = world.edition_a
    edition_machine.transition(session, edition, "open", actor=None)
    session.commit()
    proposals = {
        key: make.proposal(edition, submit=True, title=f"项目{key}", community_id=world.community_a.id)
        for key in ("A", "B", "C")
    }
    judges = [world.judge_a] + [make.user(f"judge_e{i}", roles=[(Role.JUDGE, edition)]) for i in range(4)]
    first, second, final = edition_service.rounds_of(session, edition.id)
    second.advancement, second.advance_top_n = "top_n", 2
    session.commit()
    key_of = {f"项目{k}": k for k in proposals}

    context, org = _login(browser, live_server, world.organizer_a.username)
    # Round 1: open, pass all three, close.
    org.goto(f"{live_server}/review/rounds/{first.id}/eligibility")
    org.get_by_role("button", name="开始本轮").click()
    for proposal in proposals.values():
        org.goto(f"{live_server}/review/rounds/{first.id}/eligibility/{proposal.id}")
        for item in org.locator("input[name=checked]").all():  # 通过 needs every checklist item
            item.check()
        org.get_by_label("通过", exact=True).check()
        org.get_by_role("button", name="保存决定").click()
        org.get_by_text("资格审查决定已保存").wait_for()
    # Round 1 closes only once submission is over and the edition is in review: the deadline
    # passes (a write first, so SQLite takes its lock at once), then the organizer starts review.
    session.commit()
    session.execute(
        update(Edition)
        .where(Edition.id == edition.id)
        .values(submission_opens_at=now() - timedelta(days=30), submission_closes_at=now() - timedelta(minutes=1))
    )
    session.commit()
    org.goto(f"{live_server}/admin/editions/{edition.id}")
    org.get_by_role("button", name="进入评审").click()
    org.get_by_text("状态已更新为“评审中”").wait_for()
    org.goto(f"{live_server}/review/rounds/{first.id}/eligibility")
    org.get_by_role("button", name="结束本轮").click()
    org.get_by_text("本轮已结束").wait_for()

    # Round 2: assign three judges per proposal, start, every judge scores, close.
    org.goto(f"{live_server}/review/rounds/{second.id}/sheets")
    org.get_by_role("button", name="分配评委").click()
    org.get_by_text("已分配9张评分表").wait_for()
    org.get_by_role("button", name="开始本轮").click()
    signed_in: dict[int, tuple] = {}
    scored = sum(
        _score_queue(signed_in, browser, live_server, j, second.criteria, lambda t: PRELIMINARY[key_of[t]])
        for j in judges
    )
    assert scored == 9
    org.goto(f"{live_server}/review/rounds/{second.id}/results")
    org.get_by_role("button", name="结束本轮并保存结果").click()
    org.get_by_text("本轮已结束").wait_for()
    session.commit()  # end the test's read snapshot: the browser's requests changed the database
    advanced = session.scalars(
        select(RoundResult.proposal_id).where(RoundResult.round_id == second.id, RoundResult.advanced.is_(True))
    ).all()
    assert sorted(advanced) == sorted([proposals["A"].id, proposals["B"].id])

    # Final: the whole panel scores A and B; judge i gives FINAL[key][i].
    org.goto(f"{live_server}/review/rounds/{final.id}/sheets")
    org.get_by_role("button", name="分配评委").click()
    org.get_by_text("已分配10张评分表").wait_for()
    org.get_by_role("button", name="开始本轮").click()
    for i, judge in enumerate(judges):
        total_of = lambda t, i=i: FINAL[key_of[t]][i]  # noqa: E731 (judge i's total of a proposal)
        assert _score_queue(signed_in, browser, live_server, judge, final.criteria, total_of) == 2
    for judge_context, _page in signed_in.values():
        judge_context.close()
    org.goto(f"{live_server}/review/rounds/{final.id}/results")
    org.get_by_role("button", name="结束本轮并保存结果").click()
    org.get_by_text("本轮已结束").wait_for()
    rows = org.locator("section[aria-labelledby=ranking-h] tbody tr")
    shown = [
        (rows.nth(i).locator("td").nth(1).locator("a").inner_text(), rows.nth(i).locator("td").nth(2).inner_text())
        for i in range(rows.count())
    ]
    assert [(key_of[title], score) for title, score in shown] == EXPECTED
    org.screenshot(path=str(artifacts_dir / "final-ranking.png"), full_page=True)
    context.close()
    session.commit()
    stored = session.scalars(
        select(RoundResult).where(RoundResult.round_id == final.id).order_by(RoundResult.rank)
    ).all()
    assert [(r.proposal_id, str(r.score)) for r in stored] == [
        (proposals["B"].id, "87.0000"),
        (proposals["A"].id, "85.0000"),
    ]
    assert (
        session.scalar(select(Assignment).where(Assignment.round_id == final.id, Assignment.status != "submitted"))
        is None
    )
