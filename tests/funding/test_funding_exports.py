"""Finance exports (issue 13 item 10): 资金拨付明细表, 支出明细表, 资金使用情况表 as XLSX with
numeric amount cells, CSV and PDF with a signature row; user text never becomes a formula; long
edition exports run in the job queue with progress; who may download them."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from grants.audit.models import AuditEntry
from grants.auth.models import Role
from grants.funding import exports
from grants.funding.models import Grant
from grants.reports import tables
from grants.reports.models import DocumentJob
from tests.funding import books as b

EVIL = '=HYPERLINK("http://evil.example/","点我")'


@pytest.fixture
def funded(session, world, make_grant, sign_grant, kept):
    def build():
        w = world
        grant = sign_grant(make_grant(w.edition_a, approved_fen=380_001, community=w.community_a))
        first, _second = b.tranches(session, grant)[:2]
        b.pay(session, grant, first, requester=w.organizer_a, approver=w.finance_a, voucher="PZ-2026-001")
        items = b.items(session, grant)
        b.spend(session, grant, 12_345, recorder=w.resident, reviewer=w.staff_a, payee=EVIL, on=date(2026, 11, 10))
        b.spend(session, grant, 20_000, recorder=w.resident, reviewer=w.staff_a, item=items[1], on=date(2026, 11, 28))
        b.spend(
            session, grant, 999, recorder=w.resident, status="pending", on=date(2026, 11, 29), payee="店\x1b[31m铺 <&>"
        )
        b.spend(session, grant, 500, recorder=w.resident, reviewer=w.staff_a, status="rejected", on=date(2026, 11, 29))
        session.execute(update(Grant).where(Grant.id == grant.id).values(status="in_progress"))
        session.commit()
        return grant, first, items

    return kept("funding.exports.funded", build)


def _sheet(body: bytes):
    return load_workbook(io.BytesIO(body)).active


def _post(client, world, kind, fmt):
    return client.post(f"/funding/editions/{world.edition_a.id}/exports/{kind}.{fmt}")


def test_expenses_xlsx_has_numeric_amounts_and_neutralised_text(client, login_as, world, funded):
    login_as(world.finance_a)
    response = _post(client, world, "expenses", "xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = _sheet(response.data)
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 4
    amounts = [row[7] for row in rows]
    assert all(cell.data_type == "n" and isinstance(cell.value, int | float) for cell in amounts)
    assert all(cell.number_format == tables.AMOUNT for cell in amounts)
    assert sorted(cell.value for cell in amounts) == [5, 9.99, 123.45, 200]
    payees = [row[4] for row in rows]
    evil = next(cell for cell in payees if "HYPERLINK" in str(cell.value))
    assert evil.data_type == "s" and not str(evil.value).startswith("=")
    assert any(cell.value == "店[31m铺 <&>" for cell in payees)  # control character gone, XML escaped
    statuses = {row[8].value for row in rows}
    assert statuses == {"已认可", "待审核", "不予认可"}
    assert any(row[9].value == world.staff_a.display_name for row in rows)


def test_disbursements_xlsx_names_who_and_when(client, login_as, world, funded):
    grant, first, _items = funded
    login_as(world.organizer_a)
    sheet = _sheet(_post(client, world, "disbursements", "xlsx").data)
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header[:4] == ["协议编号", "项目名称", "期次", "金额（元）"]
    row = [c for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert row[0].value == grant.agreement_no and row[2].value == first.name
    assert row[3].data_type == "n" and Decimal(str(row[3].value)) == Decimal(first.amount_fen) / 100
    assert row[4].value == "已拨付" and row[5].value == world.organizer_a.display_name
    assert row[7].value == world.finance_a.display_name and row[10].value == "2026-11-25"
    assert row[11].value == "PZ-2026-001"


def test_csv_keeps_numbers_plain_and_text_harmless(client, login_as, world, funded):
    login_as(world.finance_a)
    body = _post(client, world, "expenses", "csv").data.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][7] == "金额（元）"
    assert sorted(r[7] for r in rows[1:]) == ["123.45", "200.00", "5.00", "9.99"]
    evil = next(r[4] for r in rows[1:] if "HYPERLINK" in r[4])
    assert not evil.startswith("=")


def _pdf_text(body: bytes, tmp_path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_pdf_has_the_table_and_the_signature_row(client, login_as, world, funded, tmp_path):
    login_as(world.finance_a)
    response = _post(client, world, "disbursements", "pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = _pdf_text(response.data, tmp_path)
    assert "资金拨付明细表" in text and "PZ-2026-001" in text
    for signature in ("制表人", "审核人", "负责人"):
        assert signature in text


def test_usage_table_per_line_for_a_period(client, login_as, session, world, funded, tmp_path):
    grant, _first, items = funded
    login_as(world.staff_a)
    url = f"/funding/grants/{grant.id}/usage"
    sheet = _sheet(client.get(f"{url}.xlsx?start=2026-11-20&end=2026-11-30").data)
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    budget = {r[1]: r for r in rows}
    first_line, second_line = budget[items[0].item], budget[items[1].item]
    assert first_line[3] == 0 and first_line[4] == 123.45  # spent on 11-10: cumulative, not this period
    assert second_line[3] == 200 and second_line[4] == 200
    assert rows[-1][0] == "合计" and rows[-1][2] == 3800.01 and rows[-1][4] == 323.45
    assert rows[-1][5] == pytest.approx(3800.01 - 323.45)
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type == "n" for cell in row[2:])
    text = _pdf_text(client.get(f"{url}.pdf?end=2026-11-30").data, tmp_path)
    assert "资金使用情况表" in text and "制表人" in text and "3,800.01" in text
    refused = client.get(f"{url}.csv?start=2026-12-01&end=2026-11-01")
    assert refused.status_code == 302
    assert client.get(f"{url}.csv?start=nonsense").status_code == 302


def test_usage_is_refused_to_those_who_may_not_see_the_grant(client, login_as, make, world, funded):
    grant = funded[0]
    finance_b = make.user("finance_b", roles=[(Role.FINANCE, world.district_b)])
    url = f"/funding/grants/{grant.id}/usage.xlsx"
    assert client.get(url).status_code == 302  # anonymous → login
    for user in (world.organizer_b, finance_b, world.staff_b, world.judge_a, world.resident):
        login_as(user)
        assert client.get(url).status_code == 404, user.username
    for user in (world.organizer_a, world.finance_a, world.staff_a, grant.proposal.applicant):
        login_as(user)
        assert client.get(url).status_code == 200, user.username


def test_a_long_export_runs_in_the_job_queue_with_progress(app, client, login_as, session, world, funded):
    app.config["FUNDING_EXPORT_DIRECT_ROWS"] = 2
    from grants import jobs

    queue = jobs.queue_for(app)
    queue.huey.immediate = True
    try:
        login_as(world.finance_a)
        response = _post(client, world, "expenses", "xlsx")
    finally:
        queue.huey.immediate = False
    assert response.status_code == 302 and "/funding/export-jobs/" in response.headers["Location"]
    job = session.scalars(select(DocumentJob).order_by(DocumentJob.id.desc())).first()
    assert (job.status, job.done, job.total) == ("done", 4, 4), job.error
    page = client.get(f"/funding/export-jobs/{job.id}").get_data(as_text=True)
    assert "<progress" in page and "job-progress.js" in page
    state = client.get(f"/funding/export-jobs/{job.id}.json").get_json()
    assert state["status"] == "done" and state["download_url"]
    sheet = _sheet(client.get(state["download_url"]).data)
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == 4
    for user in (world.organizer_b, world.staff_a, world.judge_a, world.resident):
        login_as(user)
        assert client.get(f"/funding/export-jobs/{job.id}").status_code == 403
        assert client.get(f"/funding/export-jobs/{job.id}/download").status_code == 403


def test_a_pdf_too_long_is_refused_with_a_message(app, client, login_as, world, funded, monkeypatch):
    monkeypatch.setattr(exports, "PDF_MAX_ROWS", 2)
    login_as(world.finance_a)
    response = _post(client, world, "expenses", "pdf")
    assert response.status_code == 302
    assert "请导出为XLSX或CSV" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_streamed_xlsx_writer_handles_any_iterable():
    out = io.BytesIO()
    rows = ([f"行{i}", Decimal(i).scaleb(-2)] for i in range(1200))
    tables.write_xlsx(out, "t", ["名称", "金额"], rows, {1: tables.AMOUNT}, sample=10)
    sheet = _sheet(out.getvalue())
    values = [r[1].value for r in sheet.iter_rows(min_row=2)]
    assert len(values) == 1200 and values[-1] == 11.99


def test_the_grant_page_offers_the_usage_table(client, login_as, world, funded):
    grant = funded[0]
    login_as(world.finance_a)
    body = client.get(f"/funding/grants/{grant.id}").get_data(as_text=True)
    assert "资金使用情况表" in body and f"/funding/grants/{grant.id}/usage.pdf" in body


def test_libreoffice_opens_the_streamed_xlsx(client, login_as, world, funded, tmp_path):
    import shutil

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    login_as(world.finance_a)
    (tmp_path / "expenses.xlsx").write_bytes(_post(client, world, "expenses", "xlsx").data)
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "csv",
            "--outdir",
            str(tmp_path),
            str(tmp_path / "expenses.xlsx"),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    text = (tmp_path / "expenses.csv").read_text(encoding="utf-8", errors="replace")
    assert "123.45" in text and "HYPERLINK" in text


def test_a_long_pdf_is_made_in_the_job_queue(app, client, login_as, session, world, funded, monkeypatch, tmp_path):
    monkeypatch.setattr(exports, "DIRECT_PDF_ROWS", 1)
    from grants import jobs

    queue = jobs.queue_for(app)
    queue.huey.immediate = True
    try:
        login_as(world.organizer_a)
        response = _post(client, world, "disbursements", "pdf")
        assert response.status_code == 200  # one disbursement: still direct
        response = _post(client, world, "expenses", "pdf")
    finally:
        queue.huey.immediate = False
    assert response.status_code == 302 and "/funding/export-jobs/" in response.headers["Location"]
    job = session.scalars(select(DocumentJob).order_by(DocumentJob.id.desc())).first()
    assert job.status == "done", job.error
    body = client.get(f"/funding/export-jobs/{job.id}/download")
    assert body.mimetype == "application/pdf"
    text = _pdf_text(body.data, tmp_path)
    assert "支出明细表" in text and "负责人" in text


def test_the_job_runs_outside_any_request(app, session, world, funded, tmp_path):
    """As the jobs worker runs it: an application context and no request (the PDF's url_for works)."""
    from flask import has_request_context

    from grants import jobs

    assert not has_request_context()
    job = exports.request_export(
        session, actor=world.finance_a, edition=world.edition_a, kind="expenses", fmt="pdf", total=4
    )
    session.commit()
    jobs.run_funding_export_job(job.id)
    session.expire_all()
    job = session.get(DocumentJob, job.id)
    assert job.status == "done", job.error
    text = _pdf_text(jobs.stored_path(job).read_bytes(), tmp_path)
    assert "支出明细表" in text and "制表人" in text
    jobs.run_funding_export_job(job.id)  # not queued any more: left alone
    assert session.get(DocumentJob, job.id).status == "done"
    with pytest.raises(Exception, match="权限"):
        exports.request_export(
            session, actor=world.staff_a, edition=world.edition_a, kind="expenses", fmt="csv", total=4
        )


def test_a_queue_that_is_down_fails_the_job_visibly(app, client, login_as, session, world, funded, monkeypatch):
    app.config["FUNDING_EXPORT_DIRECT_ROWS"] = 1
    from grants import jobs

    def down(job_id):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(jobs.queue_for(app), "funding_export", down)
    login_as(world.finance_a)
    response = _post(client, world, "expenses", "csv")
    assert response.status_code == 302
    job = session.scalars(select(DocumentJob).order_by(DocumentJob.id.desc())).first()
    assert job.status == "failed" and "任务队列暂时不可用" in job.error
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "任务队列暂时不可用" in page


def test_asking_again_while_the_job_waits_gives_the_same_job_and_a_finished_one_a_new_job(session, world, funded):
    def ask(fmt="xlsx"):
        job = exports.request_export(
            session, actor=world.finance_a, edition=world.edition_a, kind="expenses", fmt=fmt, total=4
        )
        session.commit()
        return job

    first = ask()
    assert ask().id == first.id
    assert ask("csv").id != first.id  # another format is another export
    first.status = "done"
    session.commit()
    assert ask().id != first.id
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "document_job.funding_export")).all()
    assert len(entries) == 3
