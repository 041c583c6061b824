"""Issue 12 item 8: the smaller things users noticed on notices, certificates and job pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from grants import timeutil
from grants.errors import DomainError
from grants.reports.models import DocumentJob
from grants.results import documents, queries, service
from tests.proposals.test_pdf import _compact, _pdf_text
from tests.results.test_documents import notice  # noqa: F401  (fixture)


def test_one_form_for_the_end_of_a_period():
    midnight = datetime(2026, 12, 10, 16, 0, tzinfo=UTC)  # 2026-12-11 00:00 in Beijing
    assert timeutil.format_deadline(midnight) == "2026-12-10 24:00"
    assert timeutil.format_deadline(datetime(2026, 12, 10, 9, 30, tzinfo=UTC)) == "2026-12-10 17:30"
    assert timeutil.format_deadline(None) == ""


def test_the_refusal_to_finalize_writes_the_window_end_as_the_notice_does(
    client,
    session,
    world,
    notice,  # noqa: F811
):
    publication, _proposals = notice
    publication.closes_at = datetime(2099, 12, 10, 16, 0, tzinfo=UTC)  # midnight, Beijing time
    session.commit()
    with pytest.raises(DomainError) as refused:
        service.finalize(session, actor=world.organizer_a, publication=publication)
    assert "2099-12-10 24:00" in str(refused.value) and "2099-12-11 00:00" not in str(refused.value)
    page = client.get(_notice_url(publication)).get_data(as_text=True)
    assert "2099-12-10 24:00" in page


def _notice_url(publication) -> str:
    return f"/results/{publication.edition_id}/notices/{publication.id}"


def test_the_notice_names_where_to_object_and_the_total_amount(client, session, notice, tmp_path):  # noqa: F811
    publication, _proposals = notice
    publication.edition.objection_contact = "监督电话 0571-12345678；地址：甲区民政局302室"
    session.commit()
    total = sum(e.approved_fen or 0 for e in queries.entries_of(session, publication))
    page = client.get(_notice_url(publication)).get_data(as_text=True)
    assert "监督电话 0571-12345678；地址：甲区民政局302室" in page
    assert "核定资助金额合计" in page and f"{total / 100:,.2f}" in page and "3个获奖项目" in page
    pdf = _compact(_pdf_text(client.get(f"/results/notices/{publication.id}/notice.pdf").get_data(), tmp_path))
    assert _compact("监督电话 0571-12345678") in pdf and "核定资助金额合计" in pdf


def test_a_quoted_title_is_quoted_with_single_marks_inside_the_certificate(session, notice):  # noqa: F811
    publication, _proposals = notice
    entry = queries.entries_of(session, publication)[0]
    entry.title = "翠竹“银龄”智能手机课堂"
    html = documents.certificate_html(entry, publication, "http://localhost/")
    assert "“翠竹‘银龄’智能手机课堂”项目团队" in html
    assert "“银龄”" not in html.split("<body")[1]


@pytest.mark.parametrize("status", ["done", "failed"])
def test_a_finished_job_page_says_no_longer_that_it_is_working_and_shows_no_empty_box(
    client,
    login_as,
    session,
    world,
    notice,  # noqa: F811
    status,
):
    publication, _proposals = notice
    job = DocumentJob(
        kind="certificates",
        edition_id=publication.edition_id,
        publication_id=publication.id,
        requested_by_id=world.organizer_a.id,
        status=status,
        done=3 if status == "done" else 0,
        total=3,
        error="字体缺失" if status == "failed" else None,
        stored_name=None,
    )
    session.add(job)
    session.commit()
    login_as(world.organizer_a)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    pending = re.search(r"<p[^>]*data-job-pending[^>]*>", page).group(0)
    assert "hidden" in pending
    error = re.search(r"<p[^>]*data-job-error[^>]*>(.*?)</p>", page, re.S)
    if status == "done":
        assert "flash" not in error.group(0) and error.group(1) == ""
    else:
        assert "flash-error" in error.group(0) and "字体缺失" in error.group(1)


def test_the_publication_hint_names_the_link_as_it_reads(client, login_as, session, world, awarded):
    edition, _final, _proposals = awarded
    login_as(world.organizer_a)
    page = client.get(f"/editions/{edition.id}/publications").get_data(as_text=True)
    assert "“奖项与核定金额”" in page and "“奖项与金额”" not in page
