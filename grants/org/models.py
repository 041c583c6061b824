"""The organisation hierarchy: district (区) → street (街道) → community (社区)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.db import db


class District(db.Model):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    # Name printed on notices and certificates, e.g. "某某区民政局".
    office_name: Mapped[str] = mapped_column(String(100), default="")
    # Incubation rules: an activity is logged within this many days of taking place; a member's
    # volunteer hours per day are capped (in half hours: 16 = 8 h).
    activity_log_days: Mapped[int] = mapped_column(default=30, server_default="30")
    daily_hours_cap_halves: Mapped[int] = mapped_column(default=16, server_default="16")

    streets: Mapped[list[Street]] = relationship(
        back_populates="district", order_by="Street.name", lazy="raise", passive_deletes=True
    )


class Street(db.Model):
    __tablename__ = "streets"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))

    district: Mapped[District] = relationship(back_populates="streets", lazy="joined")
    communities: Mapped[list[Community]] = relationship(
        back_populates="street", order_by="Community.name", lazy="raise", passive_deletes=True
    )


class Community(db.Model):
    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("street_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(60))

    street: Mapped[Street] = relationship(back_populates="communities", lazy="joined")

    @property
    def district_id(self) -> int:
        return self.street.district_id

    @property
    def full_name(self) -> str:
        return community_full_name(self.street.name, self.name)


def community_full_name(street_name: str, name: str) -> str:
    """How a community is named where its street must be said too (街道 · 社区)."""
    return f"{street_name} · {name}"
