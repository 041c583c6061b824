"""Lifecycles of a publication and of an objection: the one place their status changes."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from grants.auth import policy
from grants.states import StateMachine, Transition


class PublicationStatus(StrEnum):
    DRAFT = "draft"  # being prepared; only the organizer sees it (as a preview)
    PUBLISHED = "published"  # public, objection window running or over
    SUPERSEDED = "superseded"  # replaced by a later publication, still public
    FINAL = "final"  # window over, objections answered, grants created


PUBLIC_STATUSES = (PublicationStatus.PUBLISHED.value, PublicationStatus.SUPERSEDED.value, PublicationStatus.FINAL.value)
# The public lists that are still valid (not corrected by a later one).
CURRENT_STATUSES = (PublicationStatus.PUBLISHED.value, PublicationStatus.FINAL.value)

PUBLICATION_STATUS_LABELS = {
    PublicationStatus.DRAFT: _l("草稿"),
    PublicationStatus.PUBLISHED: _l("公示中"),
    PublicationStatus.SUPERSEDED: _l("已被更正"),
    PublicationStatus.FINAL: _l("结果已确定"),
}


class ObjectionStatus(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


OBJECTION_STATUS_LABELS = {
    ObjectionStatus.OPEN: _l("待答复"),
    ObjectionStatus.UPHELD: _l("异议成立"),
    ObjectionStatus.DISMISSED: _l("异议不成立"),
}


def publication_status_label(status: str) -> str:
    return str(PUBLICATION_STATUS_LABELS.get(status, status))


def objection_status_label(status: str) -> str:
    return str(OBJECTION_STATUS_LABELS.get(status, status))


def _organizer(actor, publication) -> bool:
    return actor is None or policy.is_organizer(actor, publication.edition.district_id)


def _has_entries(publication) -> str | None:
    return None if publication.entries else _("名单是空的，不能发布。")


P = PublicationStatus
publication_machine = StateMachine(
    "publication",
    [
        Transition(P.DRAFT, P.PUBLISHED, "publication.publish", lambda: _("发布公示"), _organizer, guard=_has_entries),
        Transition(P.PUBLISHED, P.SUPERSEDED, "publication.supersede", lambda: _("更正"), _organizer),
        Transition(P.PUBLISHED, P.FINAL, "publication.finalize", lambda: _("确定结果"), _organizer),
    ],
    state_label=publication_status_label,
    district_of=lambda publication: publication.edition.district_id,
)


def _objection_organizer(actor, objection) -> bool:
    return actor is None or policy.is_organizer(actor, objection.publication.edition.district_id)


def _has_reply(objection) -> str | None:
    return None if (objection.reply or "").strip() else _("请填写公开答复。")


OS = ObjectionStatus
objection_machine = StateMachine(
    "objection",
    [
        Transition(
            OS.OPEN, OS.UPHELD, "objection.uphold", lambda: _("异议成立"), _objection_organizer, guard=_has_reply
        ),
        Transition(
            OS.OPEN, OS.DISMISSED, "objection.dismiss", lambda: _("异议不成立"), _objection_organizer, guard=_has_reply
        ),
    ],
    state_label=objection_status_label,
    district_of=lambda objection: objection.publication.edition.district_id,
)
