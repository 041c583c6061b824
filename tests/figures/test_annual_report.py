"""The annual statistics report (年度统计报表): asked for from the figures page, made in the job queue
with its progress on the one job page, downloaded as a PDF and an XLSX whose numbers are the figures
page's own; who may ask and who may see the job; bad input; nothing private in it; both languages."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from grants import jobs
from grants.audit.models import AuditEntry
from grants.auth.models import Role
from grants.figures import queries
from grants.figures.annual import files, service, spending
from grants.figures.queries import STAR_LEVELS
from grants.figures.scope import Scope
from grants.money import format_fen
from grants.reports import tables
from grants.reports.models import DocumentJob
from tests.proposals.test_pdf import _compact, _fonts, _pdf_text

HAN = re.compile(r"[\u3400-\u9fff]")
YEAR = 2025


@pytest.fixture
def immediate(app):
    """The app's queue running each task at once, in the caller's thread."""
    queue = jobs.queue_for(app)
    queue.huey.immediate = True
    yield queue
    queue.huey.immediate = False


@pytest.fixture
def annual_district(generated, chained, session, world):
    """District A with generated records and its office's name (built once per test process)."""

    def build():
        made = generated(proposals=16, activities=6)
        world.district_a.office_name = "甲区民政局"
        session.commit()
        return made

    return chained("annual_district", build)


@pytest.fixture
def made(annual_district):
    return annual_district


def _ask(client, url: str, year=YEAR) -> int:
    """POST the figures page's form; the id of the job it leads to."""
    response = client.post(url, data={"year": str(year)})
    assert response.status_code == 302, response.status_code
    found = re.search(r"/jobs/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found.group(1))


def _district_url(made) -> str:
    return f"/figures/districts/{made.district.id}/annual-report"


def _street_url(street) -> str:
    return f"/figures/streets/{street.id}/annual-report"


def _files(client, job_id: int) -> tuple[bytes, bytes]:
    pdf = client.get(f"/jobs/{job_id}/download?file=pdf")
    book = client.get(f"/jobs/{job_id}/download?file=xlsx")
    assert pdf.status_code == book.status_code == 200
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    assert book.mimetype == tables.FORMATS["xlsx"]
    return pdf.data, book.data


def _jobs(session) -> int:
    return session.scalar(select(func.count(DocumentJob.id)))


# --- the job's life ---------------------------------------------------------------------------


def test_the_organizer_asks_from_the_figures_page_and_downloads_the_pdf_and_the_xlsx(
    client, login_as, session, world, made, immediate
):
    login_as(world.organizer_a)
    page = client.get(f"/figures/districts/{made.district.id}", query_string={"year": YEAR}).get_data(as_text=True)
    assert f'action="{_district_url(made)}"' in page and f'<option value="{YEAR}" selected>' in page
    job_id = _ask(client, _district_url(made))  # made at once (immediate)
    session.expire_all()
    job = session.get(DocumentJob, job_id)
    assert (job.status, job.done, job.total, job.error) == ("done", service.STEPS, service.STEPS, None)
    assert (job.district_id, job.street_id, job.year, job.locale) == (made.district.id, None, YEAR, "zh_Hans_CN")
    assert re.fullmatch(r"[0-9a-f]{32}", job.stored_name) and job.filename == "甲区2025年度统计报表"
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert state["status"] == "done" and state["count"] == "已完成4步，共4步"
    assert state["download_url"] == f"/jobs/{job_id}/download?file=pdf"
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "年度统计报表" in html and "下载PDF" in html and "下载XLSX" in html and "甲区（全区） · 2025年度" in html
    assert f'href="/figures/districts/{made.district.id}?year={YEAR}"' in html  # back to the figures
    assert f"/jobs/{job_id}/download?file=xlsx" in html and "js/job-progress.js" in html
    response = client.get(f"/jobs/{job_id}/download?file=pdf")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert ".pdf" in response.headers["Content-Disposition"]
    _files(client, job_id)
    assert client.get(f"/jobs/{job_id}/download?file=zip").status_code == 404
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "document_job.annual_report")).one()
    assert entry.object_id == job_id and entry.district_id == made.district.id and entry.after["year"] == YEAR


def test_progress_is_recorded_step_by_step_while_the_job_runs(app, session, world, made):
    job = service.request_report(
        session, actor=world.organizer_a, district=made.district, street=None, year=YEAR, locale="zh_Hans_CN"
    )
    session.commit()
    seen = []
    original = jobs._set_apart

    def spy(job_id, **values):
        original(job_id, **values)
        with app.app_context():  # another session sees the committed progress
            from grants.db import db

            seen.append(db.session.get(DocumentJob, job_id).done)

    jobs._set_apart = spy
    try:
        jobs.run_annual_report_job(job.id)
    finally:
        jobs._set_apart = original
    session.expire_all()
    assert seen == [1, 2, 3] and session.get(DocumentJob, job.id).done == service.STEPS


def test_a_job_runs_once_and_asking_twice_while_it_waits_gives_the_same_job(session, world, made):
    ask = dict(actor=world.organizer_a, district=made.district, street=None, year=YEAR, locale="zh_Hans_CN")
    job = service.request_report(session, **ask)
    session.commit()
    assert service.request_report(session, **ask).id == job.id  # a double click
    session.commit()
    jobs.run_annual_report_job(job.id)
    session.expire_all()
    stored = session.get(DocumentJob, job.id).stored_name
    jobs.run_annual_report_job(job.id)  # a duplicate delivery changes nothing
    session.expire_all()
    assert session.get(DocumentJob, job.id).stored_name == stored and _jobs(session) == 1
    assert service.request_report(session, **ask).id != job.id  # once done, a new report is a new job


def test_a_failed_job_says_so_plainly_and_leaves_no_file(app, session, world, made, monkeypatch):
    job = service.request_report(
        session, actor=world.organizer_a, district=made.district, street=None, year=YEAR, locale="zh_Hans_CN"
    )
    session.commit()

    def broken(*args, **kwargs):
        raise RuntimeError("Traceback: secret internals")

    monkeypatch.setattr(files, "pdf", broken)
    jobs.run_annual_report_job(job.id)
    session.expire_all()
    job = session.get(DocumentJob, job.id)
    assert job.status == "failed" and job.stored_name is None and job.finished_at is not None
    assert "secret" not in job.error and "Traceback" not in job.error and "请稍后重试" in job.error
    folder = jobs.documents_dir(app)
    assert not folder.exists() or not list(folder.glob("*"))


def test_when_the_queue_is_down_the_job_fails_visibly(client, login_as, session, world, made, monkeypatch):
    def down(app):
        raise ConnectionError("no queue")

    monkeypatch.setattr(jobs, "queue_for", down)
    login_as(world.organizer_a)
    job_id = _ask(client, _district_url(made))
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert state["status"] == "failed" and "任务队列暂时不可用" in state["error"]


def test_made_by_a_real_consumer_of_the_sqlite_queue(app, client, login_as, session, world, made, tmp_path):
    app.config["JOBS_SQLITE_PATH"] = str(tmp_path / "queue" / "jobs.db")
    queue = jobs.queue_for(app)
    login_as(world.organizer_a)
    job_id = _ask(client, _district_url(made))
    assert client.get(f"/jobs/{job_id}.json").get_json()["status"] == "queued" and len(queue.huey) == 1
    from tests.results.test_jobs import _consume

    states = _consume(queue, client, job_id)
    assert states[-1]["status"] == "done" and states[-1]["done"] == service.STEPS
    assert [s["done"] for s in states] == sorted(s["done"] for s in states)  # never goes back
    _files(client, job_id)


# --- the numbers ------------------------------------------------------------------------------


def _sheet(book, title: str) -> list[list]:
    sheet = book[title]
    assert sheet.freeze_panes == "A2"
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]


def _yuan(fen: int) -> float:
    """Yuan as a spreadsheet reads them back (the nearest float, as written with two decimals)."""
    return fen / 100


def _check_numeric(book) -> None:
    """Every number is a numeric cell with a number format; no text looks like a number or a formula."""
    numbers = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, int | float | Decimal):
                    assert cell.data_type == "n" and cell.number_format != "General", (sheet.title, cell.coordinate)
                    numbers += 1
                elif isinstance(cell.value, str):
                    assert cell.data_type == "s" and not re.fullmatch(r"[\d,.]+", cell.value), cell.value
        widths = [sheet.column_dimensions[letter].width for letter in "ABC"]
        assert all(tables.MIN_WIDTH <= w <= tables.MAX_WIDTH for w in widths if w)
    assert numbers > 50


def _check_xlsx(book, session, scope: Scope) -> None:
    figures = queries.figures(session, scope)
    spent = spending.spent_by_category(session, scope)
    assert sum(row.spent_fen for row in spent) == figures.money.spent_fen  # the categories add up
    editions = _sheet(book, "表1 大赛概况")
    assert editions[:-1] == [[r.name, int(r.held), r.proposals, r.funded] for r in figures.editions]
    assert editions[-1] == ["合计", figures.editions_held, figures.proposals, figures.funded]
    money = _sheet(book, "表2-1 各届资金情况")
    for row, edition in zip(money, figures.editions, strict=False):
        m = edition.money
        assert row == [edition.name, *map(_yuan, (m.approved_fen, m.disbursed_fen, m.spent_fen, m.returned_fen))]
    m = figures.money
    assert money[-1] == ["合计", *map(_yuan, (m.approved_fen, m.disbursed_fen, m.spent_fen, m.returned_fen))]
    categories = _sheet(book, "表2-2 已支出按支出类别")
    assert sum(round(row[2] * 100) for row in categories[:-1]) == round(categories[-1][2] * 100) == m.spent_fen
    kinds = _sheet(book, "表3-1 三自组织按类型")
    assert [row[1] for row in kinds] == [*figures.groups_by_kind.values(), figures.groups]
    stars = _sheet(book, "表3-2 三自组织按当前星级")
    assert [row[1] for row in stars] == [*(figures.groups_by_stars[s] for s in STAR_LEVELS), figures.groups]
    months = _sheet(book, "表3-3 每月已核实活动")
    assert [row[1] for row in months] == [*(m.activities for m in figures.months), figures.activities]
    assert len(months) == 13 and months[0][0] == f"{scope.year}年1月"
    assert _sheet(book, "表3-4 服务成效") == [[figures.activities, figures.served, figures.volunteer_halves / 2]]
    places = _sheet(book, "表4 分街道、社区统计")
    rows = {(row[0] or "", row[1]): row[2:] for row in places}  # an empty cell reads back as None
    for c in figures.communities:
        key = (c.street, c.name) if c.community is not None else ("", "未填写社区")
        cells = [c.proposals, c.funded, _yuan(c.approved_fen), c.activities, c.served, c.volunteer_halves / 2, c.groups]
        assert rows[key] == cells, key
    assert places[-1][2:] == [
        figures.proposals,
        figures.funded,
        _yuan(m.approved_fen),
        figures.activities,
        figures.served,
        figures.volunteer_halves / 2,
        figures.groups,
    ]
    cover = dict(_sheet(book, "报表说明"))
    assert cover["年度"] == scope.year and cover["编制单位"] == "甲区民政局"
    from grants.figures import summary

    assert cover["概述"] == summary.sentence(figures)


@pytest.mark.parametrize("place", ["district", "street"])
def test_the_xlsx_holds_the_figures_pages_numbers_as_numeric_cells(
    app, client, login_as, session, world, made, immediate, place
):
    street = made.streets[0] if place == "street" else None
    login_as(world.organizer_a if street is None else made.street_staff[street.id])
    job_id = _ask(client, _district_url(made) if street is None else _street_url(street))
    _pdf, data = _files(client, job_id)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[0] == "报表说明" and len(book.sheetnames) == 9
    _check_numeric(book)
    with app.test_request_context():
        _check_xlsx(book, session, Scope(made.district, street=street, year=YEAR))
    if street is not None:  # the street's rows only, no subtotal (one street)
        assert {row[0] for row in _sheet(book, "表4 分街道、社区统计")[:-1]} == {street.name}


def test_the_pdf_prints_the_same_numbers_with_the_summary_charts_and_footer(
    app, client, login_as, session, world, made, immediate, tmp_path
):
    login_as(world.organizer_a)
    pdf, _book = _files(client, _ask(client, _district_url(made)))
    text = _pdf_text(pdf, tmp_path)
    flat = _compact(text)
    scope = Scope(made.district, year=YEAR)
    figures = queries.figures(session, scope)
    with app.test_request_context():
        from grants.figures import summary

        assert _compact(summary.sentence(figures)) in flat
    assert "甲区民政局·2025年度" in flat and "2025年度社区公益微创投工作统计报表" in flat
    for heading in ("一、大赛概况", "二、资金情况", "三、孵化成效", "四、分街道/社区统计"):
        assert heading in flat
    m = figures.money
    for fen in (m.approved_fen, m.disbursed_fen, m.spent_fen, m.returned_fen):
        assert f"{fen / 100:,.2f}" in flat
    totals = re.search(r"合计\s+(\S+)\s+(\S+)\s+(\S+)\s*\n", text)  # 表1's totals row
    assert totals and [int(v.replace(",", "")) for v in totals.groups()] == [
        figures.editions_held,
        figures.proposals,
        figures.funded,
    ]
    assert f"{figures.activities:,}{figures.served:,}{figures.volunteer_halves / 2:,.1f}" in flat  # 表3-4
    pages = text.split("\f")[:-1]
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        page = _compact(page)
        assert "制表日期：" in page and "本报表所有数字均由平台中已确认的记录统计生成。" in page
        assert f"第{number}页/共{len(pages)}页" in page
    # The SVG charts are drawn: their legends, and their values in ¥ (the tables print plain yuan).
    assert "核定资助已拨付已支出" in flat and format_fen(figures.editions[-1].money.approved_fen) in flat
    fonts = _fonts(pdf, tmp_path)
    assert fonts and all(emb == "yes" for _name, emb in fonts)
    assert all("CJK" in name for name, _emb in fonts)  # the Chinese fonts only, charts included


def test_nothing_private_is_in_the_report(client, login_as, session, world, made, immediate, tmp_path):
    from grants.incubation.models import GroupMember

    members = session.execute(select(GroupMember.name, GroupMember.mobile)).all()
    assert members
    private = {value for member in members for value in member} | {"钱申明", "孙核实", "org_a"}
    login_as(world.organizer_a)
    pdf, data = _files(client, _ask(client, _district_url(made)))
    text = _compact(_pdf_text(pdf, tmp_path))
    book = load_workbook(io.BytesIO(data))
    cells = " ".join(str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value)
    for value in private:
        assert value not in text and value not in cells, value
    assert not re.search(r"1[3-9]\d{9}", text + cells)  # no mobile number of anyone


# --- who may ask, who may see -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "place", "allowed"),
    [
        ("organizer", "district", True),
        ("organizer", "east", True),
        ("east_staff", "east", True),
        ("east_staff", "west", False),
        ("east_staff", "district", False),
        ("community_staff", "east", False),
        ("community_staff", "district", False),
        ("organizer_b", "district", False),
        ("organizer_b", "east", False),
        ("finance", "district", False),
        ("resident", "district", False),
    ],
)
def test_who_may_ask_for_a_report(client, login_as, session, world, made, immediate, who, place, allowed):
    east, west = made.streets
    users = {
        "organizer": world.organizer_a,
        "east_staff": made.street_staff[east.id],
        "community_staff": made.community_staff[made.communities[0].id],
        "organizer_b": world.organizer_b,
        "finance": world.finance_a,
        "resident": world.resident,
    }
    url = {"district": _district_url(made), "east": _street_url(east), "west": _street_url(west)}[place]
    login_as(users[who])
    response = client.post(url, data={"year": str(YEAR)})
    assert response.status_code == (302 if allowed else 403)
    assert _jobs(session) == (1 if allowed else 0)


def test_the_form_is_offered_only_where_the_user_may_ask(client, login_as, world, made):
    east, west = made.streets
    community = made.communities[0]
    login_as(made.street_staff[east.id])
    assert _street_url(east) in client.get(f"/figures/streets/{east.id}").get_data(as_text=True)
    login_as(made.community_staff[community.id])
    assert "annual-report" not in client.get(f"/figures/communities/{community.id}").get_data(as_text=True)
    login_as(world.organizer_a)
    assert "annual-report" not in client.get(f"/figures/communities/{community.id}").get_data(as_text=True)
    assert _street_url(west) in client.get(f"/figures/streets/{west.id}").get_data(as_text=True)


def test_anonymous_askers_are_sent_to_sign_in_and_a_request_needs_its_csrf_token(client, login_as, session, made):
    response = client.post(_district_url(made), data={"year": str(YEAR)})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(made.street_staff[made.streets[0].id])
    assert client.post(_street_url(made.streets[0]), data={"year": str(YEAR)}, csrf=False).status_code == 400
    assert _jobs(session) == 0


def test_who_may_see_the_job_and_its_files(client, login_as, session, world, make, made, immediate):
    east, west = made.streets
    asker = made.street_staff[east.id]
    login_as(asker)
    job_id = _ask(client, _street_url(east))
    urls = [f"/jobs/{job_id}", f"/jobs/{job_id}.json", f"/jobs/{job_id}/download?file=pdf"]
    urls.append(f"/jobs/{job_id}/download?file=xlsx")
    colleague = make.user("east_colleague", roles=[(Role.STREET_STAFF, east)])
    for user in (asker, world.organizer_a):
        login_as(user)
        assert [client.get(url).status_code for url in urls] == [200] * 4
    outsiders = (
        colleague,  # the same street, but not who asked
        made.street_staff[west.id],
        made.community_staff[made.communities[0].id],
        world.organizer_b,
        world.finance_a,
        world.resident,
    )
    for outsider in outsiders:
        login_as(outsider)
        assert [client.get(url).status_code for url in urls] == [403] * 4, outsider.display_name
    from grants.auth import service as auth_service
    from grants.auth.models import RoleGrant

    grant = session.scalars(select(RoleGrant).where(RoleGrant.user_id == asker.id)).one()
    auth_service.revoke_role(session, actor=None, grant=grant)
    session.commit()
    login_as(asker)  # no longer overseeing the street: no longer its figures
    assert [client.get(url).status_code for url in urls] == [403] * 4


@pytest.mark.parametrize("year", ["", "abc", "1999", "２０２５", "99999", "2100"])
def test_a_bad_year_gets_a_clear_message_and_changes_nothing(client, login_as, session, world, made, year):
    login_as(world.organizer_a)
    response = client.post(_district_url(made), data={"year": year})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/figures/districts/{made.district.id}"
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "请选择" in page and "年份" in page
    assert _jobs(session) == 0


# --- the reader's language --------------------------------------------------------------------


def test_the_report_is_written_in_the_askers_language(client, login_as, session, world, made, immediate, tmp_path):
    login_as(world.organizer_a)
    client.set_cookie("lang", "en")
    job_id = _ask(client, _district_url(made))
    session.expire_all()
    assert session.get(DocumentJob, job_id).locale == "en"
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Annual statistics report" in html and "Download PDF" in html
    pdf, data = _files(client, job_id)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames[1] == "Table 1 Competitions"
    printed = _compact(_pdf_text(pdf, tmp_path))
    assert "Statisticsreportofthecommunitymicro-grantcompetition,2025" in printed
    assert "Everyfigureinthisreport" in printed
    # Only the records' own names (places, editions, budget categories) are in Chinese: no cell of the
    # XLSX has another Chinese word, and the PDF (whose table cells wrap) no other Chinese character.
    from grants.proposals.models import BudgetCategory

    names = {made.district.name, "甲区民政局", "甲街道", "甲一社区", "甲二社区"}
    names |= {s.name for s in made.streets} | {c.name for c in made.communities} | {e.name for e in made.editions}
    names |= set(session.scalars(select(BudgetCategory.name)))
    names = sorted(names, key=len, reverse=True)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                text = str(cell.value or "")
                for name in names:
                    text = text.replace(name, "")
                assert not HAN.search(text), (sheet.title, cell.value)
    assert set(HAN.findall(printed)) <= set(HAN.findall("".join(names)))
