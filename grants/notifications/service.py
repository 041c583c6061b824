"""Send, list and mark notifications. Services of other domains call ``send``/``send_many`` in
their own transaction (flush only), so a notification exists exactly when its cause does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from grants.notifications.models import Notification
from grants.timeutil import now

PER_PAGE = 30


@dataclass(frozen=True)
class Note:
    user_id: int
    kind: str
    proposal_id: int | None = None
    params: dict[str, Any] | None = None


def send_many(session: Session, notes: list[Note]) -> int:
    """Store the notifications with one insert; returns how many."""
    if not notes:
        return 0
    stamp = now()
    session.execute(
        insert(Notification),
        [
            {
                "user_id": n.user_id,
                "kind": n.kind,
                "proposal_id": n.proposal_id,
                "params": n.params or {},
                "created_at": stamp,
            }
            for n in notes
        ],
    )
    return len(notes)


def send(session: Session, note: Note) -> None:
    send_many(session, [note])


def unread_count(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def page_of(session: Session, user_id: int, page: int) -> tuple[list[Notification], int]:
    """(one page of the user's notifications, newest first; total)."""
    total = session.scalar(select(func.count()).select_from(Notification).where(Notification.user_id == user_id)) or 0
    rows = session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((max(page, 1) - 1) * PER_PAGE)
        .limit(PER_PAGE)
    )
    return list(rows), total


def mark_read(session: Session, *, actor, notification_id: int | None = None) -> int:
    """Mark one of the actor's notifications (or, without an id, all of them) read; returns how many
    changed. Another user's notification is never touched."""
    query = update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return session.execute(query.values(read_at=now())).rowcount or 0
