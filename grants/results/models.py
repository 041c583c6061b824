"""Publications (公示) with their frozen lists, objections (异议) and the district's holidays."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.db import UTCDateTime, db, utcnow


class Holiday(db.Model):
    """A day the district marks: a public holiday on a weekday, or (``workday``) a weekend day
    worked in exchange (调休上班). Objection windows count working days by these."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("district_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(40), default="")
    workday: Mapped[bool] = mapped_column(Boolean, default=False)


class Publication(db.Model):
    """A public notice of an edition's list (the results of a closed round).

    The list is copied into ``entries`` when the draft is prepared and frozen once published; a
    later change is a new publication that supersedes this one (both stay visible).
    """

    __tablename__ = "publications"
    __table_args__ = (
        UniqueConstraint("edition_id", "number"),
        CheckConstraint("window_days >= 1 AND window_days <= 30", name="window_days_range"),
        CheckConstraint("closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at", name="window_ordered"),
        Index("ix_publications_edition_status", "edition_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="RESTRICT"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="RESTRICT"))
    number: Mapped[int]  # 1, 2, … within the edition
    # True when the list is the final round's awards: finalizing it creates the grants.
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    title: Mapped[str] = mapped_column(String(200))
    introduction: Mapped[str] = mapped_column(Text, default="")
    office_name: Mapped[str] = mapped_column(String(100), default="")
    # Judges' names as published (empty when the notice does not list them).
    judges: Mapped[list[str]] = mapped_column(JSON, default=list)
    window_days: Mapped[int] = mapped_column(default=5)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # = published at
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # end of the objection window
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    edition = relationship("Edition", lazy="joined", innerjoin=True)
    round = relationship("Round", lazy="joined", innerjoin=True)
    supersedes: Mapped[Publication | None] = relationship(remote_side=[id], lazy="raise")
    entries: Mapped[list[PublicationEntry]] = relationship(
        back_populates="publication",
        order_by="PublicationEntry.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )


class PublicationEntry(db.Model):
    """One project as the notice lists it: only public fields, copied when the list was prepared."""

    __tablename__ = "publication_entries"
    __table_args__ = (
        UniqueConstraint("publication_id", "proposal_id"),
        CheckConstraint("approved_fen IS NULL OR approved_fen > 0", name="approved_positive"),
        CheckConstraint("team_size >= 1", name="team_size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="CASCADE"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int]
    rank: Mapped[int | None]
    title: Mapped[str] = mapped_column(String(100))
    applicant: Mapped[str] = mapped_column(String(50))  # masked, e.g. 张*明
    community: Mapped[str] = mapped_column(String(60), default="")
    street: Mapped[str] = mapped_column(String(60), default="")
    category: Mapped[str] = mapped_column(String(40), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    team_size: Mapped[int] = mapped_column(default=1)
    score: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    tier: Mapped[str | None] = mapped_column(String(40))
    approved_fen: Mapped[int | None]

    # Many-to-one: once loaded, every entry of the list finds it in the identity map (no N+1).
    publication: Mapped[Publication] = relationship(back_populates="entries", lazy="select")


class Objection(db.Model):
    """An objection (异议) a registered user filed against a listed project during the window."""

    __tablename__ = "objections"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'upheld', 'dismissed')", name="status_known"),
        CheckConstraint("status = 'open' OR (reply IS NOT NULL AND answered_at IS NOT NULL)", name="answer_complete"),
        Index("ix_objections_publication_status", "publication_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publications.id", ondelete="RESTRICT"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("publication_entries.id", ondelete="RESTRICT"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    text: Mapped[str] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    reply: Mapped[str | None] = mapped_column(Text)  # public
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    publication: Mapped[Publication] = relationship(lazy="joined", innerjoin=True)
    entry: Mapped[PublicationEntry] = relationship(lazy="joined", innerjoin=True)
    author = relationship("User", lazy="joined", innerjoin=True, foreign_keys=[author_id])
    attachment = relationship("Attachment", lazy="joined")
