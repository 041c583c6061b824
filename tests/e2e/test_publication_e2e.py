"""Publishing in Chromium: the organizer previews and publishes the awards list, a resident
objects from a phone, the organizer answers, and after the window the results become final."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.funding.models import Grant
from grants.results import queries
from grants.results.models import Objection, Publication
from tests.e2e.pages import sign_in
from tests.factories import PASSWORD
from tests.results.conftest import awarded, final_closed, move_window_into_the_past, scoring  # noqa: F401

pytestmark = pytest.mark.e2e


def test_publish_object_answer_finalize(live_server, desktop, phone, session, world, awarded, artifacts_dir):  # noqa: F811
    edition, _final, proposals = awarded
    base = live_server

    # The organizer prepares the list, checks the preview (names masked) and publishes it.
    sign_in(desktop, base, world.organizer_a.username, PASSWORD)
    desktop.goto(f"{base}/editions/{edition.id}/publications")
    desktop.get_by_label("公示标题").fill("甲区第一届公益微创投获奖项目公示")
    desktop.get_by_label("公布评审专家名单").check()
    desktop.get_by_role("button", name="生成公示草稿").click()
    desktop.get_by_text("公示草稿已生成").wait_for()
    preview = desktop.locator("table.notice-list")
    assert preview.locator("tbody tr").count() == 3
    for proposal in proposals[:3]:
        assert proposal.applicant.display_name not in preview.inner_text()
    desktop.get_by_role("button", name="发布公示").click()
    desktop.get_by_text("公示已发布，异议期开始计算。").wait_for()
    session.commit()  # see what the server wrote
    publication = session.scalar(select(Publication))
    assert publication.status == "published"
    entry = queries.entries_of(session, publication)[0]

    # A resident objects from a phone.
    sign_in(phone, base, world.resident.username, PASSWORD)
    phone.goto(f"{base}/entries/{entry.id}/objection")
    phone.get_by_label("异议内容").fill("该项目的活动场地在本社区以外，不符合申报条件。")
    phone.get_by_role("button", name="提交异议").click()
    phone.get_by_text("异议已提交").wait_for()
    phone.screenshot(path=str(artifacts_dir / "objection-filed-phone.png"), full_page=True)

    # The organizer answers it; finalizing is refused until the window is over.
    desktop.goto(f"{base}/editions/{edition.id}/objections")
    desktop.get_by_role("link", name=f"答复 {entry.title}").click()
    desktop.get_by_label("异议不成立").check()
    desktop.get_by_label("公开答复").fill("经现场核实，活动场地位于本社区党群服务中心。")
    desktop.get_by_role("button", name="发布答复").click()
    desktop.get_by_text("答复已发布").wait_for()
    session.commit()
    assert session.scalar(select(Objection.status)) == "dismissed"
    desktop.goto(f"{base}/publications/{publication.id}")
    desktop.get_by_role("button", name="确定结果").click()
    desktop.get_by_text("结束后才能确定结果").wait_for()
    session.commit()
    assert session.scalar(select(func.count(Grant.id))) == 0

    move_window_into_the_past(session, publication)
    desktop.goto(f"{base}/publications/{publication.id}")
    desktop.get_by_role("button", name="确定结果").click()
    desktop.get_by_text("结果已确定，获奖项目已转为资助项目。").wait_for()
    desktop.screenshot(path=str(artifacts_dir / "publication-final.png"), full_page=True)
    session.commit()
    grants = session.scalars(select(Grant).order_by(Grant.id)).all()
    assert [(g.proposal_id, g.tier) for g in grants] == [
        (p.id, t) for p, t in zip(proposals, ["一等奖", "二等奖", "二等奖"], strict=False)
    ]

    # The resident sees the public reply to the objection.
    phone.goto(f"{base}/objections/mine")
    phone.get_by_text("异议不成立").wait_for()
