"""The funding ledger: every money movement of a grant is one row, written with its audit entry.

Rows are never changed or removed (the database refuses it, see migration i13_funding_ledger);
a mistake is undone by `reverse`, a new row of the opposite amount. Balances are sums of rows.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants import audit
from grants.editions.models import Edition
from grants.errors import Conflict, DomainError
from grants.funding.models import Grant, LedgerEntry, LedgerKind

# The sign each kind of movement must have (+ money out to the grant, − money back).
_SIGN = {
    LedgerKind.DISBURSEMENT: 1,
    LedgerKind.PAYMENT_RETURNED: -1,
    LedgerKind.REFUND: -1,
}
MAX_REF_LENGTH = 80


def record(
    session: Session, *, grant: Grant, kind: str, amount_fen: int, ref: str, actor, note: str = ""
) -> LedgerEntry:
    """Append one money movement and its audit entry to the caller's transaction.

    Raises:
        DomainError: unknown kind, zero or non-integer amount, or an amount of the wrong sign
            for its kind, or a reference that is too long.
    """
    if kind not in set(LedgerKind):
        raise DomainError(_("未知的资金变动类型。"))
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen == 0:
        raise DomainError(_("金额必须是不为零的整数（分）。"))
    sign = _SIGN.get(LedgerKind(kind))
    if sign is not None and (amount_fen > 0) != (sign > 0):
        raise DomainError(_("这类资金变动的金额方向不对。"))
    ref = ref.strip()
    if len(ref) > MAX_REF_LENGTH:
        raise DomainError(_("凭证号不能超过%(max)d个字符。", max=MAX_REF_LENGTH))
    return _append(session, grant=grant, kind=kind, amount_fen=amount_fen, ref=ref, actor=actor, note=note.strip())


def reverse(session: Session, *, entry: LedgerEntry, actor, note: str = "") -> LedgerEntry:
    """Undo an entry with a correction of the opposite amount; the two net to zero.

    Raises:
        Conflict: the entry is itself a correction of another entry, or was already reversed.
    """
    if entry.reverses_id is not None:
        raise Conflict(_("冲正记录不能再被冲正。"))
    if session.scalar(select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id)) is not None:
        raise Conflict(_("这笔资金变动已经冲正过了。"))
    grant = session.get(Grant, entry.grant_id)
    return _append(
        session,
        grant=grant,
        kind=LedgerKind.CORRECTION.value,
        amount_fen=-entry.amount_fen,
        ref=entry.ref,
        actor=actor,
        note=note.strip(),
        reverses_id=entry.id,
    )


def _append(session: Session, *, grant: Grant, actor, reverses_id: int | None = None, **values) -> LedgerEntry:
    entry = LedgerEntry(grant_id=grant.id, actor_id=getattr(actor, "id", None), reverses_id=reverses_id, **values)
    session.add(entry)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="ledger.record",
        obj=entry,
        district_id=session.get(Edition, grant.edition_id).district_id,
        after={
            "grant_id": grant.id,
            "kind": entry.kind,
            "amount_fen": entry.amount_fen,
            "ref": entry.ref,
            "reverses_id": reverses_id,
        },
        reason=entry.note or None,
    )
    session.flush()
    return entry


def balance(session: Session, grant_id: int) -> int:
    """Money out to the grant minus money back, in fen: the sum of its ledger."""
    # SUM(bigint) is NUMERIC on PostgreSQL (a Decimal in Python): money stays int here.
    return int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(LedgerEntry.grant_id == grant_id)
        )
    )


def entries(session: Session, grant_id: int) -> list[LedgerEntry]:
    return list(session.scalars(select(LedgerEntry).where(LedgerEntry.grant_id == grant_id).order_by(LedgerEntry.id)))
