"""Lifecycles of an edition and of its rounds: the one place their status changes."""

from __future__ import annotations

from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from grants import timeutil
from grants.auth import policy
from grants.states import StateMachine, Transition


class EditionStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    REVIEWING = "reviewing"
    PUBLICIZING = "publicizing"
    FUNDING = "funding"
    CLOSED = "closed"


# Edition states in which the final list has been published (the public 评选结果 shows it).
RESULTS_OUT = (EditionStatus.PUBLICIZING.value, EditionStatus.FUNDING.value, EditionStatus.CLOSED.value)

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


def _submission_closed(edition) -> str | None:
    closes_at = edition.submission_closes_at
    if closes_at is None or timeutil.now() < closes_at:
        at = timeutil.format_deadline(closes_at) if closes_at else _("未设置")
        return _("申报截止时间（%(at)s）过后才能进入评审。", at=at)
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
        Transition(
            E.OPEN, E.REVIEWING, "edition.start_review", lambda: _("进入评审"), _organizer, guard=_submission_closed
        ),
        # These two follow from the results: publishing the final round's awards, and making them
        # final once the objection window has closed (grants/results/service.py).
        Transition(
            E.REVIEWING,
            E.PUBLICIZING,
            "edition.publicize",
            lambda: _("进入公示"),
            _organizer,
            step=lambda: _("发布终评获奖名单公示"),
        ),
        Transition(
            E.PUBLICIZING,
            E.FUNDING,
            "edition.fund",
            lambda: _("进入资助实施"),
            _organizer,
            step=lambda: _("公示期满后确定结果"),
        ),
        Transition(E.FUNDING, E.CLOSED, "edition.close", lambda: _("结束本届"), _organizer),
    ],
    state_label=edition_status_label,
    district_of=lambda edition: edition.district_id,
)


def _round_organizer(actor, rnd) -> bool:
    return actor is None or policy.is_organizer(actor, rnd.edition.district_id)


def _screening_may_close(rnd) -> str | None:
    # Round 1 screens submissions: closing it while submissions can still arrive would leave a
    # late proposal with no round to decide it. The edition reaches review only after its
    # deadline, and its window cannot be extended from there.
    if rnd.kind == "eligibility" and rnd.edition.status in (EditionStatus.DRAFT, EditionStatus.OPEN):
        return _("申报还没有截止；本届进入评审后才能结束资格审查。")
    return None


R = RoundStatus
round_machine = StateMachine(
    "round",
    [
        Transition(R.PENDING, R.OPEN, "round.open", lambda: _("开始本轮"), _round_organizer),
        Transition(
            R.OPEN, R.CLOSED, "round.close", lambda: _("结束本轮"), _round_organizer, guard=_screening_may_close
        ),
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
