"""Evaluation rubrics as edition data, and the team's mid-term and final reports."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.auth.models import Role
from grants.errors import DomainError, NotAllowed
from grants.funding import reports, rubrics
from grants.funding.models import EvaluationIndicator, GrantReport, GrantReportPhoto, GrantStatus
from grants.funding.rubrics import Indicator
from grants.funding.states import grant_machine
from grants.proposals.models import Attachment
from tests.funding.reporting import evaluate, lead, photo_with_exif, spend, start, submit


@pytest.fixture
def grant(make_grant, sign_grant, world, session, kept):
    def build():
        grant = make_grant(world.edition_a, approved_fen=1_000_000, community=world.community_a)
        sign_grant(grant)
        return start(session, grant, world)

    return kept("funding.reports.grant", build)


# --- rubric ---------------------------------------------------------------------------------


def test_the_rubric_starts_from_defaults_and_the_organizer_changes_it_with_an_audit_entry(session, world):
    edition = world.edition_a
    rubric = rubrics.ensure_rubric(session, edition.id, "midterm")
    assert [(i.name, i.max_points) for i in rubric.indicators] == [
        ("项目执行", 30),
        ("资金使用", 25),
        ("居民参与", 25),
        ("档案规范", 20),
    ]
    assert rubric.total == 100 and rubric.pass_mark == 60
    changed = rubrics.replace_rubric(
        session,
        actor=world.organizer_a,
        edition=edition,
        kind="midterm",
        indicators=[Indicator("执行进度", 50), Indicator("居民参与", 50)],
        pass_mark=70,
        due_on=date(2027, 3, 1),
    )
    session.commit()
    assert [(i.name, i.max_points) for i in changed.indicators] == [("执行进度", 50), ("居民参与", 50)]
    assert rubrics.current(session, edition.id, "midterm").due_on == date(2027, 3, 1)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "evaluation_rubric.update")).one()
    assert entry.after["pass_mark"] == 70 and entry.before["pass_mark"] == 60
    # the final rubric is separate and still the default
    assert rubrics.current(session, edition.id, "final").total == 100


@pytest.mark.parametrize(
    ("indicators", "pass_mark", "message"),
    [
        ([], 0, "至少填写一项"),
        ([Indicator("", 10)], 5, "请填写指标名称"),
        ([Indicator("执行", 0)], 0, "满分应为1到"),
        ([Indicator("执行", 10), Indicator("执行", 10)], 5, "重复"),
        ([Indicator("执行", 30), Indicator("参与", 20)], 51, "合格分应在0到总分50之间"),
    ],
)
def test_a_broken_rubric_is_refused_and_nothing_changes(session, world, indicators, pass_mark, message):
    rubrics.ensure_rubric(session, world.edition_a.id, "final")
    session.commit()
    with pytest.raises(DomainError, match=message):
        rubrics.replace_rubric(
            session,
            actor=world.organizer_a,
            edition=world.edition_a,
            kind="final",
            indicators=indicators,
            pass_mark=pass_mark,
            due_on=None,
        )
    session.rollback()
    assert rubrics.current(session, world.edition_a.id, "final").total == 100


def test_only_the_districts_organizer_edits_the_rubric(session, world):
    for outsider in (world.organizer_b, world.finance_a, world.staff_a, world.judge_a):
        with pytest.raises(NotAllowed):
            rubrics.replace_rubric(
                session,
                actor=outsider,
                edition=world.edition_a,
                kind="midterm",
                indicators=[Indicator("执行", 100)],
                pass_mark=60,
                due_on=None,
            )


def test_indicators_are_fixed_after_an_evaluation_but_the_due_date_is_not(session, grant, world):
    evaluate(session, submit(session, grant), world, passed=True)
    edition = world.edition_a
    with pytest.raises(DomainError, match="不能再修改"):
        rubrics.replace_rubric(
            session,
            actor=world.organizer_a,
            edition=edition,
            kind="midterm",
            indicators=[Indicator("执行", 100)],
            pass_mark=60,
            due_on=None,
        )
    session.rollback()
    same = [Indicator(i.name, i.max_points) for i in rubrics.current(session, edition.id, "midterm").indicators]
    rubrics.replace_rubric(
        session,
        actor=world.organizer_a,
        edition=edition,
        kind="midterm",
        indicators=same,
        pass_mark=60,
        due_on=date(2027, 4, 1),
    )
    session.commit()
    assert rubrics.current(session, edition.id, "midterm").due_on == date(2027, 4, 1)


def test_the_same_rubric_saved_again_writes_nothing_and_is_audited_once(session, world):
    def save():
        rubrics.replace_rubric(
            session,
            actor=world.organizer_a,
            edition=world.edition_a,
            kind="final",
            indicators=[Indicator("执行进度", 50), Indicator("居民参与", 50)],
            pass_mark=70,
            due_on=date(2027, 6, 1),
        )
        session.commit()

    save()
    ids = [i.id for i in rubrics.current(session, world.edition_a.id, "final").indicators]
    save()
    assert [i.id for i in rubrics.current(session, world.edition_a.id, "final").indicators] == ids
    audited = select(func.count()).where(AuditEntry.action == "evaluation_rubric.update")
    assert session.scalar(audited) == 1


def test_the_rubric_page_saves_for_the_organizer_and_is_hidden_from_everyone_else(
    session, client, login_as, world, make
):
    url = f"/funding/editions/{world.edition_a.id}/evaluation"
    login_as(world.organizer_a)
    page = client.get(url)
    assert page.status_code == 200 and "项目执行" in page.text and "档案规范" in page.text
    detail = client.get(f"/admin/editions/{world.edition_a.id}")
    assert url in detail.text
    form = {
        "kind": "final",
        "ind-0-name": "成效",
        "ind-0-points": "60",
        "ind-1-name": "档案",
        "ind-1-points": "40",
        "pass_mark": "75",
        "due_on": "2027-06-30",
    }
    assert client.post(url, data=form).status_code == 302
    rubric = rubrics.current(session, world.edition_a.id, "final")
    assert [(i.name, i.max_points) for i in rubric.indicators] == [("成效", 60), ("档案", 40)]
    assert rubric.pass_mark == 75 and rubric.due_on == date(2027, 6, 30)
    refused = client.post(url, data={**form, "pass_mark": "101"})
    assert refused.status_code == 400 and "合格分应在0到总分100之间" in refused.text
    refused = client.post(url, data={**form, "ind-1-points": "x"})
    assert refused.status_code == 400 and "第2行：满分应为1到" in refused.text
    session.expire_all()
    assert rubrics.current(session, world.edition_a.id, "final").pass_mark == 75
    for outsider in (world.organizer_b, world.staff_a, world.finance_a, world.judge_a, make.user("someone")):
        login_as(outsider)
        assert client.get(url).status_code == 404
        assert client.post(url, data=form).status_code == 404
    with client.session_transaction() as sess:
        sess.clear()
    assert client.get(url).status_code == 302


# --- reports --------------------------------------------------------------------------------


def test_the_lead_submits_a_midterm_report_with_photos_stripped_of_exif(session, grant, world, app):
    upload_dir = Path(app.config["UPLOAD_DIR"])
    data = photo_with_exif()
    assert Image.open(io.BytesIO(data)).getexif()
    report = submit(
        session,
        grant,
        photos=[reports.Upload("花园.jpg", data, 5_000_000)],
        upload_dir=upload_dir,
    )
    assert report.status == "submitted" and report.beneficiaries == 120 and report.activities_count == 3
    photo = session.scalars(
        select(Attachment).join(GrantReportPhoto, GrantReportPhoto.attachment_id == Attachment.id)
    ).one()
    assert photo.proposal_id is None and photo.mime == "image/jpeg"
    assert not Image.open(upload_dir / photo.stored_name).getexif()
    assert grant.status == GrantStatus.IN_PROGRESS.value  # a mid-term report does not move the grant
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "grant_report.submit")).one()
    assert entry.after["kind"] == "midterm" and entry.after["photos"] == 1


def test_a_report_with_a_bad_field_or_a_file_that_is_no_photo_changes_nothing(session, grant, app):
    upload_dir = Path(app.config["UPLOAD_DIR"])
    attachments_before = session.scalar(select(func.count(Attachment.id)))
    bad = [
        (dict(summary="太短"), "工作情况应为10到5000个字"),
        (dict(beneficiaries="-3"), "受益人次请填写0到"),
        (dict(activities_count="两次"), "开展活动次数请填写0到"),
        (dict(beneficiaries="1" * 5000), "受益人次请填写0到"),  # past int()'s 4,300-digit limit
        (dict(photos=[reports.Upload("x.jpg", b"not an image at all", 5_000_000)], upload_dir=upload_dir), "只能上传"),
        (
            dict(photos=[reports.Upload("a.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF", 5_000_000)], upload_dir=upload_dir),
            "不是照片",
        ),
        (
            dict(
                photos=[reports.Upload(f"{n}.jpg", photo_with_exif(), 5_000_000) for n in range(7)],
                upload_dir=upload_dir,
            ),
            "最多上传6张",
        ),
    ]
    for changes, message in bad:
        with pytest.raises(DomainError, match=message):
            submit(session, grant, **changes)
        session.rollback()
    assert session.scalar(select(func.count(GrantReport.id))) == 0
    assert session.scalar(select(func.count(Attachment.id))) == attachments_before
    assert not upload_dir.exists() or not [p for p in upload_dir.glob("*") if not p.name.startswith(".")]


def test_photos_are_removed_when_the_report_rolls_back(session, grant, app):
    upload_dir = Path(app.config["UPLOAD_DIR"])
    # the second photo is refused after the first was checked: nothing was written
    with pytest.raises(DomainError):
        submit(
            session,
            grant,
            photos=[
                reports.Upload("ok.jpg", photo_with_exif(), 5_000_000),
                reports.Upload("bad.jpg", b"xx", 5_000_000),
            ],
            upload_dir=upload_dir,
        )
    session.rollback()
    # a stored photo whose transaction rolls back is removed from disk
    report = reports.submit_report(
        session,
        actor=lead(session, grant),
        grant=grant,
        kind="midterm",
        summary="开展了三次楼道花园共建活动。",
        beneficiaries=5,
        activities_count=1,
        photos=[reports.Upload("ok.jpg", photo_with_exif(), 5_000_000)],
        upload_dir=upload_dir,
    )
    assert report.id and len(list(upload_dir.glob("*"))) == 1
    session.rollback()
    assert [p for p in upload_dir.glob("*") if not p.name.startswith(".")] == []


def test_only_the_lead_reports_and_only_while_the_project_runs(session, make_grant, sign_grant, world):
    grant = make_grant(world.edition_a, community=world.community_a)
    sign_grant(grant)
    with pytest.raises(DomainError, match="实施中"):
        submit(session, grant)
    session.rollback()
    start(session, grant, world)
    for other in (world.organizer_a, world.staff_a, world.finance_a):
        with pytest.raises(NotAllowed):
            reports.submit_report(
                session, actor=other, grant=grant, kind="midterm", summary="x" * 20, beneficiaries=1, activities_count=1
            )
    grant_machine.transition(session, grant, "suspended", actor=world.organizer_a, reason="检查")
    session.commit()
    with pytest.raises(DomainError, match="资助已停拨"):
        submit(session, grant)
    session.rollback()
    grant_machine.transition(session, grant, "terminated", actor=world.organizer_a, reason="解散")
    session.commit()
    with pytest.raises(DomainError, match="资助已终止"):
        submit(session, grant, kind="final")


def test_one_report_per_kind_is_open_and_a_returned_or_failed_one_can_be_submitted_again(session, grant, world):
    first = submit(session, grant)
    with pytest.raises(DomainError, match="等待评估"):
        submit(session, grant)
    session.rollback()
    reports.return_report(session, actor=world.organizer_a, report=first, reason="照片不清楚")
    session.commit()
    assert first.status == "returned"
    second = submit(session, grant)
    evaluate(session, second, world, passed=True)
    with pytest.raises(DomainError, match="已评估通过"):
        submit(session, grant)
    session.rollback()
    # the final report is a kind of its own
    assert submit(session, grant, kind="final").kind == "final"


def test_returning_needs_a_reason_and_the_organizer(session, grant, world):
    report = submit(session, grant)
    with pytest.raises(DomainError, match="请填写原因"):
        reports.return_report(session, actor=world.organizer_a, report=report, reason="  ")
    session.rollback()
    for other in (world.finance_a, world.staff_a, lead(session, grant), world.organizer_b):
        with pytest.raises(NotAllowed):
            reports.return_report(session, actor=other, report=report, reason="不行")
    session.rollback()
    assert session.get(GrantReport, report.id).status == "submitted"


def test_a_final_report_moves_the_grant_to_completing_and_returning_it_moves_it_back(session, grant, world):
    report = submit(session, grant, kind="final")
    assert grant.status == GrantStatus.COMPLETING.value
    with pytest.raises(DomainError, match="实施中"):
        submit(session, grant)  # no mid-term report once completing
    session.rollback()
    reports.return_report(session, actor=world.organizer_a, report=report, reason="缺少支出说明")
    session.commit()
    assert grant.status == GrantStatus.IN_PROGRESS.value
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "Grant").order_by(AuditEntry.id)
    ).all()
    assert actions[-2:] == ["grant.complete", "grant.reopen"]
    assert submit(session, grant, kind="final").status == "submitted"


def test_the_report_page_lists_recorded_expenses_by_line_and_the_lead_submits_from_a_phone(
    session, client, login_as, grant, world, app
):
    spend(session, grant, world, 12_300, status="accepted")
    spend(session, grant, world, 4_500, status="pending")
    spend(session, grant, world, 9_900, status="rejected")
    login_as(lead(session, grant))
    page = client.get(f"/funding/grants/{grant.id}")
    assert "提交中期报告" in page.text
    url = f"/funding/grants/{grant.id}/reports/new?kind=midterm"
    form_page = client.get(url)
    assert form_page.status_code == 200 and "¥123.00" in form_page.text and "¥45.00" in form_page.text
    assert "¥99.00" not in form_page.text
    refused = client.post(url, data={"summary": "短", "beneficiaries": "1", "activities_count": "1"})
    assert refused.status_code == 400 and "工作情况应为" in refused.text
    answer = client.post(
        url,
        data={
            "summary": "三次活动，居民共同种植。",
            "beneficiaries": "80",
            "activities_count": "3",
            "photos": (io.BytesIO(photo_with_exif()), "花园.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    report = session.scalars(select(GrantReport)).one()
    page = client.get(f"/funding/reports/{report.id}")
    assert page.status_code == 200 and "三次活动" in page.text and "¥123.00" in page.text
    attachment_id = session.scalars(select(GrantReportPhoto.attachment_id)).one()
    photo = client.get(f"/funding/reports/{report.id}/photos/{attachment_id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert client.get(f"/funding/reports/{report.id}/photos/{attachment_id + 999}").status_code == 404
    assert "等待评估" in client.get(url).text  # a second one is explained, not offered


def test_the_organizer_returns_a_report_from_its_page(session, client, login_as, grant, world):
    report = submit(session, grant, kind="final")
    login_as(world.organizer_a)
    url = f"/funding/reports/{report.id}"
    assert "提交评估" in client.get(url).text
    client.post(url + "/return", data={"reason": ""})
    session.expire_all()
    assert session.get(GrantReport, report.id).status == "submitted"
    page = client.post(url + "/return", data={"reason": "缺少活动照片"}, follow_redirects=True)
    assert "缺少活动照片" in page.text
    session.expire_all()
    assert session.get(GrantReport, report.id).status == "returned"
    assert session.get(type(grant), grant.id).status == "in_progress"
    login_as(lead(session, grant))
    assert "缺少活动照片" in client.get(f"/funding/grants/{grant.id}").text


def test_every_report_route_refuses_other_people(session, client, login_as, grant, world, make, app):
    report = submit(
        session,
        grant,
        photos=[reports.Upload("a.jpg", photo_with_exif(), 5_000_000)],
        upload_dir=Path(app.config["UPLOAD_DIR"]),
    )
    photo_id = session.scalars(select(GrantReportPhoto.attachment_id)).one()
    other_team = make.user("other_lead")
    gets = [
        f"/funding/grants/{grant.id}/reports/new?kind=midterm",
        f"/funding/reports/{report.id}",
        f"/funding/reports/{report.id}/photos/{photo_id}",
    ]
    posts = [
        (
            f"/funding/grants/{grant.id}/reports/new?kind=midterm",
            {"summary": "x" * 20, "beneficiaries": "1", "activities_count": "1"},
        ),
        (f"/funding/reports/{report.id}/evaluation", {"comment": "x"}),
        (f"/funding/reports/{report.id}/return", {"reason": "x"}),
    ]
    outsider_staff = make.user(
        "staff_a2", community=world.community_a2, roles=[(Role.COMMUNITY_STAFF, world.community_a2)]
    )
    for viewer in (other_team, world.organizer_b, world.staff_b, world.judge_a, outsider_staff):
        login_as(viewer)
        for url in gets:
            assert client.get(url).status_code == 404, (viewer.username, url)
        for url, data in posts:
            assert client.post(url, data=data).status_code == 404, (viewer.username, url)
    # people who see the grant but may not act get 403
    login_as(world.finance_a)
    assert client.get(gets[0]).status_code == 403
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403
    login_as(lead(session, grant))
    assert client.post(posts[1][0], data=posts[1][1]).status_code == 403
    assert client.post(posts[2][0], data=posts[2][1]).status_code == 403
    with client.session_transaction() as sess:
        sess.clear()
    for url in gets:
        assert client.get(url).status_code == 302
    session.expire_all()
    assert session.get(GrantReport, report.id).status == "submitted"
    assert session.scalar(select(func.count(GrantReport.id))) == 1
    assert session.scalar(select(func.count(EvaluationIndicator.id))) in (0, 4)
