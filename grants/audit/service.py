"""Writing and reading the audit log. Services call record() inside their own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants.audit.models import AuditEntry
from grants.timeutil import local_day_start


def record(
    session: Session,
    *,
    actor,
    action: str,
    obj=None,
    object_type: str | None = None,
    object_id: int | None = None,
    district_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Append one audit entry to the caller's transaction, inserted now (it is never changed, so it
    need not wait for the session's flush) by a plain insert on the transaction's connection, as
    cheap as an insert can be (services record inside their write lock); pending changes are
    flushed first, as the session's autoflush would, and so is the object when it has no id yet."""
    if session.autoflush or (obj is not None and getattr(obj, "id", None) is None):
        session.flush()
    if obj is not None:
        object_type = object_type or type(obj).__name__
        object_id = object_id if object_id is not None else obj.id
    entry = {
        "actor_id": getattr(actor, "id", None),
        "actor_name": getattr(actor, "display_name", None) or "system",
        "action": action,
        "object_type": object_type or "",
        "object_id": object_id,
        "district_id": district_id,
        "before": _jsonable(before),
        "after": _jsonable(after),
        "reason": reason,
    }
    session.connection().execute(_INSERT, [entry])


_INSERT = AuditEntry.__table__.insert()


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return {str(key): _json_value(value) for key, value in data.items()}


def _json_value(value: Any) -> Any:
    """Plain JSON kept as it is (dicts keyed by id too), times as ISO text, anything else as text."""
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, dict):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


@dataclass
class AuditFilter:
    district_ids: set[int]
    action: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    actor: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def search_entries(session: Session, flt: AuditFilter, *, page: int, per_page: int):
    """One page of entries visible to an organizer of ``flt.district_ids``, newest first."""
    query = select(AuditEntry).where(AuditEntry.district_id.in_(flt.district_ids or {-1}))
    if flt.action:
        query = query.where(AuditEntry.action.startswith(flt.action))
    if flt.object_type:
        query = query.where(AuditEntry.object_type == flt.object_type)
    if flt.object_id is not None:
        query = query.where(AuditEntry.object_id == flt.object_id)
    if flt.actor:
        query = query.where(AuditEntry.actor_name.contains(flt.actor))
    if flt.date_from:
        query = query.where(AuditEntry.at >= local_day_start(flt.date_from))
    if flt.date_to:
        query = query.where(AuditEntry.at < local_day_start(flt.date_to + timedelta(days=1)))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(
        query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return rows, total


def distinct_values(session: Session, district_ids: set[int]) -> tuple[list[str], list[str]]:
    """Known actions and object types, for the filter drop-downs."""
    scope = AuditEntry.district_id.in_(district_ids or {-1})
    actions = session.scalars(select(AuditEntry.action).where(scope).distinct().order_by(AuditEntry.action)).all()
    types = session.scalars(
        select(AuditEntry.object_type).where(scope).distinct().order_by(AuditEntry.object_type)
    ).all()
    return list(actions), list(types)
