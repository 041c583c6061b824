"""The organizer's publication pages and the objection pages: forms, messages, and who is refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.funding.models import Grant
from grants.results import objections, queries, service
from grants.results.models import Holiday, Objection, Publication
from tests.results.conftest import after_window, move_window_into_the_past


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


def test_prepare_preview_then_publish_from_the_pages(client, login_as, session, world, awarded):
    edition, final, proposals = awarded
    login_as(world.organizer_a)
    page = client.get(f"/editions/{edition.id}/publications")
    assert page.status_code == 200 and "生成公示草稿" in page.get_data(as_text=True)
    response = client.post(
        f"/editions/{edition.id}/publications",
        data={
            "round_id": final.id,
            "title": "获奖项目公示",
            "office_name": "甲区社区办",
            "window_days": "5",
            "list_judges": "y",
        },
    )
    assert response.status_code == 302
    draft = session.scalar(select(Publication))
    body = client.get(f"/publications/{draft.id}").get_data(as_text=True)
    assert "公众还看不到" in body and all(p.title in body for p in proposals[:3])
    assert proposals[0].applicant.display_name not in body.split("名单预览", 1)[1]  # masked in the list
    response = client.post(f"/publications/{draft.id}/publish", follow_redirects=True)
    assert "公示已发布" in response.get_data(as_text=True)
    session.refresh(draft)
    assert draft.status == "published" and draft.closes_at is not None


def test_bad_prepare_form_says_why_and_stores_nothing(client, login_as, session, world, awarded):
    edition, final, _p = awarded
    login_as(world.organizer_a)
    for data, message in [
        ({"round_id": final.id, "title": "", "window_days": "5"}, "请填写此项"),
        ({"round_id": final.id, "title": "公示", "window_days": "40"}, "1到30"),
        ({"round_id": final.id, "title": "公示", "window_days": "五"}, "1到30"),
        ({"round_id": "999999", "title": "公示", "window_days": "5"}, "请选择一个已结束的评审轮次"),
        ({"round_id": "abc", "title": "公示", "window_days": "x"}, "请选择一个已结束的评审轮次"),
    ]:
        response = client.post(f"/editions/{edition.id}/publications", data=data)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Publication.id))) == 0


def test_organizer_pages_refuse_everyone_else(client, login_as, session, world, published):
    publication, _proposals = published
    edition_id = publication.edition_id
    objection = objections.file_objection(
        session,
        actor=world.resident,
        entry=queries.entries_of(session, publication)[0],
        text="异议内容至少十个字的说明。",
    )
    session.commit()
    gets = [
        f"/editions/{edition_id}/publications",
        f"/publications/{publication.id}",
        f"/editions/{edition_id}/objections",
        f"/editions/{edition_id}/holidays",
        f"/objections/{objection.id}/answer",
    ]
    posts = [
        f"/editions/{edition_id}/publications",
        f"/publications/{publication.id}/publish",
        f"/publications/{publication.id}/finalize",
        f"/publications/{publication.id}/discard",
        f"/publications/{publication.id}/rebuild",
        f"/publications/{publication.id}/settings",
        f"/objections/{objection.id}/answer",
        f"/editions/{edition_id}/holidays",
    ]
    for outsider in (world.organizer_b, world.judge_a, world.staff_a, world.street_staff_a):
        login_as(outsider)
        assert [client.get(url).status_code for url in gets] == [403] * len(gets)
        assert [client.post(url).status_code for url in posts] == [403] * len(posts)
        assert client.get(f"/objections/{objection.id}").status_code == 403
    with client.session_transaction() as signed_in:
        signed_in.clear()
    assert client.get(gets[0]).status_code == 302  # to the login page
    session.refresh(publication)
    assert publication.status == "published" and session.get(Objection, objection.id).status == "open"


def test_posts_need_the_csrf_token(client, login_as, session, world, awarded):
    edition, final, _p = awarded
    login_as(world.organizer_a)
    response = client.post(
        f"/editions/{edition.id}/publications",
        data={"round_id": final.id, "title": "公示", "window_days": "5"},
        csrf=False,
    )
    assert response.status_code == 400 and session.scalar(select(func.count(Publication.id))) == 0


def test_filing_an_objection_with_a_photo_then_the_answer(client, login_as, session, world, published, reencoding):
    publication, _proposals = published
    entry = queries.entries_of(session, publication)[1]
    login_as(world.resident)
    form = client.get(f"/entries/{entry.id}/objection")
    assert form.status_code == 200 and entry.title in form.get_data(as_text=True)
    response = client.post(
        f"/entries/{entry.id}/objection",
        data={"text": "项目预算中的物资价格明显偏高。", "file": (io.BytesIO(_png()), "价格.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert reencoding == [False]  # re-encoded before the write transaction (grants/uploads.py)
    objection = session.scalar(select(Objection))
    assert objection.author_id == world.resident.id and objection.attachment.original_name == "价格.png"
    assert "待答复" in client.get("/objections/mine").get_data(as_text=True)
    assert client.get(f"/objections/{objection.id}/attachment").status_code == 200
    # Another resident sees neither the objection nor its attachment.
    other = session.merge(world.resident).__class__
    stranger = session.scalar(select(other).where(other.username == "staff_a"))
    login_as(stranger)
    assert client.get(f"/objections/{objection.id}").status_code == 403
    assert client.get(f"/objections/{objection.id}/attachment").status_code == 403
    login_as(world.organizer_a)
    assert (
        client.post(f"/objections/{objection.id}/answer", data={"outcome": "dismissed", "reply": ""}).status_code == 400
    )
    assert client.post(f"/objections/{objection.id}/answer", data={"outcome": "maybe", "reply": "x"}).status_code == 400
    response = client.post(
        f"/objections/{objection.id}/answer", data={"outcome": "dismissed", "reply": "价格符合市场行情。"}
    )
    assert response.status_code == 302
    session.refresh(objection)
    assert objection.status == "dismissed" and objection.reply == "价格符合市场行情。"
    again = client.post(f"/objections/{objection.id}/answer", data={"outcome": "upheld", "reply": "改主意"})
    assert again.status_code == 400 and "已经答复过了" in again.get_data(as_text=True)
    login_as(world.resident)
    assert "价格符合市场行情" in client.get(f"/objections/{objection.id}").get_data(as_text=True)


@pytest.mark.parametrize(("text", "message"), [("太短", "10到2000个字"), ("长" * 2001, "不能超过"), ("", "请填写此项")])
def test_an_objection_with_bad_text_is_refused(client, login_as, session, world, published, text, message):
    publication, _proposals = published
    entry = queries.entries_of(session, publication)[0]
    login_as(world.resident)
    response = client.post(f"/entries/{entry.id}/objection", data={"text": text})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Objection.id))) == 0


def test_a_file_that_is_not_a_photo_or_pdf_is_refused(client, login_as, session, world, published):
    publication, _proposals = published
    entry = queries.entries_of(session, publication)[0]
    login_as(world.resident)
    response = client.post(
        f"/entries/{entry.id}/objection",
        data={"text": "附件是一个可执行文件，应当被拒绝。", "file": (io.BytesIO(b"MZ\x90\x00binary"), "a.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "只能上传照片" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Objection.id))) == 0


def test_objections_after_the_window_or_by_anonymous_users_are_refused(client, login_as, session, world, published):
    publication, _proposals = published
    entry = queries.entries_of(session, publication)[0]
    response = client.post(f"/entries/{entry.id}/objection", data={"text": "匿名用户的异议不应被接受。"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with pytest.raises(Exception, match="异议期"):
        objections.file_objection(
            session, actor=world.resident, entry=entry, text="异议期结束之后提出的异议。", now=after_window(publication)
        )
    session.rollback()
    move_window_into_the_past(session, publication)
    login_as(world.resident)
    page = client.get(f"/entries/{entry.id}/objection").get_data(as_text=True)
    assert "不在异议期内" in page and 'name="text"' not in page
    response = client.post(f"/entries/{entry.id}/objection", data={"text": "异议期结束之后提出的异议。"})
    assert response.status_code == 400 and "不在异议期内" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Objection.id))) == 0


def test_a_draft_entry_cannot_be_objected_to(client, login_as, session, world, awarded):
    edition, final, _p = awarded
    draft = service.prepare(
        session, actor=world.organizer_a, edition=edition, rnd=final, settings=service.Settings(title="公示")
    )
    session.commit()
    login_as(world.resident)
    assert client.get(f"/entries/{queries.entries_of(session, draft)[0].id}/objection").status_code == 404


def test_finalize_from_the_page(client, login_as, session, world, published):
    publication, _proposals = published
    login_as(world.organizer_a)
    response = client.post(f"/publications/{publication.id}/finalize", follow_redirects=True)
    assert "公示期到" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Grant.id))) == 0
    move_window_into_the_past(session, publication)
    response = client.post(f"/publications/{publication.id}/finalize", follow_redirects=True)
    assert "结果已确定" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Grant.id))) == 3


def test_holidays_page(client, login_as, session, world, awarded):
    edition, _final, _p = awarded
    login_as(world.organizer_a)
    assert (
        client.post(f"/editions/{edition.id}/holidays", data={"day": "2026-11-28", "kind": "holiday"}).status_code
        == 400
    )
    not_a_date = client.post(f"/editions/{edition.id}/holidays", data={"day": "not a date", "kind": "holiday"})
    assert not_a_date.status_code == 400 and "不是有效的日期值" in not_a_date.get_data(as_text=True)
    response = client.post(
        f"/editions/{edition.id}/holidays", data={"day": "2026-12-31", "name": "元旦前", "kind": "holiday"}
    )
    assert response.status_code == 302
    day = session.scalar(select(Holiday))
    assert "元旦前" in client.get(f"/editions/{edition.id}/holidays").get_data(as_text=True)
    login_as(world.organizer_b)
    assert client.post(f"/editions/{edition.id}/holidays/{day.id}/remove").status_code == 403
    login_as(world.organizer_a)
    assert client.post(f"/editions/{edition.id}/holidays/{day.id}/remove").status_code == 302
    assert session.scalar(select(func.count(Holiday.id))) == 0
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.like("holiday.%"))) == 2
