"""Lifecycles of an edition and of its rounds: the one place their status changes."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from grants.auth import policy
from grants.states import StateMachine, Transition


class EditionStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    REVIEWING = "reviewing"
    PUBLICIZING = "publicizing"
    FUNDING = "funding"
    CLOSED = "closed"


EDITION_STATUS_LABELS = {
    EditionStatus.DRAFT: _l("筹备中"),
    EditionStatus.OPEN: _l("申报中"),
    EditionStatus.REVIEWING: _l("评审中"),
    EditionStatus.PUBLICIZING: _l("公示中"),
    EditionStatus.FUNDING: _l("资助实施中"),
    EditionStatus.CLOSED: _l("已结束"),
}


class RoundStatus(StrEnum):
    PENDING = "pending"
    OPEN = "open"
    CLOSED = "closed"


ROUND_STATUS_LABELS = {
    RoundStatus.PENDING: _l("未开始"),
    RoundStatus.OPEN: _l("进行中"),
    RoundStatus.CLOSED: _l("已结束"),
}


def edition_status_label(status: str) -> str:
    return str(EDITION_STATUS_LABELS.get(status, status))


def round_status_label(status: str) -> str:
    return str(ROUND_STATUS_LABELS.get(status, status))


def _organizer(actor, edition) -> bool:
    return actor is None or policy.is_organizer(actor, edition.district_id)


def _ready_to_open(edition) -> str | None:
    if not edition.categories:
        return _("请先设置至少一个服务领域。")
    if edition.submission_opens_at is None or edition.submission_closes_at is None:
        return _("请先设置申报开始和截止时间。")
    return None


E = EditionStatus
edition_machine = StateMachine(
    "edition",
    [
        Transition(E.DRAFT, E.OPEN, "edition.open", lambda: _("开放申报"), _organizer, guard=_ready_to_open),
        Transition(
            E.OPEN,
            E.DRAFT,
            "edition.back_to_draft",
            lambda: _("退回筹备"),
            _organizer,
            requires_reason=True,
            style="secondary",
        ),
        Transition(E.OPEN, E.REVIEWING, "edition.start_review", lambda: _("进入评审"), _organizer),
        Transition(E.REVIEWING, E.PUBLICIZING, "edition.publicize", lambda: _("进入公示"), _organizer),
        Transition(E.PUBLICIZING, E.FUNDING, "edition.fund", lambda: _("进入资助实施"), _organizer),
        Transition(E.FUNDING, E.CLOSED, "edition.close", lambda: _("结束本届"), _organizer),
    ],
    state_label=edition_status_label,
    district_of=lambda edition: edition.district_id,
)


def _round_organizer(actor, rnd) -> bool:
    return actor is None or policy.is_organizer(actor, rnd.edition.district_id)


R = RoundStatus
round_machine = StateMachine(
    "round",
    [
        Transition(R.PENDING, R.OPEN, "round.open", lambda: _("开始本轮"), _round_organizer),
        Transition(R.OPEN, R.CLOSED, "round.close", lambda: _("结束本轮"), _round_organizer),
        Transition(
            R.CLOSED,
            R.OPEN,
            "round.reopen",
            lambda: _("重新开启"),
            _round_organizer,
            requires_reason=True,
            style="secondary",
        ),
    ],
    state_label=round_status_label,
    district_of=lambda rnd: rnd.edition.district_id,
)
