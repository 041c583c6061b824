"""Resident groups (三自组织) and their members."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.db import UTCDateTime, db, utcnow


class GroupKind(StrEnum):
    SELF_GOVERNING = "self_governing"  # 自治
    RECREATION = "recreation"  # 自乐
    VOLUNTEER = "volunteer"  # 志愿


class GroupStatus(StrEnum):
    """A group's lifecycle (grants/incubation/states.py holds the moves)."""

    CULTIVATING = "cultivating"  # 培育中
    ESTABLISHED = "established"  # 已成立
    FILED = "filed"  # 已备案 with the community (备案 date and number recorded)
    DORMANT = "dormant"  # 休眠
    DISSOLVED = "dissolved"  # 注销 (final)


class MemberRole(StrEnum):
    LEADER = "leader"  # 负责人
    CORE = "core"  # 骨干
    MEMBER = "member"  # 成员


class Group(db.Model):
    """A resident group, grown from a grant's team or on its own, supervised by its community."""

    __tablename__ = "resident_groups"
    __table_args__ = (
        UniqueConstraint("community_id", "name"),
        CheckConstraint("kind IN ('self_governing', 'recreation', 'volunteer')", name="kind_known"),
        CheckConstraint(
            "status IN ('cultivating', 'established', 'filed', 'dormant', 'dissolved')", name="status_known"
        ),
        CheckConstraint("status <> 'filed' OR (filed_on IS NOT NULL AND filing_no <> '')", name="filed_has_record"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    founded_on: Mapped[date | None] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(Text, default="")  # 宗旨与业务范围
    venue: Mapped[str] = mapped_column(String(100), default="")  # usual place of activities
    supervisor: Mapped[str] = mapped_column(String(100), default="")  # supervising 居委会
    status: Mapped[str] = mapped_column(String(20), default=GroupStatus.CULTIVATING.value)
    status_reason: Mapped[str] = mapped_column(Text, default="")  # why dormant / dissolved
    filed_on: Mapped[date | None] = mapped_column(Date)  # 备案日期
    filing_no: Mapped[str] = mapped_column(String(40), default="")  # 备案编号
    # At most one group grows from a grant (the UNIQUE plus the grant's row lock).
    origin_grant_id: Mapped[int | None] = mapped_column(ForeignKey("grants.id", ondelete="RESTRICT"), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community = relationship("Community", lazy="joined", innerjoin=True)
    leader = relationship("User", foreign_keys=[leader_id], lazy="select")
    origin_grant = relationship("Grant", lazy="select")
    members: Mapped[list[GroupMember]] = relationship(
        back_populates="group", lazy="raise", order_by="GroupMember.id", cascade="all, delete-orphan"
    )


class GroupMember(db.Model):
    """A member of a group; one who left keeps the row (left_on set) so the history stays."""

    __tablename__ = "group_members"
    __table_args__ = (
        CheckConstraint("role IN ('leader', 'core', 'member')", name="role_known"),
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("resident_groups.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    mobile: Mapped[str] = mapped_column(String(11), default="")  # stored whole; shown masked to most
    role: Mapped[str] = mapped_column(String(10), default=MemberRole.MEMBER.value)
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)

    group: Mapped[Group] = relationship(back_populates="members", lazy="raise")
