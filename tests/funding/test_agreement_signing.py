"""Signing the agreement on its page: the form, the scan checked by content (EXIF removed), refusals
that change nothing, and the scan's permission-checked download."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import func, select

from grants import timeutil
from grants.audit.models import AuditEntry
from grants.funding.models import Grant, Tranche
from grants.proposals.models import Attachment


@pytest.fixture
def grant(make_grant, world, kept):
    def build():
        return make_grant(world.edition_a, approved_fen=380_001, community=world.community_a)

    return kept("funding.agreement_signing.grant", build)


def _photo_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0131] = "SecretSoftware"  # Software
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _form(**changes):
    data = {
        "signed_on": "2026-11-20",
        "receiving_unit": "甲一社区居民委员会",
        "account_name": "甲一社区居民委员会",
        "account_bank": "农业银行城关支行",
        "account_no": "6228 4800 1234 5678",
        "scan": (io.BytesIO(_photo_with_exif()), "协议.jpg"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _stored_files() -> set[str]:
    folder = Path(current_app.config["UPLOAD_DIR"])
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_the_organizer_signs_with_a_scan_whose_exif_is_removed_and_the_viewers_download_it(
    client, login_as, world, grant, session
):
    login_as(world.organizer_a)
    page = client.get(f"/funding/grants/{grant.id}/sign")
    assert page.status_code == 200 and 'value="甲一社区居民委员会"' in page.text  # the suggestion
    answer = client.post(f"/funding/grants/{grant.id}/sign", data=_form(), content_type="multipart/form-data")
    assert answer.status_code == 302
    session.expire_all()
    signed = session.get(Grant, grant.id)
    assert signed.status == "signed" and signed.account_no == "6228480012345678"
    scan = session.get(Attachment, signed.agreement_scan_id)
    assert scan.proposal_id is None and scan.mime == "image/jpeg"
    page = client.get(f"/funding/grants/{grant.id}")
    assert f"/funding/grants/{grant.id}/agreement-scan" in page.text and grant.agreement_no in page.text
    for viewer in (world.organizer_a, world.finance_a, world.staff_a, grant.proposal.applicant):
        login_as(viewer)
        download = client.get(f"/funding/grants/{grant.id}/agreement-scan")
        assert download.status_code == 200
        assert (
            b"SecretCam" not in download.data
            and b"SecretSoftware" not in download.data
            and not Image.open(io.BytesIO(download.data)).getexif()
        )
    audit = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type.in_(("Grant", "Attachment")))).all()
    assert "grant.sign" in audit and "attachment.add" in audit


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scan": (io.BytesIO(b"just some text, not a PDF"), "协议.pdf")}, "内容不是这些格式"),
        ({"scan": None}, "请上传签字盖章后的协议扫描件"),
        ({"signed_on": "tomorrow"}, "签订日期不能晚于今天"),  # resolved when the test runs, not when collected
        ({"signed_on": "not a date"}, "签订日期"),
        ({"account_no": "12ab"}, "银行账号应为6到32位数字"),
        ({"receiving_unit": ""}, "请填写此项"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    client, login_as, world, grant, session, changes, message
):
    if changes.get("signed_on") == "tomorrow":
        changes = {"signed_on": (timeutil.today() + timedelta(days=1)).isoformat()}
    login_as(world.organizer_a)
    files_before = _stored_files()
    answer = client.post(f"/funding/grants/{grant.id}/sign", data=_form(**changes), content_type="multipart/form-data")
    assert answer.status_code == 400 and message in answer.text
    session.expire_all()
    assert session.get(Grant, grant.id).status == "approved"
    assert session.scalar(select(func.count(Attachment.id))) == 0
    assert session.scalar(select(func.count(Tranche.id))) == 0
    assert _stored_files() == files_before  # a stored scan is removed when the signing rolls back


def test_finance_staff_and_the_team_may_not_sign_and_a_signed_grant_is_not_signed_again(
    client, login_as, world, grant, session, sign_grant
):
    for person in (world.finance_a, world.staff_a, grant.proposal.applicant):
        login_as(person)
        assert client.get(f"/funding/grants/{grant.id}/sign").status_code == 403
        assert client.post(f"/funding/grants/{grant.id}/sign", data=_form()).status_code == 403
    session.expire_all()
    assert session.get(Grant, grant.id).status == "approved"
    sign_grant(grant)
    login_as(world.organizer_a)
    answer = client.post(
        f"/funding/grants/{grant.id}/sign", data=_form(), content_type="multipart/form-data", follow_redirects=True
    )
    assert "已经登记签订" in answer.text
    assert session.scalar(select(func.count(Attachment.id))) == 1  # the fixture's scan only


def test_an_unsigned_grant_has_no_scan_to_download(client, login_as, world, grant):
    login_as(world.organizer_a)
    assert client.get(f"/funding/grants/{grant.id}/agreement-scan").status_code == 404
    page = client.get(f"/funding/grants/{grant.id}")
    assert f"/funding/grants/{grant.id}/sign" in page.text and "agreement.pdf" in page.text
    login_as(world.finance_a)
    page = client.get(f"/funding/grants/{grant.id}")
    assert f"/funding/grants/{grant.id}/sign" not in page.text and "agreement.pdf" in page.text


def test_a_terminated_grant_is_not_signed(client, login_as, world, grant, session):
    from grants.funding.states import grant_machine

    grant_machine.transition(session, grant, "terminated", actor=world.organizer_a, reason="团队解散")
    session.commit()
    login_as(world.organizer_a)
    answer = client.post(
        f"/funding/grants/{grant.id}/sign", data=_form(), content_type="multipart/form-data", follow_redirects=True
    )
    assert "只有待签协议的资助项目可以登记签订" in answer.text
    assert session.scalar(select(func.count(Attachment.id))) == 0
    session.expire_all()
    assert session.get(Grant, grant.id).status == "terminated"
