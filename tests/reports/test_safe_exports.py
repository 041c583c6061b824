"""Every CSV and XLSX export, read back: a formula typed into a proposal title or a judge's
comment comes out as text, a stored control character breaks nothing, and scores and amounts
are numeric cells with number formats (SUM works) under a frozen header row."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from grants.judging.models import Assignment
from grants.reports.tables import AMOUNT, POINTS
from grants.results import queries
from tests.judging.conftest import final_closed, scoring  # noqa: F401  (fixtures used here)
from tests.proposals.test_pdf import _compact, _pdf_text
from tests.results.conftest import awarded, published  # noqa: F401

FORMULAS = ['=HYPERLINK("http://x"&B2,"y")', "+1", "-2+3", "@SUM(A1)", "\t=1"]
# The titles by rank (the first three win and are listed in the notice).
PAYLOADS = [FORMULAS[0], FORMULAS[1], "标题\x1b[31m带控制字符", *FORMULAS[2:]]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMERIC_HEADERS = ("得分", "本轮得分", "原始分", "标准化分", "标准差", "极差", "总分", "满分", "核定金额（元）")


@pytest.fixture
def hostile(session, world, published):  # noqa: F811
    """The published list, its proposals and sheets carrying formulas and a control character
    (rows stored before inputs were checked)."""
    publication, proposals = published
    for proposal, payload in zip(proposals, PAYLOADS, strict=True):
        proposal.title = payload
    titles = {p.id: p.title for p in proposals}
    for entry in queries.entries_of(session, publication):
        entry.title = titles[entry.proposal_id]
    sheets = list(session.scalars(select(Assignment).where(Assignment.round_id == publication.round_id)).unique())
    for index, assignment in enumerate(sheets):
        assignment.comment = PAYLOADS[index % len(PAYLOADS)]
    sheets[0].entered_by_id = world.organizer_a.id  # entered by proxy
    session.commit()
    return publication, sheets


def _export_urls(publication, sheets) -> list[str]:
    rnd = publication.round_id
    judges = sorted({s.judge_id for s in sheets})
    urls = [f"/results/notices/{publication.id}/notice"]
    urls += [f"/review/rounds/{rnd}/export/sheets", f"/review/rounds/{rnd}/export/summary"]
    urls += [f"/review/rounds/{rnd}/judges/{judge}/sheets" for judge in judges]
    return urls


def test_every_table_export_is_covered_here(app):
    """A new CSV/XLSX route must be added to the walk below (and go through the table writer)."""
    rules = {r.endpoint for r in app.url_map.iter_rules() if "csv" in r.rule or "xlsx" in r.rule}
    # The funding exports (streamed) are read back in tests/funding/test_funding_exports.py.
    funding = {"funding.edition_export", "funding.grant_usage"}
    assert (
        rules
        == {"documents.notice", "judging.export_round", "judging.export_judge_sheets", "org.import_sample"} | funding
    )


def test_no_export_carries_a_formula_or_a_control_character(client, login_as, session, world, hostile):
    publication, sheets = hostile
    login_as(world.organizer_a)
    comments: set[str] = set()
    for url in _export_urls(publication, sheets):
        csv_response = client.get(url + ".csv")
        assert csv_response.status_code == 200, url
        text = csv_response.get_data().decode("utf-8-sig")
        assert "\x1b" not in text
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                assert not cell.startswith(FORMULA_STARTS) or _is_number(cell), (url, cell)
        xlsx = client.get(url + ".xlsx")
        assert xlsx.status_code == 200, url
        sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (url, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_STARTS) and "\x1b" not in cell.value, (url, cell.value)
        rows = list(sheet.values)
        title_column = rows[0].index("项目名称")
        # The titles are there, as text (the notice lists the three winners).
        assert {"'" + p for p in FORMULAS[:2]} | {"标题[31m带控制字符"} <= {row[title_column] for row in rows[1:]}, url
        if "评语" in rows[0]:
            comments |= {row[rows[0].index("评语")] for row in rows[1:]}
    assert {"'" + p for p in FORMULAS} <= comments


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_scores_and_amounts_are_numeric_cells_under_a_frozen_header(client, login_as, session, world, hostile):
    publication, sheets = hostile
    login_as(world.organizer_a)
    checked = 0
    for url in _export_urls(publication, sheets):
        sheet = load_workbook(io.BytesIO(client.get(url + ".xlsx").get_data())).active
        assert sheet.freeze_panes == "A2", url
        headers = [c.value for c in next(sheet.iter_rows(max_row=1))]
        assert all(sheet.column_dimensions[chr(65 + i)].width >= 6 for i in range(min(len(headers), 26)))
        numeric = [i for i, h in enumerate(headers) if h in NUMERIC_HEADERS or (h.endswith("）") and "（" in h[:-1])]
        for row in sheet.iter_rows(min_row=2):
            for index in numeric:
                cell = row[index]
                if cell.value is None:
                    continue
                assert cell.data_type == "n", (url, headers[index], cell.value)
                expected = AMOUNT if headers[index] == "核定金额（元）" else POINTS
                if headers[index] != "满分":
                    assert cell.number_format == expected, (url, headers[index])
                checked += 1
    assert checked > 50
    # SUM works: the notice's amounts add up to the approved total.
    notice = load_workbook(io.BytesIO(client.get(f"/results/notices/{publication.id}/notice.xlsx").get_data())).active
    headers = [c.value for c in next(notice.iter_rows(max_row=1))]
    column = headers.index("核定金额（元）")
    amounts = [row[column].value for row in notice.iter_rows(min_row=2) if row[column].value is not None]
    entries = queries.entries_of(session, publication)
    assert sum(amounts) * 100 == sum(e.approved_fen or 0 for e in entries)


def test_proxy_entered_sheets_are_marked_in_the_judge_exports(client, login_as, session, world, hostile, tmp_path):
    publication, sheets = hostile
    proxy = sheets[0]
    login_as(world.organizer_a)
    base = f"/review/rounds/{publication.round_id}/judges/{proxy.judge_id}/sheets"
    sheet = load_workbook(io.BytesIO(client.get(base + ".xlsx").get_data())).active
    rows = list(sheet.values)
    marks = {row[0]: row[rows[0].index("代录入")] for row in rows[1:]}
    assert marks[proxy.proposal_id] == "是" and set(marks.values()) <= {"是", "否"}
    pdf = client.get(base + ".pdf")
    assert pdf.status_code == 200
    assert "代录入" in _compact(_pdf_text(pdf.get_data(), tmp_path))


def test_pdfs_do_not_break_on_control_characters(client, login_as, session, world, hostile, tmp_path):
    publication, sheets = hostile
    login_as(world.organizer_a)
    urls = [
        f"/results/notices/{publication.id}/notice.pdf",
        f"/review/rounds/{publication.round_id}/export/summary.pdf",
        f"/review/rounds/{publication.round_id}/judges/{sheets[0].judge_id}/sheets.pdf",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf", url
        assert "带控制字符" in _compact(_pdf_text(response.get_data(), tmp_path)), url
