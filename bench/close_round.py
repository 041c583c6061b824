"""Benchmark: closing a scoring round of N proposals × 3 judges × 6 criteria.

    .venv/bin/python bench/close_round.py [--proposals 2000] [--database URL]

Builds the edition with bulk inserts (not timed) in a fresh database — a temporary SQLite file by
default, or the PostgreSQL database given, whose tables are dropped and migrated again — then
times `closing.close_scoring_round` including its commit, and prints as its last line

    close_round_seconds=<s> proposals=<N> backend=<sqlite|postgresql>

Target (issue 5): ≤ 1 s for 2,000 proposals on SQLite and on PostgreSQL, and 20,000 taking at
most 12 × the time of 2,000.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

JUDGES = 3
CRITERIA = 6


from scaffold import edition_in_new_district, fresh_database  # noqa: E402  (bench/ is the script's folder)


def build(session, proposals: int):
    """An edition whose round 2 is open with every sheet submitted; returns (round, organizer)."""
    from sqlalchemy import insert, select

    from grants.auth import service as auth_service
    from grants.auth.models import Role
    from grants.editions import service as edition_service
    from grants.editions.models import Criterion
    from grants.judging.models import Assignment, Score
    from grants.proposals.models import Proposal
    from grants.timeutil import now

    rng = random.Random(20261123)
    district, community, edition, _start = edition_in_new_district(
        session, name="基准大赛", pool_fen=1_000_000_000, days_ago=30
    )
    organizer = auth_service.register_user(session, login="bench_org", display_name="主办方", password="bench12345")
    auth_service.grant_role(session, actor=None, user=organizer, role=Role.ORGANIZER, scope=district)
    judges = [
        auth_service.register_user(session, login=f"bench_j{i}", display_name=f"评委{i}", password="bench12345")
        for i in range(JUDGES)
    ]
    first, second = edition_service.rounds_of(session, edition.id)[:2]
    first.status, second.status = "closed", "open"
    second.advancement, second.advance_top_n = "top_n", max(1, proposals // 10)
    second.criteria = [Criterion(position=i, name=f"标准{i}", max_points=20) for i in range(1, CRITERIA + 1)]
    session.flush()
    criterion_ids = [c.id for c in second.criteria]
    applicant_id = organizer.id
    submitted = now() - timedelta(days=20)
    session.execute(
        insert(Proposal),
        [
            {
                "edition_id": edition.id,
                "applicant_id": applicant_id,
                "community_id": community.id,
                "status": "eligible",
                "title": f"项目{i}",
                "requested_fen": 300_000,
                "version": 1,
                "submitted_at": submitted + timedelta(seconds=i),
            }
            for i in range(proposals)
        ],
    )
    proposal_ids = list(session.scalars(select(Proposal.id).where(Proposal.edition_id == edition.id)))
    session.execute(
        insert(Assignment),
        [
            {
                "round_id": second.id,
                "judge_id": j.id,
                "proposal_id": p,
                "status": "submitted",
                "submitted_at": submitted,
            }
            for p in proposal_ids
            for j in judges
        ],
    )
    assignment_ids = list(session.scalars(select(Assignment.id).where(Assignment.round_id == second.id)))
    session.execute(
        insert(Score),
        [
            {"assignment_id": a, "criterion_id": c, "points": rng.randint(0, 40) / 2}
            for a in assignment_ids
            for c in criterion_ids
        ],
    )
    return second.id, organizer.id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--database", default="")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = args.database or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    fresh_database(url)
    os.environ["DATABASE_URL"] = url

    from flask_migrate import upgrade

    from grants import create_app
    from grants.auth.models import User
    from grants.db import db, unit_of_work
    from grants.editions.models import Round
    from grants.judging import closing

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp.name, "ARGON2_TIME_COST": 1})
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        started = time.perf_counter()
        with unit_of_work() as session:
            round_id, organizer_id = build(session, args.proposals)
        print(
            f"built {args.proposals} proposals × {JUDGES} judges × {CRITERIA} criteria in {time.perf_counter() - started:.1f} s"
        )
        db.session.remove()
        rnd, organizer = db.session.get(Round, round_id), db.session.get(User, organizer_id)
        started = time.perf_counter()
        with unit_of_work() as session:
            results = closing.close_scoring_round(session, actor=organizer, rnd=rnd)
        seconds = time.perf_counter() - started
        assert len(results) == args.proposals and results[0].rank == 1
        backend = db.engine.dialect.name
        db.session.remove()
        db.engine.dispose()
    print(f"close_round_seconds={seconds:.3f} proposals={args.proposals} backend={backend}")


if __name__ == "__main__":
    main()
