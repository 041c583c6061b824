# ruff: noqa: S608  (SQL assembled from this module's own fragments; every value is a bound parameter or a date it computed)
"""Every district figure counted again with plain SQL, written apart from grants/figures/queries.py:
other queries over the same tables (NOT IN instead of IN, years by SQL date functions instead of UTC
ranges, corrections resolved with a self-join and CASE, current stars by a correlated subquery)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text

from grants import timeutil


class Recount:
    def __init__(self, session, *, district_id, street_id=None, community_id=None, edition_id=None, year=None):
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.params = {"d": district_id, "s": street_id, "c": community_id, "e": edition_id, "y": year}
        self.street_id, self.community_id, self.edition_id, self.year = street_id, community_id, edition_id, year

    # --- SQL pieces ---------------------------------------------------------------------------

    def year_of(self, column: str) -> str:
        """The Beijing year of a naive-UTC timestamp column, by the database's own date functions."""
        if self.postgres:
            return f"CAST(EXTRACT(YEAR FROM {column} + INTERVAL '8 hours') AS INTEGER)"
        return f"CAST(strftime('%Y', datetime({column}, '+8 hours')) AS INTEGER)"

    def date_year(self, column: str) -> str:
        return (
            f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"
            if self.postgres
            else f"CAST(strftime('%Y', {column}) AS INTEGER)"
        )

    def month_of(self, column: str) -> str:
        if self.postgres:
            return f"to_char({column} + INTERVAL '8 hours', 'YYYY-MM')"
        return f"strftime('%Y-%m', datetime({column}, '+8 hours'))"

    def places(self) -> str:
        """The place's community ids, as a subquery."""
        if self.community_id is not None:
            return "(:c)"
        if self.street_id is not None:
            return "(SELECT id FROM communities WHERE street_id = :s)"
        return "(SELECT c.id FROM communities c, streets s WHERE s.id = c.street_id AND s.district_id = :d)"

    def by_place(self, column: str) -> str:
        """Proposals and grants: the district counts all of its editions' (with a community or not)."""
        if self.community_id is None and self.street_id is None:
            return ""
        return f" AND {column} IN {self.places()}"

    def period(self, column: str, *, date_column: bool = False) -> str:
        if self.year is None:
            return ""
        return f" AND {(self.date_year if date_column else self.year_of)(column)} = :y"

    def editions(self, column: str) -> str:
        if self.edition_id is not None:
            return f" AND {column} = :e"
        return f" AND {column} IN (SELECT id FROM editions WHERE district_id = :d)"

    def groups_where(self, alias: str = "g") -> str:
        where = f"{alias}.community_id IN {self.places()}"
        if self.edition_id is not None:
            where += f" AND {alias}.origin_grant_id IN (SELECT id FROM grants WHERE edition_id = :e)"
        return where

    def scalar(self, sql: str) -> int:
        return int(self.session.execute(text(sql), self.params).scalar() or 0)

    def rows(self, sql: str) -> dict:
        return {k: int(v) for k, v in self.session.execute(text(sql), self.params).all()}

    # --- the figures --------------------------------------------------------------------------

    def editions_held(self) -> int:
        sql = "SELECT COUNT(*) FROM editions WHERE district_id = :d AND status <> 'draft'"
        if self.edition_id is not None:
            sql += " AND id = :e"
        return self.scalar(sql + self.period("submission_opens_at"))

    def _proposals(self) -> str:
        return (
            "FROM proposals p WHERE p.status NOT IN ('draft', 'withdrawn')"
            + self.editions("p.edition_id")
            + self.by_place("p.community_id")
            + self.period("p.submitted_at")
        )

    def proposals(self) -> int:
        return self.scalar("SELECT COUNT(*) " + self._proposals())

    def proposals_by_edition(self) -> dict:
        return self.rows("SELECT p.edition_id, COUNT(*) " + self._proposals() + " GROUP BY p.edition_id")

    def proposals_by_community(self) -> dict:
        return self.rows("SELECT p.community_id, COUNT(*) " + self._proposals() + " GROUP BY p.community_id")

    def _grants(self, alias: str = "g") -> str:
        return (
            f"FROM grants {alias} JOIN proposals gp ON gp.id = {alias}.proposal_id WHERE 1 = 1"
            + self.editions(f"{alias}.edition_id")
            + self.by_place("gp.community_id")
        )

    def funded(self) -> tuple[int, int]:
        row = self.session.execute(
            text("SELECT COUNT(*), COALESCE(SUM(g.approved_fen), 0) " + self._grants() + self.period("g.created_at")),
            self.params,
        ).one()
        return int(row[0]), int(row[1])

    def _ledger(self, kinds: str) -> int:
        sql = (
            "SELECT COALESCE(SUM(l.amount_fen), 0) FROM ledger_entries l "
            "LEFT JOIN ledger_entries o ON o.id = l.reverses_id "
            "WHERE (CASE WHEN l.kind = 'correction' THEN o.kind ELSE l.kind END) IN "
            + kinds
            + " AND l.grant_id IN (SELECT g.id "
            + self._grants()
            + ")"
            + self.period("l.at")
        )
        return self.scalar(sql)

    def disbursed(self) -> int:
        return self._ledger("('disbursement', 'payment_returned')")

    def returned(self) -> int:
        return -self._ledger("('refund')")

    def spent(self) -> int:
        return self.scalar(
            "SELECT COALESCE(SUM(x.amount_fen), 0) FROM expenses x WHERE x.status = 'accepted' "
            "AND x.grant_id IN (SELECT g.id " + self._grants() + ")" + self.period("x.spent_on", date_column=True)
        )

    def _activities(self) -> str:
        return (
            "FROM group_activities a JOIN resident_groups g ON g.id = a.group_id "
            "WHERE a.status = 'confirmed' AND " + self.groups_where() + self.period("a.starts_at")
        )

    def activities(self) -> tuple[int, int]:
        row = self.session.execute(
            text("SELECT COUNT(*), COALESCE(SUM(a.served), 0) " + self._activities()), self.params
        ).one()
        return int(row[0]), int(row[1])

    def activities_by_community(self) -> dict:
        return self.rows("SELECT g.community_id, COUNT(*) " + self._activities() + " GROUP BY g.community_id")

    def activities_by_month(self) -> dict:
        month = self.month_of("a.starts_at")
        return self.rows(f"SELECT {month}, COUNT(*) " + self._activities() + f" GROUP BY {month}")

    def volunteer_halves(self) -> int:
        return self.scalar(
            "SELECT COALESCE(SUM(h.halves), 0) FROM volunteer_hours h WHERE h.activity_id IN (SELECT a.id "
            + self._activities()
            + ")"
        )

    def _groups(self) -> str:
        sql = "FROM resident_groups g WHERE " + self.groups_where()
        if self.year is not None:
            sql += (
                " AND EXISTS (SELECT 1 FROM group_activities ya WHERE ya.group_id = g.id AND ya.status = 'confirmed'"
                + self.period("ya.starts_at")
                + ")"
            )
        return sql

    def groups_by_kind(self) -> dict:
        return self.rows("SELECT g.kind, COUNT(*) " + self._groups() + " GROUP BY g.kind")

    def groups_by_stars(self) -> dict:
        today = timeutil.today()
        try:
            three_years_ago = date(today.year - 3, today.month, today.day)
        except ValueError:  # 29 February
            three_years_ago = date(today.year - 3, 2, 28)
        stars = (
            "COALESCE((SELECT n.decided_stars FROM star_nominations n JOIN star_campaigns sc ON sc.id = n.campaign_id "
            "WHERE n.group_id = g.id AND sc.status = 'final' AND n.decided_stars >= 3 "
            f"AND sc.final_on <= '{today.isoformat()}' AND sc.final_on > '{three_years_ago.isoformat()}' "
            "ORDER BY sc.final_on DESC, sc.id DESC LIMIT 1), 0)"
        )
        return self.rows(
            f"SELECT stars, COUNT(*) FROM (SELECT {stars} AS stars " + self._groups() + ") t GROUP BY stars"
        )
