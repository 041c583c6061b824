"""Issue 12 item 4: after a resubmission the header, the versions page and the diff agree, and an
attachment added during the correction is listed as a change."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

from flask import current_app
from PIL import Image

from grants.proposals import attachments
from grants.proposals import service as ps
from grants.timeutil import format_local, now


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def test_resubmission_header_versions_page_and_diff_tell_the_same_story(client, login_as, session, world, make):
    edition = world.edition_a
    proposal = make.proposal(edition, world.resident, community_id=world.community_a.id)
    first_at = now() - timedelta(hours=5)
    ps.submit_proposal(session, actor=world.resident, proposal=proposal, at=first_at)
    ps.return_for_correction(session, actor=world.organizer_a, proposal=proposal, reason="请补充现场照片")
    attachments.add_attachment(
        session,
        actor=world.resident,
        proposal=proposal,
        upload=attachments.Upload("楼道现状.png", _png(), 10**7),
        upload_dir=Path(current_app.config["UPLOAD_DIR"]),
        max_count=10,
    )
    second_at = now() - timedelta(hours=1)
    ps.submit_proposal(session, actor=world.resident, proposal=proposal, at=second_at)
    session.commit()

    login_as(world.organizer_a)
    header = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    header = re.search(r'<p class="muted">(.*?)</p>', header, re.S).group(1)
    assert "第2版" in header
    assert f"提交于{format_local(second_at)}" in header
    assert f"首次提交于{format_local(first_at)}" in header

    page = client.get(f"/proposals/{proposal.id}/versions").get_data(as_text=True)
    assert f"第1版，提交于{format_local(first_at)}" in page
    assert f"第2版，提交于{format_local(second_at)}" in page
    assert "附件" in page and "新增：楼道现状.png" in page

    login_as(world.organizer_b)
    assert client.get(f"/proposals/{proposal.id}/versions").status_code in (403, 404)
