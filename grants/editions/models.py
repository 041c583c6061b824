"""Editions (届), their service categories, and their review rounds with rubrics."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.db import UTCDateTime, db, utcnow


class RoundKind(StrEnum):
    ELIGIBILITY = "eligibility"
    SCORING = "scoring"


class ScoringMode(StrEnum):
    ASSIGNED = "assigned"  # k judges per proposal, assigned with balanced load
    PANEL = "panel"  # every panel judge scores every proposal


class Aggregation(StrEnum):
    MEAN = "mean"
    TRIMMED_MEAN = "trimmed_mean"  # drop one highest and one lowest from trim_min_judges judges


class Advancement(StrEnum):
    TOP_N = "top_n"
    MIN_SCORE = "min_score"
    ALL = "all"


class Edition(db.Model):
    __tablename__ = "editions"
    __table_args__ = (
        UniqueConstraint("district_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("cap_fen > 0", name="cap_positive"),
        CheckConstraint("pool_fen >= cap_fen", name="pool_covers_cap"),
        CheckConstraint("min_team_size >= 1", name="team_size_positive"),
        CheckConstraint(
            "submission_opens_at IS NULL OR submission_closes_at IS NULL OR submission_closes_at > submission_opens_at",
            name="window_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    theme: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    cap_fen: Mapped[int]
    pool_fen: Mapped[int]
    min_team_size: Mapped[int] = mapped_column(default=3)
    one_proposal_per_applicant: Mapped[bool] = mapped_column(Boolean, default=True)
    submission_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submission_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where the public sends objections (监督电话、地址), printed on every notice of the edition.
    objection_contact: Mapped[str] = mapped_column(String(300), default="", server_default="")

    district = relationship("District", lazy="joined")
    categories: Mapped[list[EditionCategory]] = relationship(
        back_populates="edition",
        order_by="EditionCategory.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    rounds: Mapped[list[Round]] = relationship(
        back_populates="edition",
        order_by="Round.position",
        cascade="all, delete-orphan",
        lazy="raise",
    )

    @property
    def title(self) -> str:
        return self.name


class EditionCategory(db.Model):
    """A service category (服务领域) proposals of this edition choose from."""

    __tablename__ = "edition_categories"
    __table_args__ = (UniqueConstraint("edition_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(default=0)

    edition: Mapped[Edition] = relationship(back_populates="categories", lazy="raise")


class Round(db.Model):
    """One review round of an edition. Rounds are data: kind, mode, k, aggregation, advancement."""

    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("edition_id", "position"),
        CheckConstraint("judges_per_proposal >= 1", name="k_positive"),
        CheckConstraint("trim_min_judges >= 3", name="trim_threshold"),
        CheckConstraint("advance_top_n IS NULL OR advance_top_n >= 1", name="top_n_positive"),
        CheckConstraint("weight_percent >= 0 AND weight_percent <= 100", name="weight_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20), default=ScoringMode.ASSIGNED.value)
    judges_per_proposal: Mapped[int] = mapped_column(default=3)
    aggregation: Mapped[str] = mapped_column(String(20), default=Aggregation.MEAN.value)
    trim_min_judges: Mapped[int] = mapped_column(default=5)
    normalize: Mapped[bool] = mapped_column(Boolean, default=False)
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    advancement: Mapped[str] = mapped_column(String(20), default=Advancement.ALL.value)
    advance_top_n: Mapped[int | None]
    advance_min_score: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    # Share of this round in the final score when rounds are combined (0 = not counted).
    weight_percent: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # The organizer's reminder to judges with missing sheets, shown on their queue.
    reminder: Mapped[str] = mapped_column(Text, default="", server_default="")
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Judges' comments (never names or scores) shown to applicants after the round closed.
    comments_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    edition: Mapped[Edition] = relationship(back_populates="rounds", lazy="joined")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="round",
        order_by="Criterion.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def is_scoring(self) -> bool:
        return self.kind == RoundKind.SCORING

    @property
    def max_total(self) -> int:
        return criteria_total(self.criteria)


class Criterion(db.Model):
    """A scoring criterion, or for an eligibility round a checklist item (no points)."""

    __tablename__ = "criteria"
    __table_args__ = (CheckConstraint("max_points IS NULL OR max_points > 0", name="max_points_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    max_points: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship(back_populates="criteria")


def criteria_total(criteria) -> int:
    """The most points a sheet of these criteria can give (a criterion without a maximum adds none)."""
    return sum(c.max_points or 0 for c in criteria)
