"""Objections (异议) to a published list: filed by signed-in users during the window, answered by
the organizer (upheld or dismissed, with a public reply)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants import audit, timeutil
from grants.auth.models import User
from grants.errors import DomainError, InvalidTransition, NotAllowed
from grants.proposals.attachments import CheckedUpload, Upload, store_checked_upload
from grants.results import policy
from grants.results.models import Objection, Publication, PublicationEntry
from grants.results.queries import window_is_open
from grants.results.states import ObjectionStatus, PublicationStatus, objection_machine

MIN_TEXT, MAX_TEXT, MAX_REPLY = 10, 2000, 2000
# One person may not flood a list: at most this many objections per publication.
MAX_PER_AUTHOR = 5


def objection_text(text: str) -> str:
    """The objection's text, trimmed. Raises: DomainError unless it is MIN_TEXT to MAX_TEXT characters."""
    text = (text or "").strip()
    if not MIN_TEXT <= len(text) <= MAX_TEXT:
        raise DomainError(
            _("异议内容应为%(min)d到%(max)d个字，请写明事实和理由。", min=MIN_TEXT, max=MAX_TEXT), field="text"
        )
    return text


def within_author_limit(session: Session, actor, filed_query) -> None:
    """At most MAX_PER_AUTHOR objections by one person against one list (``filed_query`` counts
    theirs). Counted under a lock of the author's row, so that concurrent filings are counted one
    after another (SQLite: the write lock; PostgreSQL: this lock, and SERIALIZABLE behind it).

    Raises: DomainError when the limit is reached.
    """
    session.execute(select(User.id).where(User.id == actor.id).with_for_update())
    filed = session.scalar(filed_query)
    if filed >= MAX_PER_AUTHOR:
        raise DomainError(_("您对这份公示已提出%(n)d条异议，不能再提出更多。", n=filed))


def file_objection(
    session: Session,
    *,
    actor,
    entry: PublicationEntry,
    text: str,
    upload: Upload | CheckedUpload | None = None,
    upload_dir: Path | None = None,
    now: datetime | None = None,
) -> Objection:
    """File an objection against one listed project.

    Raises:
        NotAllowed: not signed in.
        DomainError: the window is not open (before, after, list superseded), text too short or
            long, too many objections, the attachment is not a photo/PDF or too large.
    """
    if not policy.can_object(actor):
        raise NotAllowed(_("请先登录后再提出异议。"))
    publication = session.get(Publication, entry.publication_id)
    if publication.status != PublicationStatus.PUBLISHED.value or not window_is_open(publication, now):
        raise DomainError(_("这份公示不在异议期内，不能再提出异议。"))
    text = objection_text(text)
    within_author_limit(
        session,
        actor,
        select(func.count(Objection.id)).where(
            Objection.publication_id == publication.id, Objection.author_id == actor.id
        ),
    )
    attachment = None
    if upload is not None:
        attachment = store_checked_upload(session, actor=actor, upload=upload, upload_dir=upload_dir)
    objection = Objection(
        publication_id=publication.id,
        entry_id=entry.id,
        author_id=actor.id,
        text=text,
        attachment_id=attachment.id if attachment else None,
        status=ObjectionStatus.OPEN.value,
        created_at=now or timeutil.now(),
    )
    session.add(objection)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="objection.file",
        obj=objection,
        district_id=publication.edition.district_id,
        after={"publication_id": publication.id, "proposal_id": entry.proposal_id, "attachment": bool(attachment)},
    )
    return objection


def answer(
    session: Session, *, actor, objection: Objection, upheld: bool, reply: str, now: datetime | None = None
) -> None:
    """Answer an objection with a public reply.

    Raises: NotAllowed; InvalidTransition (already answered); DomainError (reply missing or too long).
    """
    if not policy.can_manage(actor, objection.publication.edition):
        raise NotAllowed(_("您没有权限执行此操作。"))
    reply = (reply or "").strip()
    if len(reply) > MAX_REPLY:
        raise DomainError(_("答复最多%(max)d个字。", max=MAX_REPLY), field="reply")
    # Lock the row and read its state again: an objection is answered once, never overwritten.
    status = session.scalar(select(Objection.status).where(Objection.id == objection.id).with_for_update())
    if status != ObjectionStatus.OPEN.value or objection.status != ObjectionStatus.OPEN.value:
        raise InvalidTransition(_("这条异议已经答复过了。"))
    if not reply:
        raise DomainError(_("请填写公开答复。"), field="reply")
    objection.reply, objection.answered_by_id, objection.answered_at = reply, actor.id, now or timeutil.now()
    target = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
    objection_machine.transition(session, objection, target.value, actor=actor, reason=reply)


def objections_of(session: Session, edition_id: int, *, status: str | None = None) -> list[Objection]:
    """The edition's objections, waiting ones first, then newest first."""
    query = (
        select(Objection)
        .join(Publication, Publication.id == Objection.publication_id)
        .where(Publication.edition_id == edition_id)
    )
    if status:
        query = query.where(Objection.status == status)
    waiting_first = (Objection.status != ObjectionStatus.OPEN.value).asc()
    return list(session.scalars(query.order_by(waiting_first, Objection.created_at.desc(), Objection.id.desc())))


def objections_by(session: Session, author_id: int) -> list[Objection]:
    return list(
        session.scalars(select(Objection).where(Objection.author_id == author_id).order_by(Objection.created_at.desc()))
    )


def answered_for_entries(
    session: Session, entry_proposal_ids: list[int], edition_id: int
) -> dict[int, list[Objection]]:
    """Answered objections of the edition by proposal id (their outcome and reply are public)."""
    if not entry_proposal_ids:
        return {}
    rows = session.scalars(
        select(Objection)
        .join(Publication, Publication.id == Objection.publication_id)
        .join(PublicationEntry, PublicationEntry.id == Objection.entry_id)
        .where(
            Publication.edition_id == edition_id,
            PublicationEntry.proposal_id.in_(entry_proposal_ids),
            Objection.status != ObjectionStatus.OPEN.value,
        )
        .order_by(Objection.answered_at)
    )
    found: dict[int, list[Objection]] = {}
    for objection in rows:
        found.setdefault(objection.entry.proposal_id, []).append(objection)
    return found
