"""Accounts and scoped role grants."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.db import UTCDateTime, db, utcnow


class Role(StrEnum):
    """Roles granted on top of being a registered resident (every user is a resident)."""

    COMMUNITY_STAFF = "community_staff"
    STREET_STAFF = "street_staff"
    JUDGE = "judge"
    ORGANIZER = "organizer"
    FINANCE = "finance"


# Which scope column each role is bound to.
ROLE_SCOPE = {
    Role.COMMUNITY_STAFF: "community_id",
    Role.STREET_STAFF: "street_id",
    Role.JUDGE: "edition_id",
    Role.ORGANIZER: "district_id",
    Role.FINANCE: "district_id",
}
SCOPE_COLUMNS = ("district_id", "street_id", "community_id", "edition_id")


def _scope_check() -> str:
    clauses = []
    for role, column in ROLE_SCOPE.items():
        parts = [f"{c} IS NOT NULL" if c == column else f"{c} IS NULL" for c in SCOPE_COLUMNS]
        clauses.append(f"(role = '{role.value}' AND " + " AND ".join(parts) + ")")
    return " OR ".join(clauses)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("username IS NOT NULL OR mobile IS NOT NULL", name="has_login"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str | None] = mapped_column(String(32), unique=True)
    mobile: Mapped[str | None] = mapped_column(String(11), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on sign-out, password change and role revocation: every session and remember-me
    # cookie issued before stops working (they carry the version they were issued with).
    session_version: Mapped[int] = mapped_column(default=1)
    # Set for accounts created with a one-time password (judge import): every page but the
    # password change asks for a new password first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Loaded when shown (the account page, the judge pool, the assessors): joined to every load of
    # a user, its chain (community → street → district) went into every query of a proposal's
    # applicant or a sheet's judge, and PostgreSQL planned it each time.
    community = relationship("Community")
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user",
        lazy="selectin",
        foreign_keys="RoleGrant.user_id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    @property
    def login_name(self) -> str:
        return self.username or self.mobile or ""

    def __repr__(self) -> str:
        return f"<User {self.id} {self.login_name}>"


class RoleGrant(db.Model):
    __tablename__ = "role_grants"
    __table_args__ = (
        CheckConstraint(_scope_check(), name="scope_matches_role"),
        Index("ix_role_grants_user_role", "user_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(32))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Loaded when used, not joined to every load of a grant: the user's grants are read from the
    # user (already in the session), most checks use the scope's id, and its chain of joins
    # (district; street → district; community → street → district; edition → district; the user's
    # own community chain) cost PostgreSQL 1-2 ms of planning each time a user's roles were read.
    # A page that shows them loads them (grants_in_districts).
    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    district = relationship("District")
    street = relationship("Street")
    community = relationship("Community")
    edition = relationship("Edition")
