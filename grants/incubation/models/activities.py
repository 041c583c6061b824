"""A group's activities (活动记录), their photos and the volunteer hours (志愿服务时长) of its members.

Only confirmed activities (核实) count in any figure. Hours are stored in half hours (an integer, as
money is in fen): 1.5 h is 3. The rules offices use (an activity is logged within 30 days of taking
place, at most 8 h per member and day) are the district's settings: District.activity_log_days and
District.daily_hours_cap_halves.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grants.db import UTCDateTime, db, utcnow


class ActivityKind(StrEnum):
    SERVICE = "service"  # 服务
    RECREATION = "recreation"  # 文体
    DELIBERATION = "deliberation"  # 议事
    TRAINING = "training"  # 培训
    OTHER = "other"  # 其他


class ActivityStatus(StrEnum):
    """Logged by the leader, then confirmed or returned by the community's staff (states in states.py)."""

    PENDING = "pending"  # 待核实
    CONFIRMED = "confirmed"  # 已核实
    RETURNED = "returned"  # 已退回 (with a reason; the leader corrects and logs it again)


class Activity(db.Model):
    __tablename__ = "group_activities"
    __table_args__ = (
        CheckConstraint("kind IN ('service', 'recreation', 'deliberation', 'training', 'other')", name="kind_known"),
        CheckConstraint("status IN ('pending', 'confirmed', 'returned')", name="status_known"),
        CheckConstraint("participants >= 0", name="participants_not_negative"),
        CheckConstraint("served >= 0", name="served_not_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("status <> 'confirmed' OR confirmed_by_id IS NOT NULL", name="confirmed_has_confirmer"),
        # Covers the figures' sums (grants/figures/queries.py): a group's confirmed activities, their
        # dates and residents served are read from the index alone, never from the wide rows.
        Index("ix_group_activities_group_status_start", "group_id", "status", "starts_at", "served"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("resident_groups.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    participants: Mapped[int] = mapped_column(Integer, default=0)  # 参与人数
    served: Mapped[int] = mapped_column(Integer, default=0)  # 受益人次
    status: Mapped[str] = mapped_column(String(20), default=ActivityStatus.PENDING.value, index=True)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group = relationship("Group", lazy="raise")
    photos: Mapped[list[ActivityPhoto]] = relationship(
        back_populates="activity", lazy="raise", order_by="ActivityPhoto.position", cascade="all, delete-orphan"
    )
    hours: Mapped[list[VolunteerHours]] = relationship(
        back_populates="activity", lazy="raise", order_by="VolunteerHours.id", cascade="all, delete-orphan"
    )


class ActivityPhoto(db.Model):
    """A photo of the activity: an attachment re-encoded on the server (resized, EXIF removed)."""

    __tablename__ = "group_activity_photos"
    __table_args__ = (UniqueConstraint("activity_id", "attachment_id"), UniqueConstraint("activity_id", "position"))

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("group_activities.id", ondelete="CASCADE"), index=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(Integer, default=0)

    activity: Mapped[Activity] = relationship(back_populates="photos", lazy="raise")
    attachment = relationship("Attachment", lazy="raise")


class VolunteerHours(db.Model):
    """The hours a member volunteered at an activity, in half hours; one row per member and activity."""

    __tablename__ = "volunteer_hours"
    __table_args__ = (
        UniqueConstraint("activity_id", "member_id"),
        CheckConstraint("halves > 0", name="halves_positive"),
        # Covers the figures' sum of hours per activity (grants/figures/queries.py).
        Index("ix_volunteer_hours_activity_halves", "activity_id", "halves"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("group_activities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("group_members.id", ondelete="RESTRICT"), index=True)
    halves: Mapped[int] = mapped_column(Integer)  # 3 = 1.5 h

    activity: Mapped[Activity] = relationship(back_populates="hours", lazy="raise")
    member = relationship("GroupMember", lazy="raise")
