"""The resident's pages, the reviewers' pages, attachments and the PDF, and who may use them."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from grants.editions.states import edition_machine
from grants.proposals import service as ps
from grants.proposals.models import Attachment, BudgetLine, Proposal
from grants.timeutil import now


@pytest.fixture
def edition(world, session):
    edition_machine.transition(session, world.edition_a, "open", actor=None)
    session.commit()
    return world.edition_a


def _form_data(session, edition, proposal=None, **overrides) -> dict:
    categories = ps.ensure_budget_categories(session, edition)
    session.commit()
    data = {
        "title": "楼道微花园",
        "category_id": edition.categories[0].id,
        "community_id": 0,
        "period_start": "2026-04-01",
        "period_end": "2026-09-30",
        "summary": "把闲置楼道改造成微花园。",
        "need_analysis": "堆物多",
        "overall_objective": "整洁友好",
        "specific_objectives": "清理；种植",
        "beneficiaries": "本楼居民",
        "direct_beneficiaries": "60",
        "indirect_beneficiaries": "300",
        "risks": "养护难：轮值",
        "sustainability": "成立花友会",
        "prior_experience": "",
        "self_funds": "200",
        "commitment": "y",
        "applicant_mobile": "13800001234",
        "team-0-name": "李四",
        "team-0-mobile": "13900001111",
        "team-0-role": "组织",
        "team-0-community_name": "",
        "team-1-name": "王五",
        "team-1-mobile": "13900002222",
        "team-1-role": "宣传",
        "team-1-community_name": "",
        "activities-0-when": "2026年4月",
        "activities-0-activity": "清理楼道",
        "activities-0-place": "3号楼",
        "activities-0-expected_participants": "20",
        "budget_lines-0-category_id": categories[0].id,
        "budget_lines-0-item": "花盆",
        "budget_lines-0-unit_price": "50",
        "budget_lines-0-quantity": "20",
        "budget_lines-1-category_id": categories[1].id,
        "budget_lines-1-item": "海报",
        "budget_lines-1-unit_price": "20.5",
        "budget_lines-1-quantity": "10",
        "action": "save",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _start(client, session, edition) -> Proposal:
    response = client.post(f"/editions/{edition.id}/apply")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    session.commit()
    return session.scalars(select(Proposal).order_by(Proposal.id.desc())).first()


def test_resident_applies_saves_and_submits(client, login_as, world, session, edition):
    login_as(world.resident)
    assert "申报须知" in client.get(f"/editions/{edition.id}/apply").get_data(as_text=True)
    proposal = _start(client, session, edition)
    page = client.get(f"/proposals/{proposal.id}/edit").get_data(as_text=True)
    assert "填写申报书" in page and 'name="team-1-name"' in page  # two blank rows without JavaScript
    response = client.post(f"/proposals/{proposal.id}/edit", data=_form_data(session, edition))
    assert response.status_code == 302
    session.refresh(proposal)
    assert proposal.requested_fen == 50_00 * 20 + 20_50 * 10 and proposal.self_funds_fen == 200_00
    assert proposal.community_id is None  # resident chose none: submit must say so
    response = client.post(f"/proposals/{proposal.id}/edit", data=_form_data(session, edition, action="submit"))
    assert response.status_code == 400 and "实施社区" in response.get_data(as_text=True)
    data = _form_data(session, edition, action="submit", community_id=world.community_a.id)
    response = client.post(f"/proposals/{proposal.id}/edit", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/proposals/{proposal.id}")
    session.refresh(proposal)
    assert proposal.status == "submitted" and proposal.version == 1
    # Locked now: the edit page redirects, a forged POST changes nothing.
    assert client.get(f"/proposals/{proposal.id}/edit").status_code == 302
    client.post(f"/proposals/{proposal.id}/edit", data=_form_data(session, edition, title="偷改"))
    session.refresh(proposal)
    assert proposal.title == "楼道微花园"
    assert "楼道微花园" in client.get("/my/proposals").get_data(as_text=True)


def test_partial_draft_saves_and_bad_amounts_name_the_row(client, login_as, world, session, edition):
    login_as(world.resident)
    proposal = _start(client, session, edition)
    response = client.post(f"/proposals/{proposal.id}/edit", data={"title": "只写了名字", "action": "save"})
    assert response.status_code == 302
    response = client.post(
        f"/proposals/{proposal.id}/edit", data=_form_data(session, edition, **{"budget_lines-1-unit_price": "12.345"})
    )
    assert response.status_code == 400 and "预算第2行" in response.get_data(as_text=True)
    response = client.post(
        f"/proposals/{proposal.id}/edit", data=_form_data(session, edition, **{"budget_lines-0-unit_price": "2500"})
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "预算第1行" in body and "¥2,000.00" in body
    session.refresh(proposal)
    assert proposal.title == "只写了名字"
    assert session.scalar(select(func.count()).select_from(BudgetLine)) == 0


def test_submit_after_the_deadline_is_refused_with_the_time(client, login_as, world, session, edition):
    login_as(world.resident)
    proposal = _start(client, session, edition)
    edition.submission_closes_at = now() - timedelta(minutes=1)
    session.commit()
    data = _form_data(session, edition, action="submit", community_id=world.community_a.id)
    response = client.post(f"/proposals/{proposal.id}/edit", data=data)
    assert response.status_code == 400 and "截止" in response.get_data(as_text=True)
    session.refresh(proposal)
    assert proposal.status == "draft"


def test_second_proposal_is_refused_on_the_page(client, login_as, world, session, edition):
    login_as(world.resident)
    _start(client, session, edition)
    response = client.post(f"/editions/{edition.id}/apply", follow_redirects=True)
    assert "已经有一份申报书" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Proposal)) == 1


def test_withdraw(client, login_as, world, session, make, edition):
    proposal = make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)
    login_as(world.resident)
    assert client.post(f"/proposals/{proposal.id}/withdraw").status_code == 302
    session.refresh(proposal)
    assert proposal.status == "withdrawn"


# --- reviewers -------------------------------------------------------------------------------------


def test_staff_lists_their_communitys_submitted_proposals_only(client, login_as, world, session, make, edition):
    mine = make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)
    other = make.proposal(edition, submit=True, community_id=world.community_a2.id)
    draft = make.proposal(edition, community_id=world.community_a.id)
    login_as(world.staff_a)
    body = client.get(f"/admin/editions/{edition.id}/proposals").get_data(as_text=True)
    assert f'/proposals/{mine.id}"' in body and f'/proposals/{other.id}"' not in body
    assert f'/proposals/{draft.id}"' not in body
    login_as(world.organizer_a)
    body = client.get(f"/admin/editions/{edition.id}/proposals?status=submitted").get_data(as_text=True)
    assert f'/proposals/{other.id}"' in body
    for query in ("status=bogus", "category=9999", "q=%25"):
        assert client.get(f"/admin/editions/{edition.id}/proposals?{query}").status_code == 200
    for query, message in (("community=abc", "社区"), ("page=-1", "页码"), ("page=1e20", "页码")):
        response = client.get(f"/admin/editions/{edition.id}/proposals?{query}")
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert client.get(f"/admin/editions/{edition.id}/proposals?q=%00").status_code == 400


def test_the_community_filter_offers_the_communities_the_reviewer_reviews(client, login_as, world, make, edition):
    elsewhere = make.community(make.street(world.district_a), name="远处社区")
    url = f"/admin/editions/{edition.id}/proposals"

    def offered() -> list[str]:
        body = client.get(url).get_data(as_text=True)
        if 'name="community"' not in body:
            return []
        choices = body.split('name="community"', 1)[1].split("</select>", 1)[0]
        return re.findall(r'<option value="(\d+)"', choices)

    ours = sorted(str(c.id) for c in (world.community_a, world.community_a2))
    login_as(world.organizer_a)
    assert sorted(offered()) == sorted([*ours, str(elsewhere.id)])
    login_as(world.street_staff_a)  # the two communities of the street
    assert sorted(offered()) == ours
    login_as(world.staff_a)  # one community: nothing to choose, no filter
    assert offered() == []
    assert client.get(url, query_string={"community": world.community_a.id}).status_code == 200


def test_list_query_count_is_the_same_for_10_and_200(
    client, login_as, world, session, make, edition, query_counter, app
):
    app.config["PER_PAGE"] = 500
    for _ in range(10):
        make.proposal(edition, submit=True, community_id=world.community_a.id)
    login_as(world.organizer_a)
    with query_counter() as few:
        client.get(f"/admin/editions/{edition.id}/proposals")
    for _ in range(190):
        make.proposal(edition, submit=True, community_id=world.community_a.id)
    login_as(world.organizer_a)
    with query_counter() as many:
        body = client.get(f"/admin/editions/{edition.id}/proposals").get_data(as_text=True)
    assert "共 200 个项目" in body
    assert len(few) == len(many)


def test_return_for_correction_and_versions(client, login_as, world, session, make, edition):
    proposal = make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)
    login_as(world.staff_a)
    assert "退回补正" in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    response = client.post(f"/proposals/{proposal.id}/return", data={"reason": "", "deadline": "2030-01-01T10:00"})
    assert response.status_code == 400
    response = client.post(f"/proposals/{proposal.id}/return", data={"reason": "x", "deadline": "2020-01-01T10:00"})
    assert response.status_code == 400 and "晚于现在" in response.get_data(as_text=True)
    response = client.post(
        f"/proposals/{proposal.id}/return", data={"reason": "请补充预算说明", "deadline": "2030-01-01T10:00"}
    )
    assert response.status_code == 302
    login_as(world.resident)
    assert "请补充预算说明" in client.get(f"/proposals/{proposal.id}/edit").get_data(as_text=True)
    data = _form_data(session, edition, action="submit", community_id=world.community_a.id, title="楼道微花园2.0")
    assert client.post(f"/proposals/{proposal.id}/edit", data=data).status_code == 302
    login_as(world.staff_a)
    body = client.get(f"/proposals/{proposal.id}/versions").get_data(as_text=True)
    assert "楼道微花园2.0" in body and "第1版 → 第2版" in body


def test_extend_window_lets_a_late_submission_through(client, login_as, world, session, make, edition):
    proposal = make.proposal(edition, world.resident, community_id=world.community_a.id)
    edition.submission_closes_at = now() - timedelta(hours=1)
    session.commit()
    login_as(world.organizer_a)
    response = client.post(f"/admin/editions/{edition.id}/extend-window", data={"closes_at": "2020-01-01T00:00"})
    assert response.status_code == 400
    response = client.post(f"/admin/editions/{edition.id}/extend-window", data={"closes_at": "2099-01-01T00:00"})
    assert response.status_code == 302
    ps.submit_proposal(session, actor=world.resident, proposal=session.get(Proposal, proposal.id))
    session.commit()


# --- attachments and PDF ---------------------------------------------------------------------------


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_attachments_are_checked_by_content_and_served_only_to_allowed_users(
    client, login_as, world, session, make, edition, app
):
    proposal = make.proposal(edition, world.resident, community_id=world.community_a.id)
    login_as(world.resident)
    fake = client.post(
        f"/proposals/{proposal.id}/attachments",
        data={"file": (io.BytesIO(b"hello"), "photo.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "内容不是这些格式" in fake.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Attachment)) == 0
    response = client.post(
        f"/proposals/{proposal.id}/attachments",
        data={"file": (io.BytesIO(_png()), "现场照片.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    item = session.scalar(select(Attachment))
    assert item.mime == "image/png" and "现场" not in item.stored_name and len(item.sha256) == 64
    download = client.get(f"/attachments/{item.id}")
    assert download.status_code == 200 and hashlib.sha256(download.data).hexdigest() == item.sha256
    assert Image.open(io.BytesIO(download.data)).size == Image.open(io.BytesIO(_png())).size  # stored re-encoded
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    for who in (world.staff_b, world.organizer_b, world.staff_a):  # staff_a: a draft is private
        login_as(who)
        assert client.get(f"/attachments/{item.id}").status_code == 404
        assert client.post(f"/attachments/{item.id}/delete").status_code == 404
    ps.submit_proposal(session, actor=world.resident, proposal=session.get(Proposal, proposal.id))
    session.commit()
    login_as(world.staff_a)
    assert client.get(f"/attachments/{item.id}").status_code == 200
    assert client.post(f"/attachments/{item.id}/delete").status_code == 403
    assert session.get(Attachment, item.id) is not None


def test_upload_over_the_request_limit_gets_the_friendly_413(client, login_as, world, session, make, edition, app):
    proposal = make.proposal(edition, world.resident)
    login_as(world.resident)
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = client.post(
        f"/proposals/{proposal.id}/attachments",
        data={"file": (io.BytesIO(b"x" * 20_000), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413 and "文件太大" in response.get_data(as_text=True)


# --- who may do what -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff_b", "organizer_b", "judge_a", "finance_a", "other_resident", "anonymous"])
def test_others_cannot_see_or_change_a_proposal(app, world, session, make, edition, who):
    proposal = make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)
    other = make.user("someone_else") if who == "other_resident" else None
    before = (proposal.status, proposal.title, proposal.version)
    routes = [
        ("GET", f"/proposals/{proposal.id}"),
        ("GET", f"/proposals/{proposal.id}/edit"),
        ("POST", f"/proposals/{proposal.id}/edit"),
        ("POST", f"/proposals/{proposal.id}/withdraw"),
        ("GET", f"/proposals/{proposal.id}/pdf"),
        ("GET", f"/proposals/{proposal.id}/versions"),
        ("GET", f"/proposals/{proposal.id}/return"),
        ("POST", f"/proposals/{proposal.id}/return"),
        ("POST", f"/proposals/{proposal.id}/attachments"),
    ]
    for method, url in routes:
        client = app.test_client()
        if who != "anonymous":
            user = other or getattr(world, who)
            with client.session_transaction() as sess:
                sess["_user_id"] = user.get_id()
        response = client.get(url) if method == "GET" else client.post(url, data={"reason": "x", "title": "x"})
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code == 404, (url, response.status_code)
    session.refresh(proposal)
    assert (proposal.status, proposal.title, proposal.version) == before


@pytest.mark.parametrize("who", ["organizer_b", "staff_b", "resident"])
def test_others_cannot_use_the_edition_review_pages(client, login_as, world, edition, who):
    login_as(getattr(world, who))
    assert client.get(f"/admin/editions/{edition.id}/proposals").status_code == 403
    assert client.get(f"/admin/editions/{edition.id}/extend-window").status_code == 403


def test_post_without_csrf_changes_nothing(client, login_as, world, session, make, edition):
    proposal = make.proposal(edition, world.resident, community_id=world.community_a.id)
    login_as(world.resident)
    response = client.post(f"/proposals/{proposal.id}/edit", data=_form_data(session, edition, title="x"), csrf=False)
    assert response.status_code == 400
    session.refresh(proposal)
    assert proposal.title == "楼道微花园"
