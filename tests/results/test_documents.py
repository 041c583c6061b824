"""The publication's documents: the notice as PDF/CSV/XLSX and the winners' certificates — what
they print (poppler's pdftotext/pdffonts), what they never print, and who may download them."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from grants.results import documents, queries, service
from grants.results.models import Publication
from tests.proposals.test_pdf import _compact, _fonts, _pdf_text
from tests.results.conftest import publish_correction

FULL_NAMES = ("张三明", "李四光", "欧阳娜娜", "王小五", "赵六", "钱七")
TITLES = ("楼道微花园", "银龄互助站", "四点半课堂", "社区书屋", "睦邻食堂", "口袋公园")
MOBILE = "1391234{:04d}"


@pytest.fixture
def notice(session, world, awarded):
    """The awards list (一等奖 ×1, 二等奖 ×2) published by 甲区民政局; the applicants have full
    names and mobile numbers, which no public document may print."""
    edition, final, proposals = awarded
    for i, proposal in enumerate(proposals):
        proposal.applicant.display_name = FULL_NAMES[i]
        proposal.applicant.mobile = MOBILE.format(i)
        proposal.title = TITLES[i]
    world.district_a.office_name = "甲区民政局"
    session.commit()
    publication = service.prepare(
        session,
        actor=world.organizer_a,
        edition=edition,
        rnd=final,
        settings=service.Settings(
            title="甲区第一届公益微创投获奖项目公示",
            introduction="经专家评审，现将获奖项目予以公示。",
            list_judges=True,
        ),
    )
    service.publish(session, actor=world.organizer_a, publication=publication)
    session.commit()
    return publication, proposals


def _private_strings(session, proposals) -> list[str]:
    """What must never be printed: full names, every mobile number of applicants and teams, and
    the scores of the earlier (unpublished) round."""
    from grants.judging.closing import scoring_rounds, stored_results
    from grants.judging.scoring import format_points
    from grants.proposals.models import TeamMember

    private = [p.applicant.display_name for p in proposals] + [p.applicant.mobile for p in proposals]
    private += [m.mobile for m in session.query(TeamMember).all() if m.mobile]
    first, final = scoring_rounds(session, proposals[0].edition_id)[:2]
    published = {format_points(r.score) for r in stored_results(session, final) if r.tier}
    private += [format_points(r.score) for r in stored_results(session, first)]
    return [s for s in private if s not in published]


def _entries(session, publication):
    return queries.entries_of(session, publication)


# --- the notice -------------------------------------------------------------------------------


def test_notice_table_has_the_public_columns_only(session, notice):
    publication, proposals = notice
    entries = _entries(session, publication)
    table = documents.notice_table(publication, entries)

    assert table.headers == ["排名", "项目名称", "申报人", "社区", "服务领域", "得分", "奖项", "核定金额（元）"]
    assert [row[0] for row in table.rows] == [1, 2, 3]
    first = table.rows[0]
    assert first[1] == proposals[0].title and first[2] == "张*明" and first[6] == "一等奖"
    assert first[5] == Decimal("95.00") and first[7] == Decimal("1200.00")  # numbers: yuan, two decimals


def test_notice_pdf_prints_the_list_officially_with_an_embedded_cjk_font(client, session, notice, tmp_path):
    publication, proposals = notice
    response = client.get(f"/results/notices/{publication.id}/notice.pdf")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    text = _compact(_pdf_text(response.get_data(), tmp_path))
    entries = _entries(session, publication)
    assert all(_compact(e.title) in text for e in entries) and len(entries) == 3
    assert "甲区民政局" in text and _compact(publication.title) in text and "经专家评审" in text
    assert "张*明" in text and "一等奖" in text and "二等奖" in text
    assert all(_compact(judge) in text for judge in publication.judges) and publication.judges
    assert _compact(documents.window_text(publication)) in text
    assert any(emb == "yes" and "CJK" in name for name, emb in _fonts(response.get_data(), tmp_path))
    for secret in _private_strings(session, proposals):
        assert _compact(secret) not in text, secret


def test_notice_tables_carry_no_private_field(client, session, notice):
    publication, proposals = notice
    csv = client.get(f"/results/notices/{publication.id}/notice.csv")
    assert csv.status_code == 200 and csv.get_data().startswith("\ufeff".encode())
    csv_text = csv.get_data().decode("utf-8-sig")
    xlsx = client.get(f"/results/notices/{publication.id}/notice.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    cells = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)

    for text in (csv_text, cells):
        assert all(e.title in text for e in _entries(session, publication))
        assert "张*明" in text
        for secret in _private_strings(session, proposals):
            assert secret not in text, secret


def test_window_shows_the_last_day_not_the_midnight_it_closes_at(app):
    publication = Publication(
        opens_at=datetime(2026, 11, 30, 16, 0, tzinfo=UTC),  # 2026-12-01 00:00 in Beijing
        closes_at=datetime(2026, 12, 8, 16, 0, tzinfo=UTC),  # midnight after 8 December
    )
    assert documents.window_text(publication) == "公示期：2026年12月1日至2026年12月8日"
    assert documents.window_text(Publication()) == ""


def test_office_name_falls_back_to_the_district_office_then_the_district(session, notice, world):
    publication, _proposals = notice
    assert documents.office_name(publication) == "甲区民政局"
    publication.office_name = "甲区社区发展中心"
    assert documents.office_name(publication) == "甲区社区发展中心"
    publication.office_name, world.district_a.office_name = "", ""
    assert documents.office_name(publication) == "甲区"


def test_a_draft_notice_is_only_the_organizers_preview(client, login_as, session, world, awarded, tmp_path):
    edition, final, _proposals = awarded
    draft = service.prepare(
        session, actor=world.organizer_a, edition=edition, rnd=final, settings=service.Settings(title="获奖名单草稿")
    )
    session.commit()
    for fmt in ("pdf", "csv", "xlsx"):
        assert client.get(f"/results/notices/{draft.id}/notice.{fmt}").status_code == 404
    for outsider in (world.resident, world.organizer_b, world.judge_a):
        login_as(outsider)
        assert client.get(f"/results/notices/{draft.id}/notice.pdf").status_code == 404
    login_as(world.organizer_a)
    preview = client.get(f"/results/notices/{draft.id}/notice.pdf")
    assert preview.status_code == 200
    text = _compact(_pdf_text(preview.get_data(), tmp_path))
    assert "草稿，尚未发布" in text and "（尚未发布）" in text
    assert client.get("/results/notices/999999/notice.pdf").status_code == 404


def test_a_published_notice_is_public(client, notice):
    publication, _proposals = notice
    for fmt in ("pdf", "csv", "xlsx"):
        response = client.get(f"/results/notices/{publication.id}/notice.{fmt}")
        assert response.status_code == 200, fmt
    assert client.get(f"/results/notices/{publication.id}/notice.doc").status_code == 404


def test_a_superseded_notice_says_which_notice_corrected_it(client, session, world, notice, tmp_path):
    publication, _proposals = notice
    correction = publish_correction(session, world, publication, "获奖项目公示（更正）")
    old = _compact(_pdf_text(client.get(f"/results/notices/{publication.id}/notice.pdf").get_data(), tmp_path))
    new = _compact(_pdf_text(client.get(f"/results/notices/{correction.id}/notice.pdf").get_data(), tmp_path))
    assert f"已被第{correction.number}号公示更正" in old
    assert "已被第" not in new and "更正此前发布的名单" in new


def test_a_rare_name_character_outside_the_reduced_font_still_prints(client, session, notice, tmp_path):
    publication, _proposals = notice
    entry = _entries(session, publication)[0]
    entry.applicant = "张*堃"  # 堃 is not in GB2312: it comes from the full Noto font
    session.commit()
    text = _compact(_pdf_text(client.get(f"/results/notices/{publication.id}/notice.pdf").get_data(), tmp_path))
    assert "张*堃" in text


# --- certificates -----------------------------------------------------------------------------


def _winner(session, publication):
    return documents.winners(session, publication)[0]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("organizer_a", 200), ("applicant", 200), ("resident", 403), ("organizer_b", 403), ("judge_a", 403)],
)
def test_certificate_access(client, login_as, session, world, notice, who, expected):
    publication, proposals = notice
    entry = _winner(session, publication)
    applicant = next(p.applicant for p in proposals if p.id == entry.proposal_id)
    login_as(applicant if who == "applicant" else getattr(world, who))
    response = client.get(f"/results/entries/{entry.id}/certificate.pdf")
    assert response.status_code == expected
    if expected == 200:
        assert response.mimetype == "application/pdf"


def test_an_anonymous_visitor_is_asked_to_log_in_for_a_certificate(client, session, notice):
    publication, _proposals = notice
    response = client.get(f"/results/entries/{_winner(session, publication).id}/certificate.pdf")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_applicant_may_not_download_a_winners_certificate(client, login_as, session, notice):
    publication, proposals = notice
    winners = documents.winners(session, publication)
    login_as(next(p.applicant for p in proposals if p.id == winners[1].proposal_id))
    assert client.get(f"/results/entries/{winners[0].id}/certificate.pdf").status_code == 403
    assert client.get(f"/results/entries/{winners[1].id}/certificate.pdf").status_code == 200


def test_certificate_names_the_project_and_tier_never_the_person(client, login_as, session, world, notice, tmp_path):
    publication, proposals = notice
    entry = _winner(session, publication)
    login_as(world.organizer_a)
    response = client.get(f"/results/entries/{entry.id}/certificate.pdf")
    pdf = response.get_data()
    text = _compact(_pdf_text(pdf, tmp_path))
    assert "获奖证书" in text and _compact(entry.title) in text and "一等奖" in text
    assert _compact(publication.edition.name) in text and "甲区民政局" in text
    assert any(emb == "yes" and "CJK" in name for name, emb in _fonts(pdf, tmp_path))
    for secret in _private_strings(session, proposals):
        assert _compact(secret) not in text, secret
    disposition = response.headers["Content-Disposition"]
    assert f'filename="certificate-{entry.id}.pdf"' in disposition
    assert quote(f"01-一等奖-{entry.title}.pdf", safe="") in disposition


def test_no_certificate_for_a_draft_a_non_award_list_or_an_entry_without_tier(
    client, login_as, session, world, awarded
):
    edition, final, _proposals = awarded
    draft = service.prepare(
        session, actor=world.organizer_a, edition=edition, rnd=final, settings=service.Settings(title="草稿")
    )
    session.commit()
    entry = queries.entries_of(session, draft)[0]
    login_as(world.organizer_a)
    assert client.get(f"/results/entries/{entry.id}/certificate.pdf").status_code == 404  # not public yet
    assert documents.winners(session, draft) == []
    assert not documents.issues_certificates(draft)
    entry.tier = None
    assert not documents.has_certificate(entry, draft)
    assert client.get("/results/entries/999999/certificate.pdf").status_code == 404


def test_certificate_file_names_are_numbered_and_safe(session, notice):
    publication, _proposals = notice
    winners = documents.winners(session, publication)
    winners[1].title = "楼道/微花园:第二期"
    names = documents.certificate_names(winners)
    assert names[0].startswith("01-一等奖-") and names[0].endswith(".pdf")
    assert names[1] == "02-二等奖-楼道_微花园_第二期.pdf"
    assert len(set(names)) == len(names) == 3


def test_a_public_notice_is_rendered_once_per_version(app, client, login_as, session, world, notice, monkeypatch):
    publication, _proposals = notice
    renders = []
    real = documents.render_pdf
    monkeypatch.setattr(documents, "render_pdf", lambda *a, **k: renders.append(1) or real(*a, **k))
    url = f"/results/notices/{publication.id}/notice.pdf"
    first = client.get(url).get_data()
    assert client.get(url).get_data() == first and len(renders) == 1  # the second one from the cache
    client.set_cookie("lang", "en")
    assert client.get(url).status_code == 200 and len(renders) == 2  # another language, another file
    client.delete_cookie("lang")
    correction = service.prepare(
        session,
        actor=world.organizer_a,
        edition=publication.edition,
        rnd=publication.round,
        settings=service.Settings(title="更正"),
    )
    session.commit()
    login_as(world.organizer_a)
    client.get(f"/results/notices/{correction.id}/notice.pdf")
    client.get(f"/results/notices/{correction.id}/notice.pdf")
    assert len(renders) == 4  # a draft is never kept
    service.publish(session, actor=world.organizer_a, publication=correction)
    session.commit()
    assert client.get(url).get_data() != first and len(renders) == 5  # now marked as corrected
    cached = sorted(path.name for path in (Path(app.instance_path) / "documents" / "notices").iterdir())
    assert len(cached) == 2 and all(name.startswith(f"notice-{publication.id}-") for name in cached)


def test_the_documents_block_links_the_notice_and_offers_the_certificates(app, session, notice, awarded):
    from flask import render_template_string

    publication, _proposals = notice
    with app.test_request_context():
        html = render_template_string('{% include "results/_documents.html" %}', publication=publication)
    assert f"/results/notices/{publication.id}/notice.pdf" in html and "notice.xlsx" in html
    assert f'action="/publications/{publication.id}/certificates"' in html and 'name="csrf_token"' in html
    publication.final = False  # e.g. the list of an earlier round: no certificates
    with app.test_request_context():
        html = render_template_string('{% include "results/_documents.html" %}', publication=publication)
    assert "notice.pdf" in html and "/certificates" not in html
