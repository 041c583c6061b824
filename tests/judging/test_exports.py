"""Exports of a scoring round: raw sheets that recompute the stored ranking, the summary and a
judge's sheets as CSV, XLSX and PDF (CJK font embedded), for the edition's organizer only."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

import pytest
from openpyxl import load_workbook

from grants.judging import closing, eligibility, sheets
from grants.judging.models import RoundResult
from tests.judging.helpers import score_round
from tests.proposals.test_pdf import _compact, _fonts, _pdf_text


@pytest.fixture
def closed(session, world, scoring):
    rnd, proposals, judges = scoring
    index = {p.id: i for i, p in enumerate(proposals)}
    sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    score_round(session, rnd, lambda j, p: 40 + 7 * ((index[p] * 3 + j) % 5) + index[p])
    closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    return rnd, proposals, judges


def _csv(response) -> list[dict[str, str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")  # Excel opens UTF-8 with a BOM correctly
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_raw_sheets_recompute_the_stored_ranking(client, login_as, session, world, closed):
    """The README's recipe: sum each judge's points per proposal, average per proposal, sort."""
    rnd, _proposals, _judges = closed
    login_as(world.organizer_a)
    response = client.get(f"/review/rounds/{rnd.id}/export/sheets.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    totals: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    for row in rows:
        totals[(row["项目编号"], row["评委编号"])] += Fraction(Decimal(row["得分"]))
    by_proposal: dict[str, list[Fraction]] = defaultdict(list)
    for (proposal_id, _judge), total in totals.items():
        by_proposal[proposal_id].append(total)
    means = {int(p): sum(v) / len(v) for p, v in by_proposal.items()}
    stored = {r.proposal_id: r for r in session.query(RoundResult).filter_by(round_id=rnd.id)}
    assert set(means) == set(stored)
    for proposal_id, value in means.items():
        assert stored[proposal_id].score == closing.to_decimal(value)
    ranked = sorted(means, key=lambda p: (-means[p], stored[p].rank))
    assert [stored[p].rank for p in ranked] == list(range(1, len(ranked) + 1))


def test_summary_and_judge_sheets_as_xlsx_and_pdf(client, login_as, session, world, closed, tmp_path):
    rnd, proposals, judges = closed
    login_as(world.organizer_a)
    book = load_workbook(io.BytesIO(client.get(f"/review/rounds/{rnd.id}/export/summary.xlsx").get_data()))
    values = list(book.active.values)
    assert values[0][0] == "名次" and len(values) == 1 + len(proposals)
    assert {row[2] for row in values[1:]} == {p.title for p in proposals}
    pdf = client.get(f"/review/rounds/{rnd.id}/export/summary.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = _compact(_pdf_text(pdf.get_data(), tmp_path))
    assert "评审汇总表" in text and all(_compact(p.title) in text for p in proposals)
    assert any(emb == "yes" and "CJK" in name for name, emb in _fonts(pdf.get_data(), tmp_path))
    judge = judges[1]
    sheet_pdf = client.get(f"/review/rounds/{rnd.id}/judges/{judge.id}/sheets.pdf")
    assert sheet_pdf.status_code == 200
    assert _compact(judge.display_name) in _compact(_pdf_text(sheet_pdf.get_data(), tmp_path))
    rows = _csv(client.get(f"/review/rounds/{rnd.id}/judges/{judge.id}/sheets.csv"))
    assert rows and all(r["状态"] == "已提交" for r in rows)
    assert client.get(f"/review/rounds/{rnd.id}/export/sheets.pdf").status_code == 404
    assert client.get(f"/review/rounds/{rnd.id}/export/other.csv").status_code == 404


def test_exports_are_for_the_edition_organizer_only(client, login_as, world, closed):
    rnd, _proposals, judges = closed
    urls = [
        f"/review/rounds/{rnd.id}/export/sheets.csv",
        f"/review/rounds/{rnd.id}/export/summary.xlsx",
        f"/review/rounds/{rnd.id}/judges/{judges[0].id}/sheets.pdf",
    ]
    for outsider in (world.organizer_b, judges[0], world.staff_a):
        login_as(outsider)
        assert all(client.get(url).status_code == 403 for url in urls)


def _summary_headers(client, rnd) -> list[str]:
    book = load_workbook(io.BytesIO(client.get(f"/review/rounds/{rnd.id}/export/summary.xlsx").get_data()))
    return [c.value for c in next(book.active.iter_rows(max_row=1))]


def test_summary_shows_the_score_once_unless_its_parts_differ(client, login_as, session, world, final_closed):
    """得分, 本轮得分 and 原始分 are one number unless the round weighs earlier rounds in or
    normalises the judges' scores; then, and only then, the other columns appear."""
    edition, final, _proposals = final_closed
    second = closing.scoring_rounds(session, edition.id)[0]
    login_as(world.organizer_a)
    headers = _summary_headers(client, final)
    assert headers.count("得分") == 1 and "本轮得分" not in headers and "原始分" not in headers
    final.normalize = True
    session.commit()
    headers = _summary_headers(client, final)
    assert "原始分" in headers and "本轮得分" not in headers
    second.weight_percent, final.weight_percent = 40, 60
    session.commit()
    assert closing.combines_rounds(session, final) and not closing.combines_rounds(session, second)
    headers = _summary_headers(client, final)
    assert headers.index("得分") < headers.index("本轮得分") < headers.index("原始分")
    csv_headers = _csv(client.get(f"/review/rounds/{final.id}/export/summary.csv"))[0].keys()
    assert list(csv_headers) == headers
