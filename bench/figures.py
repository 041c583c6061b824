"""Benchmark: the district figures page (数据总览) and a project's journey at the district's scale.

    .venv/bin/python bench/figures.py [--database URL | --pg] [--runs 5] [--seed 15]

Builds, in a fresh database (a temporary SQLite file by default; the PostgreSQL database of
--database, or of DATABASE_URL with --pg, whose tables are dropped and migrated again), one district
of 10 streets × 6 communities with three editions (2024, 2025, 2026) of 2,000 proposals each in
every status, 150 grants per edition with their money (payments, bounced transfers, refunds,
expenses accepted, pending and rejected), 600 groups (450 grown from the grants), 2,400 members,
60,000 activities (85 % confirmed) with their volunteer hours, and two final star campaigns. Bulk
inserts with a fixed seed: the same district every time, in a few seconds. Two of the projects are
followed to the end: proposal → grant → group with exactly 5 and exactly 500 confirmed activities.

Then measures, in this process, through the Flask test client:

    figures_seconds          GET /figures/districts/<id> as the organizer, best of --runs
    figures_queries          SQL statements of that request
    journey_queries_small    SQL statements of the public journey of the project with 5 activities
    journey_queries_big      the same for the project with 500 (NA without grants/journey)

and prints them as its last line. Target (issue 15): the figures page ≤ 0.5 s on SQLite with a
bounded number of queries; a journey issues the same number of queries for 5 and 500 activities.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scaffold import fresh_database  # noqa: E402  (bench/ is the script's folder)

YEARS = (2024, 2025, 2026)
STREETS, COMMUNITIES = 10, 6
PROPOSALS = 2000  # per edition
GRANTS = 150  # per edition
GROUPS = 600
ACTIVITIES = 60_000
MEMBERS = 4
SMALL, BIG = 5, 500  # confirmed activities of the two followed projects' groups
STATUSES = ["eligible"] * 50 + ["ineligible"] * 27 + ["submitted"] * 10 + ["withdrawn"] * 5 + ["draft"] * 5
STATUSES += ["returned"] * 3
KINDS = ("self_governing", "recreation", "volunteer")
GROUP_STATUSES = ("cultivating", "established", "established", "filed", "dormant", "dissolved")
CHUNK = 5000


def _app(url: str, instance: str):
    from grants import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "bench",
            "PUBLIC_PAGE_CACHE_SECONDS": 0,  # every request is counted and timed, none answered from memory
        }
    )


def _bulk(session, model, rows: list[dict]) -> None:
    from sqlalchemy import insert

    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model.__table__), rows[start : start + CHUNK])


def _moment(rng: random.Random, year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(365 * 24 * 60))


class Ids:
    """Explicit primary keys for bulk rows (the tables start empty)."""

    def __init__(self):
        self.next: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        self.next[table] = self.next.get(table, 0) + 1
        return self.next[table]


def _org(session):
    """The district, its streets and communities, the organizer, and the three editions (services)."""
    from grants.auth import service as auth_service
    from grants.auth.models import Role
    from grants.editions import service as edition_service
    from grants.org import service as org_service

    district = org_service.create_district(session, actor=None, name="基准区")
    communities = []
    for s in range(STREETS):
        street = org_service.create_street(session, actor=None, district=district, name=f"第{s + 1:02d}街道")
        for c in range(COMMUNITIES):
            communities.append(
                org_service.create_community(session, actor=None, street=street, name=f"街道{s + 1:02d}社区{c + 1}")
            )
    organizer = auth_service.register_user(
        session, login="organizer", display_name="区社区办", password="bench-password-1"
    )
    auth_service.grant_role(session, actor=None, user=organizer, role=Role.ORGANIZER, scope=district)
    editions = []
    for number, year in enumerate(YEARS, start=1):
        opens = datetime(year, 3, 1, 1, tzinfo=UTC)
        edition = edition_service.create_edition(
            session,
            actor=None,
            district=district,
            data=edition_service.EditionData(
                number=number,
                name=f"第{'一二三'[number - 1]}届社区公益微创投大赛",
                cap_fen=500_000,
                pool_fen=100_000_000,
                submission_opens_at=opens,
                submission_closes_at=opens + timedelta(days=30),
                categories=["环境卫生", "文化建设", "邻里互助"],
            ),
        )
        edition.status = "closed" if year < YEARS[-1] else "funding"
        editions.append(edition)
    session.flush()
    return district, communities, organizer, editions


def build(url: str, instance: str, seed: int) -> dict:
    """Build the district; returns the ids the measurements need."""
    from flask_migrate import upgrade

    from grants.db import db, unit_of_work

    app = _app(url, instance)
    started = time.perf_counter()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        with unit_of_work() as session:
            district, communities, organizer, editions = _org(session)
            followed = _records(session, random.Random(seed), communities, organizer, editions)
            _reset_sequences(session)
            ids = {"district": district.id, "organizer": organizer.id, **followed}
        _analyze(db.engine)
    print(f"built the district in {time.perf_counter() - started:.1f} s")
    return ids


def _records(session, rng: random.Random, communities, organizer, editions) -> dict:
    from grants.auth.models import User
    from grants.editions import service as edition_service
    from grants.funding.models import BudgetItem, Expense, Grant, LedgerEntry
    from grants.incubation.models import Activity, Group, GroupMember, StarCampaign, StarNomination, VolunteerHours
    from grants.proposals import service as proposal_service
    from grants.proposals.models import Proposal
    from grants.results.models import Publication, PublicationEntry

    ids = Ids()
    ids.next = {"users": organizer.id}
    users = [
        {"id": ids("users"), "username": f"resident{i:04d}", "display_name": f"居民{i:04d}", "password_hash": "x"}
        for i in range(200)
    ]
    _bulk(session, User, users)
    proposals, grants, items, ledger, expenses, published = [], [], [], [], [], []
    grown: list[tuple[int, int]] = []  # (grant id, community id)
    followed: dict[str, int] = {}
    for k, (edition, year) in enumerate(zip(editions, YEARS, strict=True)):
        categories = proposal_service.ensure_budget_categories(session, edition)
        rnd = edition_service.rounds_of(session, edition.id)[-1]
        publication = Publication(
            edition_id=edition.id, round_id=rnd.id, number=1, final=True, status="final", title="获资助项目名单"
        )
        session.add(publication)
        session.flush()
        eligible = []
        for i in range(PROPOSALS):
            pid = ids("proposals")
            status = rng.choice(STATUSES)
            community = rng.choice(communities)
            submitted = None if status == "draft" else _moment(rng, year)
            proposals.append(
                {
                    "id": pid,
                    "edition_id": edition.id,
                    "applicant_id": users[i % len(users)]["id"],
                    "community_id": community.id,
                    "status": status,
                    "title": f"{edition.number}届居民项目{i:04d}",
                    "version": 0 if submitted is None else 1,
                    "submitted_at": submitted,
                    "withdrawn_at": submitted if status == "withdrawn" else None,
                }
            )
            if status == "eligible":
                eligible.append((pid, community))
        for position, (pid, community) in enumerate(eligible[:GRANTS], start=1):
            gid = ids("grants")
            approved = rng.randint(300, 500) * 1_000 + rng.randint(0, 99)
            grants.append(
                {
                    "id": gid,
                    "edition_id": edition.id,
                    "proposal_id": pid,
                    "publication_id": publication.id,
                    "tier": "资助",
                    "approved_fen": approved,
                    "status": "settled" if year < YEARS[-1] else "in_progress",
                    "created_at": datetime(year, 6, 20, 2, tzinfo=UTC),
                }
            )
            published.append(
                {
                    "publication_id": publication.id,
                    "proposal_id": pid,
                    "position": position,
                    "rank": position,
                    "title": f"{edition.number}届居民项目{position:04d}",
                    "applicant": "居*民",
                    "community": community.name,
                    "street": community.street.name,
                    "category": "环境卫生",
                    "team_size": 3,
                    "tier": "资助",
                    "approved_fen": approved,
                }
            )
            item_ids = []
            for p, category in enumerate(categories[:2], start=1):
                item_ids.append(ids("grant_budget_items"))
                items.append(
                    {"id": item_ids[-1], "grant_id": gid, "position": p, "category_id": category.id, "item": "活动物资"}
                )
            _money(rng, ids, gid, edition.id, approved, item_ids, year, organizer.id, ledger, expenses)
            grown.append((gid, community.id))
        if k == len(editions) - 1:  # the two followed projects: the newest edition's first two grants
            followed = {
                "small_proposal": grants[-GRANTS]["proposal_id"],
                "big_proposal": grants[-GRANTS + 1]["proposal_id"],
            }
            followed |= {"small_grant": grants[-GRANTS]["id"], "big_grant": grants[-GRANTS + 1]["id"]}
    for model, rows in (
        (Proposal, proposals),
        (Grant, grants),
        (PublicationEntry, published),
        (BudgetItem, items),
        (LedgerEntry, ledger),
        (Expense, expenses),
    ):
        _bulk(session, model, rows)
    session.flush()
    groups, members = _groups(rng, ids, grown, communities, followed)
    _bulk(session, Group, groups)
    _bulk(session, GroupMember, members)
    activities, hours = _activities(rng, ids, groups, members, organizer.id, followed)
    _bulk(session, Activity, activities)
    _bulk(session, VolunteerHours, hours)
    campaigns, nominations = [], []
    for year, final_on in ((2024, date(2024, 12, 20)), (2025, date(2025, 12, 22))):
        cid = ids("star_campaigns")
        campaigns.append(
            {
                "id": cid,
                "district_id": editions[0].district_id,
                "year": year,
                "title": f"{year}年星级评定",
                "status": "final",
                "final_on": final_on,
            }
        )
        for group in rng.sample(groups, 300):
            nominations.append(
                {"campaign_id": cid, "group_id": group["id"], "decided_stars": rng.choice((0, 3, 3, 4, 5))}
            )
    _bulk(session, StarCampaign, campaigns)
    _bulk(session, StarNomination, nominations)
    session.flush()
    print(
        f"rows: {len(proposals)} proposals, {len(grants)} grants, {len(ledger)} ledger entries, {len(expenses)} "
        f"expenses, {len(groups)} groups, {len(members)} members, {len(activities)} activities, {len(hours)} hours"
    )
    return followed


def _money(rng, ids, gid, edition_id, approved, item_ids, year, actor_id, ledger, expenses) -> None:
    def entry(kind, amount, at, reverses=None):
        ledger.append(
            {
                "id": ids("ledger_entries"),
                "grant_id": gid,
                "kind": kind,
                "amount_fen": amount,
                "ref": "PZ",
                "note": "",
                "at": at,
                "actor_id": actor_id,
                "reverses_id": reverses,
            }
        )
        return ledger[-1]["id"]

    first = approved * 60 // 100
    entry("disbursement", first, datetime(year, 7, 1, 2, tzinfo=UTC))
    if rng.random() < 0.1:
        entry("payment_returned", -first, datetime(year, 7, 3, 2, tzinfo=UTC))
        entry("disbursement", first, datetime(year, 7, 10, 2, tzinfo=UTC))
    if year < YEARS[-1]:
        entry("disbursement", approved - first, datetime(year, 12, 1, 2, tzinfo=UTC))
    if rng.random() < 0.3:
        refund = entry("refund", -rng.randint(100, 20_000), datetime(year, 12, 20, 2, tzinfo=UTC))
        if rng.random() < 0.1:
            entry("correction", -ledger[-1]["amount_fen"], datetime(year, 12, 21, 2, tzinfo=UTC), reverses=refund)
    for n in range(10):
        status = rng.choice(("accepted", "accepted", "accepted", "pending", "rejected"))
        expenses.append(
            {
                "grant_id": gid,
                "edition_id": edition_id,
                "item_id": item_ids[n % 2],
                "spent_on": date(year, 8, 1) + timedelta(days=n * 7),
                "payee": "供应商",
                "amount_fen": first // 12 + n,
                "purpose": "活动物资",
                "invoice_no": f"FP{gid:05d}{n:02d}",
                "status": status,
                "recorded_by_id": actor_id,
                "recorded_at": datetime(year, 8, 1, tzinfo=UTC),
            }
        )


def _groups(rng, ids, grown, communities, followed) -> tuple[list[dict], list[dict]]:
    # 450 groups grown from grants (the two followed projects' among them), the others on their own.
    wanted = {followed["small_grant"], followed["big_grant"]}
    origins = [o for o in grown if o[0] not in wanted][:448] + [o for o in grown if o[0] in wanted]
    groups, members = [], []
    for n in range(GROUPS):
        grant_id, community_id = origins[n] if n < len(origins) else (None, rng.choice(communities).id)
        status = "established" if grant_id in wanted else rng.choice(GROUP_STATUSES)
        gid = ids("resident_groups")
        groups.append(
            {
                "id": gid,
                "community_id": community_id,
                "name": f"三自组织{n:03d}",
                "kind": rng.choice(KINDS),
                "status": status,
                "filed_on": date(2025, 3, 1) if status == "filed" else None,
                "filing_no": f"BA-{n:03d}" if status == "filed" else "",
                "origin_grant_id": grant_id,
                "created_at": datetime(2024, 7, 1, tzinfo=UTC),
            }
        )
        for m in range(MEMBERS):
            members.append(
                {
                    "id": ids("group_members"),
                    "group_id": gid,
                    "name": f"组员{n:03d}-{m}",
                    "mobile": f"139{n:04d}{m:04d}",
                    "role": "leader" if m == 0 else "member",
                    "joined_on": date(2024, 7, 1),
                }
            )
        if grant_id == followed["small_grant"]:
            followed["small_group"] = gid
        if grant_id == followed["big_grant"]:
            followed["big_group"] = gid
    return groups, members


def _activities(rng, ids, groups, members, staff_id, followed) -> tuple[list[dict], list[dict]]:
    by_group: dict[int, list[int]] = {}
    for member in members:
        by_group.setdefault(member["group_id"], []).append(member["id"])
    special = {followed["small_group"]: SMALL, followed["big_group"]: BIG}
    others = [g["id"] for g in groups if g["id"] not in special]
    plan = [(gid, "confirmed") for gid, n in special.items() for _ in range(n)]
    for _ in range(ACTIVITIES - len(plan)):
        status = "confirmed" if rng.random() < 0.85 else rng.choice(("pending", "returned"))
        plan.append((rng.choice(others), status))
    activities, hours = [], []
    for group_id, status in plan:
        aid = ids("group_activities")
        starts = _moment(rng, rng.choice(YEARS))
        activities.append(
            {
                "id": aid,
                "group_id": group_id,
                "title": "社区服务活动",
                "kind": "service",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "place": "社区活动室",
                "description": "",
                "participants": rng.randint(3, 30),
                "served": rng.randint(5, 120),
                "status": status,
                "return_reason": "照片不清楚" if status == "returned" else "",
                "logged_at": starts + timedelta(days=1),
                "confirmed_by_id": staff_id if status == "confirmed" else None,
                "confirmed_at": starts + timedelta(days=2) if status == "confirmed" else None,
            }
        )
        for member_id in rng.sample(by_group[group_id], rng.randint(1, 2)):
            hours.append({"activity_id": aid, "member_id": member_id, "halves": rng.randint(2, 8)})
    return activities, hours


SEQUENCE_TABLES = (
    "users",
    "proposals",
    "grants",
    "grant_budget_items",
    "ledger_entries",
    "resident_groups",
    "group_members",
    "group_activities",
    "star_campaigns",
)


def _reset_sequences(session) -> None:
    """PostgreSQL: explicit ids were inserted; move each sequence past them."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return
    for table in SEQUENCE_TABLES:  # table names from the tuple above, never from input
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))  # noqa: S608


def _analyze(engine) -> None:
    """Statistics for the bulk-loaded tables, as autovacuum (PostgreSQL) or a maintenance run would
    gather them; without them the planners guess from nothing."""
    from sqlalchemy import text

    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def _counting(engine):
    from sqlalchemy import event

    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return statements, lambda: event.remove(engine, "before_cursor_execute", record)


def measure_figures(app, ids: dict, runs: int) -> tuple[float, int]:
    from grants.auth.models import User
    from grants.db import db

    with app.app_context():
        engine = db.engine
        login = db.session.get(User, ids["organizer"]).get_id()
        db.session.remove()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = login
        sess["_fresh"] = True
    url = f"/figures/districts/{ids['district']}"
    first = client.get(url)
    if first.status_code != 200:
        raise SystemExit(f"GET {url} answered {first.status_code}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    statements, stop = _counting(engine)
    client.get(url)
    stop()
    body = first.get_data(as_text=True)
    sentence = body.split('id="figures-summary">', 1)[1].split("<", 1)[0]
    print(f"figures page: {sentence}")
    print(f"figures page runs: {', '.join(f'{t:.3f}' for t in times)} s; {len(statements)} queries")
    return min(times), len(statements)


def measure_journeys(app, ids: dict) -> tuple[str, str]:
    """Queries of the public journey of the project with 5 and with 500 activities, or NA when the
    journey (issue 15 item 1) is not in this code."""
    if importlib.util.find_spec("grants.journey") is None:
        print("journey: grants/journey is not in this code")
        return "NA", "NA"
    from grants.db import db

    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("journey.") and "proposal_id" in r.arguments]
    if not rules:
        print("journey: no journey page with a proposal id in the URL map")
        return "NA", "NA"
    rule = rules[0]
    with app.app_context():
        engine = db.engine
    counts = []
    for name in ("small", "big"):
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, proposal_id=ids[f"{name}_proposal"])
        client = app.test_client()  # anonymous: the public version
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        statements, stop = _counting(engine)
        started = time.perf_counter()
        client.get(url)
        elapsed = time.perf_counter() - started
        stop()
        counts.append(str(len(statements)))
        print(
            f"journey {url} ({SMALL if name == 'small' else BIG} activities): {len(statements)} queries, {elapsed * 1000:.0f} ms"
        )
    return counts[0], counts[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="")
    parser.add_argument("--pg", action="store_true", help="use DATABASE_URL (PostgreSQL)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    url = args.database or (os.environ.get("DATABASE_URL", "") if args.pg else "")
    if args.pg and not url.startswith("postgresql"):
        raise SystemExit("--pg needs DATABASE_URL=postgresql+psycopg://…")
    tmp = tempfile.TemporaryDirectory()
    url = url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    fresh_database(url)
    os.environ["DATABASE_URL"] = url
    ids = build(url, tmp.name, args.seed)
    app = _app(url, tmp.name)
    seconds, queries = measure_figures(app, ids, args.runs)
    small, big = measure_journeys(app, ids)
    print(
        f"figures_seconds={seconds:.3f} figures_queries={queries} journey_queries_small={small} journey_queries_big={big}"
    )


if __name__ == "__main__":
    main()
