"""The security log: failed sign-ins, refused accesses, registrations for taken names.

Events are written in their own short transaction on their own connection, so that writing
one never commits, rolls back or breaks the transaction of the request that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from grants.audit.models import SecurityEvent
from grants.db import db
from grants.timeutil import local_day_start


class EventKind(StrEnum):
    LOGIN_FAILED = "login_failed"
    LOGIN_LOCKED = "login_locked"
    FORBIDDEN = "forbidden"
    REGISTER_TAKEN = "register_taken"


KIND_LABELS = {
    EventKind.LOGIN_FAILED: _l("登录失败"),
    EventKind.LOGIN_LOCKED: _l("登录被暂停（多次失败）"),
    EventKind.FORBIDDEN: _l("拒绝访问"),
    EventKind.REGISTER_TAKEN: _l("用已注册的名称注册"),
}


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)  # type: ignore[call-overload]
    return str(label) if label is not None else kind


def record_event(
    kind: EventKind, *, login: str = "", user_id: int | None = None, address: str = "", method: str = "", path: str = ""
) -> None:
    """Append one event in a separate transaction; a failure is logged, never raised."""
    event = SecurityEvent(
        kind=kind.value,
        user_id=user_id,
        login=(login or "")[:64],
        address=(address or "")[:45],
        method=(method or "")[:8],
        path=(path or "")[:255],
    )
    try:
        # One INSERT as the first statement: on SQLite it takes the write lock directly.
        with Session(db.engine) as session, session.begin():
            session.add(event)
    except SQLAlchemyError:
        current_app.logger.exception("could not write security event %s", kind.value)


@dataclass
class EventFilter:
    kind: str | None = None
    login: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def search_events(session: Session, flt: EventFilter, *, page: int, per_page: int):
    """One page of events, newest first, the number of events that match and the page shown.

    A page past the last shows the last one.
    """
    query = select(SecurityEvent)
    if flt.kind:
        query = query.where(SecurityEvent.kind == flt.kind)
    if flt.login:
        query = query.where(SecurityEvent.login == flt.login)
    if flt.date_from:
        query = query.where(SecurityEvent.at >= local_day_start(flt.date_from))
    if flt.date_to:
        query = query.where(SecurityEvent.at < local_day_start(flt.date_to + timedelta(days=1)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, min(page, -(-total // per_page)))
    rows = session.scalars(
        query.order_by(SecurityEvent.at.desc(), SecurityEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return rows, total, page
