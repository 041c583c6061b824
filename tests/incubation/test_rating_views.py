"""Star-rating pages: the pipeline clicked through as each person would, the forms' messages, the
public pages, the group page's current stars and the home page's waiting items."""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from grants.auth.models import Role
from grants.incubation.models import StarCampaign, StarCriterion, StarNomination, StarSheet
from grants.incubation.ratings import campaigns
from tests.incubation.rating_fixtures import points_for


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def evidence_attachment(session, actor):
    """A stored evidence photo (an Attachment row and its file)."""
    from grants.proposals.attachments import check_upload, store_upload

    mime, data = check_upload(png_bytes(), 1_000_000)
    return store_upload(
        session,
        actor=actor,
        filename="台账.png",
        data=data,
        mime=mime,
        upload_dir=Path(current_app.config["UPLOAD_DIR"]),
        proposal_id=None,
    )


def _sheet_form(session, campaign, total, **extra):
    return {
        f"c{cid}": str(halves / 2).removesuffix(".0") for cid, halves in points_for(session, campaign, total).items()
    } | extra


def _flash(response) -> str:
    return response.get_data(as_text=True)


def test_the_pipeline_through_the_pages(session, client, login_as, world, pipeline):
    org = world.organizer_a
    login_as(org)
    page = client.get("/ratings/new")
    assert page.status_code == 200 and "党建引领 | 党组织联系与指导 | 5" in page.get_data(as_text=True)
    response = client.post(
        "/ratings/new",
        data={
            "title": "2026年度星级评定",
            "year": "2026",
            "notice_days": "5",
            "cut_three": "70",
            "cut_four": "80",
            "cut_five": "90",
            "indicators": "党建引领 | 支部联系 | 50\n规范管理 | 台账 | 50",
        },
    )
    assert response.status_code == 302
    campaign = session.scalars(select(StarCampaign)).one()
    assert session.scalar(select(func.count(StarCriterion.id))) == 2
    assert client.post(f"/ratings/{campaign.id}/stage", data={"target": "recommending"}).status_code == 302
    # the community's staff recommend their group
    login_as(world.staff_a)
    page = client.get(f"/ratings/{campaign.id}").get_data(as_text=True)
    assert "樱桃花友会" in page and "甲二合唱团" not in page  # only their own community's groups
    url = f"/ratings/{campaign.id}/groups/{pipeline.group_a.id}/recommend"
    assert client.get(url).status_code == 200
    form = _sheet_form(session, campaign, 170, evidence="组织活动丰富，台账齐全。")
    assert client.post(url, data=form).status_code == 302
    nomination = session.scalars(select(StarNomination)).one()
    login_as(org)
    client.post(f"/ratings/{campaign.id}/stage", data={"target": "street_review"})
    # the street scores
    login_as(world.street_staff_a)
    assert "等待街道初评评分" in client.get("/").get_data(as_text=True)
    url = f"/ratings/nominations/{nomination.id}/street"
    assert client.post(url, data=_sheet_form(session, campaign, 160)).status_code == 302
    login_as(org)
    for assessor in pipeline.assessors:
        client.post(f"/ratings/{campaign.id}/assessors", data={"login": assessor.login_name})
    client.post(f"/ratings/{campaign.id}/stage", data={"target": "district_review"})
    session.expire_all()
    assert campaign.status == "district_review"
    # the assessors score from their phones
    for assessor, total in zip(pipeline.assessors, (180, 170, 161), strict=True):
        login_as(assessor)
        assert "等待您的区级审评评分" in client.get("/").get_data(as_text=True)
        assert (
            client.post(
                f"/ratings/nominations/{nomination.id}/assess", data=_sheet_form(session, campaign, total)
            ).status_code
            == 302
        )
    login_as(org)
    page = client.get(f"/ratings/nominations/{nomination.id}").get_data(as_text=True)
    assert "85.2" in page and "四星" in page  # mean of 90, 85, 80.5
    assert client.post(f"/ratings/nominations/{nomination.id}/decide", data={"stars": ""}).status_code == 302
    assert client.post(f"/ratings/{campaign.id}/publish").status_code == 302
    session.expire_all()
    assert campaign.status == "notice"
    # anyone signed in objects on the public notice
    login_as(world.resident)
    notice = client.get(f"/ratings/{campaign.id}/notice").get_data(as_text=True)
    assert "樱桃花友会" in notice and "四星" in notice
    response = client.post(
        f"/ratings/nominations/{nomination.id}/objections", data={"text": "该组织的活动台账有缺漏，请核实。"}
    )
    assert response.status_code == 302
    login_as(org)
    page = client.get(f"/ratings/{campaign.id}").get_data(as_text=True)
    objection_id = re.search(r"/ratings/objections/(\d+)/answer", page).group(1)
    response = client.post(
        f"/ratings/objections/{objection_id}/answer",
        data={"outcome": "dismissed", "reply": "经核实，台账齐全。", "stars": ""},
    )
    assert response.status_code == 302
    pipeline.campaign = campaign
    pipeline.close_window()
    assert client.post(f"/ratings/{campaign.id}/finalize").status_code == 302
    session.expire_all()
    assert campaign.status == "final"
    # the group's page and its public page show the stars with the year
    assert "四星（2026年度" in client.get(f"/groups/{pipeline.group_a.id}").get_data(as_text=True)
    client.get("/logout")
    public = client.get(f"/ratings/groups/{pipeline.group_a.id}")
    assert public.status_code == 200 and "四星（2026年度" in public.get_data(as_text=True)


def test_a_wrong_point_re_renders_the_sheet_with_the_message_and_stores_nothing(
    session, client, login_as, world, pipeline
):
    pipeline.create()
    pipeline.move("recommending")
    login_as(world.staff_a)
    form = _sheet_form(session, pipeline.campaign, 150, evidence="活动丰富")
    first = campaigns.criteria_of(session, pipeline.campaign.id)[0]
    form[f"c{first.id}"] = "7.3"
    response = client.post(f"/ratings/{pipeline.campaign.id}/groups/{pipeline.group_a.id}/recommend", data=form)
    assert response.status_code == 400
    assert "最多保留到0.5分" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(StarNomination.id))) == 0
    assert session.scalar(select(func.count(StarSheet.id))) == 0


def test_a_stage_move_refused_says_why_and_changes_nothing(session, client, login_as, world, pipeline):
    pipeline.create()
    pipeline.move("recommending")
    login_as(world.organizer_a)
    response = client.post(
        f"/ratings/{pipeline.campaign.id}/stage", data={"target": "district_review"}, follow_redirects=True
    )
    assert "不能变为" in response.get_data(as_text=True)
    response = client.post(
        f"/ratings/{pipeline.campaign.id}/stage", data={"target": "street_review"}, follow_redirects=True
    )
    assert "还没有社区推荐任何组织" in response.get_data(as_text=True)
    session.expire_all()
    assert pipeline.campaign.status == "recommending"


def test_bad_campaign_input_re_renders_the_form_with_the_field_message(session, client, login_as, world, pipeline):
    pipeline.create()
    login_as(world.organizer_a)
    response = client.post(
        f"/ratings/{pipeline.campaign.id}/edit",
        data={
            "title": "x",
            "year": "2026",
            "notice_days": "5",
            "cut_three": "70",
            "cut_four": "80",
            "cut_five": "90",
            "indicators": "党建引领 | 支部",
        },
    )
    assert response.status_code == 400 and "第1行" in response.get_data(as_text=True)
    session.expire_all()
    assert pipeline.campaign.title == "2026年度三自组织星级评定"


def test_the_assessor_page_tells_a_conflicted_assessor_and_refuses_the_post(session, client, login_as, world, pipeline):
    pipeline.to_district()
    nomination = pipeline.nominations[pipeline.group_a.id]
    login_as(pipeline.local_assessor)
    page = client.get(f"/ratings/nominations/{nomination.id}/assess")
    assert page.status_code == 200 and "您不能为它评分" in page.get_data(as_text=True)
    before = session.scalar(select(func.count(StarSheet.id)))
    response = client.post(
        f"/ratings/nominations/{nomination.id}/assess", data=_sheet_form(session, pipeline.campaign, 150)
    )
    assert response.status_code == 403
    assert session.scalar(select(func.count(StarSheet.id))) == before


def test_the_campaign_page_shows_the_panels_mean_and_disagreement_only_to_the_organizer(
    session, client, login_as, world, pipeline
):
    pipeline.to_district(totals_a=(180, 160, 140))
    login_as(world.organizer_a)
    page = client.get(f"/ratings/{pipeline.campaign.id}").get_data(as_text=True)
    assert "专家平均分" in page and "80.0" in page
    nomination = pipeline.nominations[pipeline.group_a.id]
    detail = client.get(f"/ratings/nominations/{nomination.id}").get_data(as_text=True)
    assert "极差20" in detail and "标准差8.2" in detail
    login_as(pipeline.assessors[0])
    page = client.get(f"/ratings/{pipeline.campaign.id}").get_data(as_text=True)
    assert "专家平均分" not in page
    detail = client.get(f"/ratings/nominations/{nomination.id}").get_data(as_text=True)
    assert "极差" not in detail
    assert detail.count('<th scope="col" class="num">区级审评') == 1  # only their own sheet


def test_community_and_street_staff_see_only_their_own_groups_on_the_campaign_page(
    session, client, login_as, world, make, pipeline
):
    """The campaign page opens for every staff member of the district (its criteria and stages), but
    its list of nominations holds only the groups of their own communities or street."""
    pipeline.to_district()
    other_street = make.street(world.district_a, "另一街道")
    mine, theirs = pipeline.group_a.name, pipeline.group_a2.name
    seen = {
        world.staff_a: {mine},
        pipeline.staff_a2: {theirs},
        world.street_staff_a: {mine, theirs},
        make.user("street_other", roles=[(Role.STREET_STAFF, other_street)]): set(),
    }
    for user, names in seen.items():
        login_as(user)
        response = client.get(f"/ratings/{pipeline.campaign.id}")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert {name for name in (mine, theirs) if name in page} == names, user.username


def test_the_notice_and_a_group_page_are_not_public_before_their_time(session, client, pipeline):
    pipeline.to_district()
    assert client.get(f"/ratings/{pipeline.campaign.id}/notice").status_code == 404
    assert client.get(f"/ratings/groups/{pipeline.group_a.id}").status_code == 404


def test_the_recommendation_keeps_an_evidence_photo_that_those_who_see_it_open(
    session, client, login_as, world, pipeline, reencoding
):
    pipeline.create()
    pipeline.move("recommending")
    login_as(world.staff_a)
    form = _sheet_form(session, pipeline.campaign, 150, evidence="活动丰富")
    form["file"] = (io.BytesIO(png_bytes()), "台账.png")
    url = f"/ratings/{pipeline.campaign.id}/groups/{pipeline.group_a.id}/recommend"
    assert client.post(url, data=form, content_type="multipart/form-data").status_code == 302
    assert reencoding == [False]  # re-encoded before the write transaction (grants/uploads.py)
    nomination = session.scalars(select(StarNomination)).one()
    assert nomination.attachment_id is not None
    page = client.get(f"/ratings/nominations/{nomination.id}").get_data(as_text=True)
    assert f"/ratings/nominations/{nomination.id}/evidence" in page
    response = client.get(f"/ratings/nominations/{nomination.id}/evidence")
    assert response.status_code == 200 and response.mimetype == "image/png"
    login_as(pipeline.staff_a2)
    assert client.get(f"/ratings/nominations/{nomination.id}/evidence").status_code == 404


def test_an_evidence_file_that_is_not_a_photo_or_pdf_is_refused_and_nothing_is_stored(
    session, client, login_as, world, pipeline
):
    from grants.proposals.models import Attachment

    pipeline.create()
    pipeline.move("recommending")
    login_as(world.staff_a)
    form = _sheet_form(session, pipeline.campaign, 150, evidence="活动丰富")
    form["file"] = (io.BytesIO(b"MZ\x90\x00 not a photo"), "photo.jpg")
    url = f"/ratings/{pipeline.campaign.id}/groups/{pipeline.group_a.id}/recommend"
    response = client.post(url, data=form, content_type="multipart/form-data")
    assert response.status_code == 400 and "只能上传照片" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(StarNomination.id))) == 0
    assert session.scalar(select(func.count(Attachment.id))) == 0
    assert not any(Path(current_app.config["UPLOAD_DIR"]).rglob("*.*"))
