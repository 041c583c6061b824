"""The 申报书 PDF: what it prints (checked with poppler's pdftotext/pdffonts) and who may download it."""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import current_app
from PIL import Image

from grants.editions.states import edition_machine
from grants.money import format_fen
from grants.proposals import attachments, budget
from grants.proposals import service as ps
from grants.proposals.models import Proposal

# Markup typed by a resident is text: printed as written, never fetched.
HOSTILE = '<link rel="stylesheet" href="file:///etc/passwd"><img src="http://example.com/x.png">'


@pytest.fixture
def pdf_log(monkeypatch, caplog):
    """caplog, with the renderer's logger enabled again (Alembic's fileConfig in migrations/env.py
    disables the loggers that exist when the test database is migrated)."""
    monkeypatch.setattr(logging.getLogger("grants.reports.pdf"), "disabled", False)
    return caplog


@pytest.fixture
def edition(world, session):
    world.district_a.office_name = "甲区民政局"
    edition_machine.transition(session, world.edition_a, "open", actor=None)
    session.commit()
    return world.edition_a


def _poppler(tool: str) -> str:
    """The tool's path; the check is skipped without poppler-utils, except under CI."""
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} missing: the Makefile installs poppler-utils")
        pytest.skip(f"{tool} not installed (poppler-utils)")
    return path


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    """The document's text, a table row on one line; pages end with a form feed."""
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    command = [_poppler("pdftotext"), "-layout", str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _compact(text: str) -> str:
    """Without whitespace: pdftotext spaces CJK text unpredictably."""
    return re.sub(r"\s+", "", text)


def _fonts(data: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    """(font name, emb column) for each font pdffonts lists."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    out = subprocess.run([_poppler("pdffonts"), str(path)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]  # a header line and a rule
    # Columns: name, type (may contain spaces), encoding, emb, sub, uni, object ID (two numbers).
    return [(row.split()[0], row.split()[-5]) for row in rows if row.strip()]


def _complete_proposal(make, session, edition, applicant, community_id) -> Proposal:
    """A submitted proposal with a photo, two lines in one budget category and one in another."""
    categories = ps.ensure_budget_categories(session, edition)
    lines = [
        budget.Line(1, categories[0].id, "花盆和土", 5_000, 20),
        budget.Line(2, categories[1].id, "宣传海报", 2_000, 10),
        budget.Line(3, categories[0].id, "绿植种苗", 1_500, 10),
    ]
    proposal = make.proposal(edition, applicant, community_id=community_id, lines=lines, need_analysis=HOSTILE)
    photo = io.BytesIO()
    Image.new("RGB", (4, 4)).save(photo, "PNG")
    attachments.add_attachment(
        session,
        actor=applicant,
        proposal=proposal,
        upload=attachments.Upload("现场照片.png", photo.getvalue(), 10**7),
        upload_dir=Path(current_app.config["UPLOAD_DIR"]),
        max_count=10,
    )
    ps.submit_proposal(session, actor=applicant, proposal=proposal)
    session.commit()
    return proposal


def test_pdf_prints_the_whole_proposal_with_its_budget_total_in_an_embedded_cjk_font(
    client, login_as, world, session, make, edition, tmp_path, artifacts_dir, pdf_log
):
    proposal = _complete_proposal(make, session, edition, world.resident, world.community_a.id)
    login_as(world.resident)

    with pdf_log.at_level("WARNING"):
        response = client.get(f"/proposals/{proposal.id}/pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=\"proposal-{proposal.id}.pdf\"; filename*=UTF-8''{quote('申报书-楼道微花园.pdf')}"
    )
    assert response.headers["Cache-Control"] == "private, no-store"
    (artifacts_dir / "proposal-申报书.pdf").write_bytes(response.data)

    text = _compact(_pdf_text(response.data, tmp_path))
    total = sum(line.unit_price_fen * line.quantity for line in proposal.budget_lines)
    assert total == proposal.requested_fen and format_fen(total) == "¥1,350.00"
    assert proposal.title in text and format_fen(total) in text
    assert format_fen(proposal.self_funds_fen) in text and format_fen(total + proposal.self_funds_fen) in text
    # Category subtotals: 花盆和土 + 绿植种苗 in the first category, 宣传海报 alone in the second.
    first, second = proposal.budget_lines[0].category.name, proposal.budget_lines[1].category.name
    assert f"小计：{first}（占申请金额85.2%）¥1,150.00" in text
    assert f"小计：{second}（占申请金额14.8%）¥200.00" in text
    assert "¥50.00" in text and "¥15.00" in text  # unit prices
    for member in proposal.team:
        assert member.name in text and member.mobile in text
    assert "现场照片.png" in text  # the list of attachments
    assert _compact(HOSTILE) in text
    assert "passwd" not in pdf_log.text and "example.com" not in pdf_log.text  # not even asked for
    for phrase in ("楼道清理", "3号楼", "成立楼道花友会，长期养护。", "雨季植物养护难：安排轮值。", "甲街道·甲一社区"):
        assert phrase in text
    assert "我承诺：所填内容真实；获得资助后专款专用，按要求接受监督和评估。" in text
    assert "主办单位：甲区民政局" in text and "第1版" in text and "草稿" not in text
    # Running header with the edition's name, and "第 X 页 / 共 Y 页" on every page.
    pages = _pdf_text(response.data, tmp_path).split("\f")[:-1]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"第{number}页/共{len(pages)}页" in _compact(page)
        assert "甲区民政局" in page
    assert all(edition.name in page for page in pages[1:])  # the cover shows it in large type instead

    fonts = _fonts(response.data, tmp_path)
    cjk = [name for name, _emb in fonts if "CJK" in name or "Noto" in name]
    assert cjk, fonts
    assert all(emb == "yes" for _name, emb in fonts), fonts


def test_pdf_follows_the_readers_language(client, login_as, world, session, make, edition, tmp_path):
    proposal = make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)
    login_as(world.resident)
    client.set_cookie("lang", "en")

    response = client.get(f"/proposals/{proposal.id}/pdf")

    assert response.status_code == 200
    text = _pdf_text(response.data, tmp_path)
    assert "Page 1 of" in text and "Micro-grant project application" in text and "Total requested" in text
    # Every Chinese character left is recorded data (the resident's words, names of places).
    recorded = [
        proposal.title, proposal.summary, proposal.need_analysis, proposal.overall_objective,
        proposal.specific_objectives, proposal.beneficiaries, proposal.risks, proposal.sustainability,
        proposal.prior_experience, edition.name, edition.district.office_name, proposal.category.name,
        world.street_a.name, world.community_a.name,
        *(value for m in proposal.team for value in (m.name, m.role)),
        *(value for a in proposal.activities for value in (a.when, a.activity, a.place)),
        *(value for line in proposal.budget_lines for value in (line.item, line.category.name)),
    ]  # fmt: skip
    leftover = _compact(text)
    for value in sorted(recorded, key=len, reverse=True):
        leftover = leftover.replace(_compact(value), "")
    assert not re.findall(r"[\u3400-\u9fff]", leftover), leftover
    assert "楼道微花园" in _compact(text)


def test_applicant_can_print_a_draft_marked_as_not_submitted(client, login_as, world, make, edition, tmp_path):
    draft = make.proposal(edition, world.resident, community_id=world.community_a.id, title="", team=[])
    login_as(world.resident)

    response = client.get(f"/proposals/{draft.id}/pdf")

    assert response.status_code == 200
    assert f'filename="proposal-{draft.id}.pdf"' in response.headers["Content-Disposition"]
    assert f"filename*=UTF-8''{quote(f'申报书-{draft.id}.pdf')}" in response.headers["Content-Disposition"]
    text = _compact(_pdf_text(response.data, tmp_path))
    assert "草稿：这份申报书尚未提交，仅供申报人核对。" in text and "未提交" in text and "未填写" in text


# --- who may download it -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_resident", "staff_b", "organizer_b", "judge_a", "finance_a"])
def test_people_who_may_not_see_the_proposal_get_404(client, login_as, world, make, edition, who):
    proposal = make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)
    login_as(make.user("someone_else") if who == "other_resident" else getattr(world, who))

    response = client.get(f"/proposals/{proposal.id}/pdf")

    assert response.status_code == 404 and response.mimetype == "text/html"


def test_anonymous_visitors_are_sent_to_login(client, world, make, edition):
    proposal = make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)

    response = client.get(f"/proposals/{proposal.id}/pdf")

    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_proposal_is_404(client, login_as, world):
    login_as(world.organizer_a)
    assert client.get("/proposals/999999/pdf").status_code == 404


def test_community_staff_get_the_pdf_only_after_submission(client, login_as, world, session, make, edition):
    proposal = make.proposal(edition, world.resident, community_id=world.community_a.id)
    url = f"/proposals/{proposal.id}/pdf"
    for reviewer in (world.staff_a, world.street_staff_a, world.organizer_a):
        login_as(reviewer)
        assert client.get(url).status_code == 404  # a draft stays the applicant's

    ps.submit_proposal(session, actor=world.resident, proposal=session.get(Proposal, proposal.id))
    session.commit()
    login_as(world.staff_a)
    response = client.get(url)

    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
