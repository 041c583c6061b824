"""What every benchmark starts from: a district with one street and community, and an edition
whose submission window lies in the past (built through the services, like a real setup)."""

from __future__ import annotations

from datetime import timedelta


def fresh_database(url: str) -> None:
    """An empty PostgreSQL schema to migrate into (a SQLite benchmark starts from a new file)."""
    from sqlalchemy import create_engine, text

    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


def edition_in_new_district(session, *, name: str, pool_fen: int, days_ago: int):
    """(district, community, edition, start of the submission window)."""
    from grants.editions import service as edition_service
    from grants.org import service as org_service
    from grants.timeutil import now

    district = org_service.create_district(session, actor=None, name="基准区")
    street = org_service.create_street(session, actor=None, district=district, name="基准街道")
    community = org_service.create_community(session, actor=None, street=street, name="基准社区")
    start = now() - timedelta(days=days_ago)
    edition = edition_service.create_edition(
        session,
        actor=None,
        district=district,
        data=edition_service.EditionData(
            number=1,
            name=name,
            cap_fen=500_000,
            pool_fen=pool_fen,
            submission_opens_at=start,
            submission_closes_at=start + timedelta(days=14),
            categories=["环境卫生"],
        ),
    )
    return district, community, edition, start
