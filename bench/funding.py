"""Benchmark: the funding read side at the size of a large district.

    .venv/bin/python bench/funding.py [--grants 2000] [--database URL]

Builds, in a fresh database (a temporary SQLite file by default, or the PostgreSQL database
given, whose tables are dropped and migrated again), one edition of N grants (2,000) each with
3 tranches (the first paid: a disbursement and its ledger entry; the second paid for half the
grants), a budget of 2 lines and 20 expenses (40,000 in all; bulk inserts), and a second edition
of 20 grants. Then measures, in this one process:

    reconcile_seconds          the edition's reconciliation (grants/funding/reconcile.py), median of 3
    grants_page_queries_20     SQL statements of GET /funding/editions/<id>/grants (20 grants)
    grants_page_queries_2000   the same for the edition of N grants
    expenses_xlsx_seconds      the edition's 支出明细表 (40,000 rows) written as XLSX, streamed
    expenses_xlsx_peak_mb      peak resident memory (VmHWM) of a separate process that
                               starts the app and writes that XLSX: everything the export needs,
                               the interpreter and the app included

and prints as its last line

    reconcile_seconds=<s> grants_page_queries_20=<n> grants_page_queries_2000=<n> expenses_xlsx_seconds=<s> expenses_xlsx_peak_mb=<n>

Targets (issue 13): reconcile ≤ 1 s on SQLite; the same number of queries for 20 and 2,000
grants; the XLSX in ≤ 10 s with peak memory ≤ 200 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scaffold import edition_in_new_district, fresh_database  # noqa: E402  (bench/ is the script's folder)

EXPENSES_PER_GRANT = 20
SMALL = 20


def _app(url: str, instance: str):
    from grants import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench"})


def _bulk(session, model, rows: list[dict]) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), 5000):
        session.execute(insert(model.__table__), rows[start : start + 5000])


def _next_id(session, model) -> int:
    from sqlalchemy import func, select

    return (session.scalar(select(func.max(model.id))) or 0) + 1


def _build_edition(session, edition, community, *, grants: int, users, invoice_prefix: str) -> None:
    """``grants`` signed grants in progress with tranches, budget, payments and expenses (bulk)."""
    from sqlalchemy import select

    from grants.editions import service as edition_service
    from grants.funding.models import (
        BudgetItem,
        BudgetVersion,
        BudgetVersionLine,
        Disbursement,
        Expense,
        Grant,
        LedgerEntry,
        Tranche,
    )
    from grants.proposals import service as proposal_service
    from grants.proposals.models import Proposal
    from grants.results.models import Publication
    from grants.timeutil import now

    organizer, finance, team = users
    categories = proposal_service.ensure_budget_categories(session, edition)
    rnd = edition_service.rounds_of(session, edition.id)[-1]
    publication = Publication(
        edition_id=edition.id, round_id=rnd.id, number=1, status="final", final=True, title="结果"
    )
    session.add(publication)
    session.flush()
    at = now()
    ids = {m: _next_id(session, m) for m in (Proposal, Grant, Tranche, BudgetItem, BudgetVersion, LedgerEntry)}
    proposals, grant_rows, tranche_rows, items, versions, lines = [], [], [], [], [], []
    entries, disbursements, expenses = [], [], []
    for i in range(grants):
        pid, gid = ids[Proposal] + i, ids[Grant] + i
        approved = 300_000 + (i % 97) * 1_000 + i % 7  # odd fen amounts too
        proposals.append(
            {
                "id": pid,
                "edition_id": edition.id,
                "applicant_id": team.id,
                "community_id": community.id,
                "title": f"社区项目{i:05d}",
                "status": "submitted",
            }
        )
        grant_rows.append(
            {
                "id": gid,
                "edition_id": edition.id,
                "proposal_id": pid,
                "publication_id": publication.id,
                "tier": "一等奖",
                "approved_fen": approved,
                "status": "in_progress",
                "agreement_no": f"WCT-{edition.number:02d}-{gid:05d}",
                "receiving_unit": "基准社区居民委员会",
                "signed_on": date(2026, 11, 1),
                "signed_by_id": organizer.id,
                "created_at": at,
            }
        )
        first, second = approved * 50 // 100, approved * 40 // 100
        amounts = (first, second, approved - first - second)
        conditions = ("on_signing", "after_midterm_passed", "after_final_passed")
        for position, (amount, condition) in enumerate(zip(amounts, conditions, strict=True), start=1):
            tranche_rows.append(
                {
                    "id": ids[Tranche] + 3 * i + position - 1,
                    "grant_id": gid,
                    "position": position,
                    "name": ("首期", "中期", "尾款")[position - 1],
                    "percent_bp": (5000, 4000, 1000)[position - 1],
                    "condition": condition,
                    "amount_fen": amount,
                }
            )
        version_id = ids[BudgetVersion] + i
        versions.append({"id": version_id, "grant_id": gid, "number": 1, "total_fen": approved, "approved_at": at})
        line_amounts = (approved * 60 // 100, approved - approved * 60 // 100)
        for position, amount in enumerate(line_amounts, start=1):
            item_id = ids[BudgetItem] + 2 * i + position - 1
            items.append(
                {
                    "id": item_id,
                    "grant_id": gid,
                    "position": position,
                    "category_id": categories[position - 1].id,
                    "item": ("活动物料", "宣传印刷")[position - 1],
                }
            )
            lines.append(
                {
                    "version_id": version_id,
                    "item_id": item_id,
                    "unit_price_fen": amount,
                    "quantity": 1,
                    "amount_fen": amount,
                }
            )
        paid = 2 if i % 2 else 1
        for position in range(1, paid + 1):
            entry_id = ids[LedgerEntry] + len(entries)
            tranche_id = ids[Tranche] + 3 * i + position - 1
            voucher = f"PZ-{gid}-{position}"
            entries.append(
                {
                    "id": entry_id,
                    "grant_id": gid,
                    "kind": "disbursement",
                    "amount_fen": amounts[position - 1],
                    "ref": voucher,
                    "note": "",
                    "at": at,
                    "actor_id": finance.id,
                }
            )
            disbursements.append(
                {
                    "grant_id": gid,
                    "tranche_id": tranche_id,
                    "amount_fen": amounts[position - 1],
                    "status": "paid",
                    "requested_by_id": organizer.id,
                    "requested_at": at,
                    "approved_by_id": finance.id,
                    "approved_at": at,
                    "paid_by_id": finance.id,
                    "paid_on": date(2026, 11, 5),
                    "voucher_ref": voucher,
                    "note": "",
                    "ledger_entry_id": entry_id,
                }
            )
        per_expense = first // (EXPENSES_PER_GRANT + 5)
        for n in range(EXPENSES_PER_GRANT):
            status = "accepted" if n % 5 else ("pending" if n % 10 else "rejected")
            expenses.append(
                {
                    "grant_id": gid,
                    "edition_id": edition.id,
                    "item_id": ids[BudgetItem] + 2 * i + n % 2,
                    "spent_on": date(2026, 11, 1) + timedelta(days=n),
                    "payee": f"供应商{n:02d}" if n != 3 else '=HYPERLINK("http://example.invalid","x")',
                    "amount_fen": per_expense + n,
                    "purpose": "购买活动物料",
                    "invoice_no": f"{invoice_prefix}{gid:06d}{n:02d}",
                    "status": status,
                    "recorded_by_id": team.id,
                    "recorded_at": at,
                    "reviewed_by_id": finance.id if status != "pending" else None,
                    "reviewed_at": at if status != "pending" else None,
                    "review_note": "",
                }
            )
    for model, rows in (
        (Proposal, proposals),
        (Grant, grant_rows),
        (Tranche, tranche_rows),
        (BudgetVersion, versions),
        (BudgetItem, items),
        (BudgetVersionLine, lines),
        (LedgerEntry, entries),
        (Disbursement, disbursements),
        (Expense, expenses),
    ):
        _bulk(session, model, rows)
    session.flush()
    assert session.scalar(select(Grant.id).where(Grant.edition_id == edition.id).limit(1)) is not None


def _reset_sequences(session) -> None:
    """PostgreSQL: explicit ids were inserted; move each sequence past them."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("proposals", "grants", "tranches", "grant_budget_items", "grant_budget_versions", "ledger_entries"):
        # table names from the tuple above, never from input
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))  # noqa: S608


def _analyze(engine) -> None:
    """PostgreSQL: statistics for the bulk-loaded tables, as autovacuum would gather them a little
    later. Without them the planner guesses a few dozen rows per table, and the export's cursor
    (planned for its first rows) picks nested loops that take ~30 s instead of ~1 s."""
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))


def build(url: str, instance: str, grants: int) -> tuple[int, int, int]:
    """(large edition id, small edition id, finance user id)."""
    from flask_migrate import upgrade

    from grants.auth import service as auth_service
    from grants.auth.models import Role
    from grants.db import db, unit_of_work
    from grants.editions import service as edition_service

    app = _app(url, instance)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        with unit_of_work() as session:
            district, community, large, start = edition_in_new_district(
                session, name="基准大赛", pool_fen=2_000_000_000, days_ago=60
            )
            small = edition_service.create_edition(
                session,
                actor=None,
                district=district,
                data=edition_service.EditionData(
                    number=2,
                    name="基准小届",
                    cap_fen=500_000,
                    pool_fen=1_000_000_000,
                    submission_opens_at=start,
                    submission_closes_at=start + timedelta(days=14),
                    categories=["环境卫生"],
                ),
            )
            users = []
            for login, role in (("organizer", Role.ORGANIZER), ("finance", Role.FINANCE), ("team", None)):
                user = auth_service.register_user(session, login=login, display_name=login, password="bench-password-1")
                if role is not None:
                    auth_service.grant_role(session, actor=None, user=user, role=role, scope=district)
                users.append(user)
            started = time.perf_counter()
            _build_edition(session, large, community, grants=grants, users=users, invoice_prefix="L")
            _build_edition(session, small, community, grants=SMALL, users=users, invoice_prefix="S")
            _reset_sequences(session)
            ids = (large.id, small.id, users[1].id)
        _analyze(db.engine)
        print(f"built {grants} + {SMALL} grants in {time.perf_counter() - started:.1f} s")
    return ids


def measure_reconcile(app, edition_id: int) -> float:
    from grants.db import db
    from grants.funding import reconcile

    times = []
    with app.app_context():
        for _ in range(3):
            db.session.remove()
            started = time.perf_counter()
            summary = reconcile.reconcile(db.session, edition_id)
            times.append(time.perf_counter() - started)
            if not summary.ok:
                raise SystemExit(f"reconcile: {len(summary.failing)} grants disagree: {summary.failing[0].problems}")
        print(f"reconcile: {len(summary.results)} grants agree; runs {', '.join(f'{t:.3f}' for t in times)} s")
        db.session.remove()
    return statistics.median(times)


def page_queries(app, edition_id: int, finance_id: int) -> int:
    from sqlalchemy import event

    from grants.auth.models import User
    from grants.db import db

    with app.app_context():
        engine = db.engine
        login_id = db.session.get(User, finance_id).get_id()
        db.session.remove()
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = login_id
        sess["_fresh"] = True
    url = f"/funding/editions/{edition_id}/grants"
    first = client.get(url)
    if first.status_code != 200:
        raise SystemExit(f"GET {url} answered {first.status_code}")
    event.listen(engine, "before_cursor_execute", record)
    started = time.perf_counter()
    client.get(url)
    elapsed = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", record)
    print(f"grants page, edition {edition_id}: {len(statements)} queries, {elapsed * 1000:.0f} ms")
    return len(statements)


def write_expenses_xlsx(app, edition_id: int, path: Path) -> tuple[float, int]:
    """(seconds, rows) to write the edition's 支出明细表 as XLSX to ``path``."""
    from grants.db import db
    from grants.editions.models import Edition
    from grants.funding import exports

    with app.app_context(), app.test_request_context():
        edition = db.session.get(Edition, edition_id)
        started = time.perf_counter()
        export = exports.expenses(db.session, edition)
        with path.open("wb") as out:
            exports.write(export, "xlsx", out, base_url="http://bench.invalid/")
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed, export.count


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM (Linux) belongs to the process's own memory
    map, made new by exec; ru_maxrss would also carry the parent's peak across fork + exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_only(url: str, instance: str, edition_id: int, out: str) -> None:
    """Child process: write the XLSX and report the process's peak resident memory."""
    app = _app(url, instance)
    with app.app_context():  # the app as a web worker has it once it served a request
        from grants.db import db

        db.session.execute(db.select(1))
        db.session.remove()
    before = peak_rss_mb()
    seconds, rows = write_expenses_xlsx(app, edition_id, Path(out))
    print(f"child: app started {before:.1f} MB; rows={rows} seconds={seconds:.3f} peak_mb={peak_rss_mb():.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=2000)
    parser.add_argument("--database", default="")
    parser.add_argument("--export-only", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--instance", default="", help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_only:
        export_only(args.database, args.instance, args.export_only, args.out)
        return
    tmp = tempfile.TemporaryDirectory()
    url = args.database or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    fresh_database(url)
    os.environ["DATABASE_URL"] = url
    large, small, finance_id = build(url, tmp.name, args.grants)
    app = _app(url, tmp.name)
    reconcile_seconds = measure_reconcile(app, large)
    queries_small = page_queries(app, small, finance_id)
    queries_large = page_queries(app, large, finance_id)
    xlsx = Path(tmp.name) / "expenses.xlsx"
    seconds, rows = write_expenses_xlsx(app, large, xlsx)
    print(f"expenses XLSX: {rows} rows, {xlsx.stat().st_size / 1e6:.1f} MB, {seconds:.2f} s in this process")
    command = [sys.executable, __file__, "--database", url, "--instance", tmp.name]
    command += ["--export-only", str(large), "--out", str(xlsx)]
    child = subprocess.run(  # noqa: S603 (this script again, with the arguments it was given)
        command,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DATABASE_URL": url},
    )
    print(child.stdout.strip())
    fields = dict(p.split("=") for p in child.stdout.strip().splitlines()[-1].split() if "=" in p)
    print(
        f"reconcile_seconds={reconcile_seconds:.3f} grants_page_queries_20={queries_small} "
        f"grants_page_queries_2000={queries_large} expenses_xlsx_seconds={seconds:.2f} "
        f"expenses_xlsx_peak_mb={float(fields['peak_mb']):.0f}"
    )


if __name__ == "__main__":
    main()
