"""The words of each kind of notification, in the reader's language."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from grants import timeutil
from grants.notifications.models import Notification

RETURNED = "proposal.returned"
PASSED = "proposal.eligible"
FAILED = "proposal.ineligible"
ADVANCED = "proposal.advanced"
NOT_ADVANCED = "proposal.not_advanced"
LISTED = "publication.listed"
REMINDER = "round.reminder"


def _when(value: str | None) -> str:
    return timeutil.format_local(datetime.fromisoformat(value)) if value else ""


def message(note: Notification) -> str:
    """The notification's sentence; an unknown kind (from a newer version) says only that something changed."""
    p = note.params or {}
    title = p.get("title", "")
    if note.kind == RETURNED:
        return _(
            "您的申报书“%(title)s”被退回补正：%(reason)s。请在%(deadline)s（北京时间）前修改并重新提交。",
            title=title,
            reason=p.get("reason", ""),
            deadline=_when(p.get("deadline")),
        )
    if note.kind == PASSED:
        return _("您的申报书“%(title)s”通过了%(round)s。", title=title, round=p.get("round", ""))
    if note.kind == FAILED:
        return _(
            "您的申报书“%(title)s”没有通过%(round)s：%(reason)s",
            title=title,
            round=p.get("round", ""),
            reason=p.get("reason", ""),
        )
    if note.kind == ADVANCED:
        return _("您的项目“%(title)s”在%(round)s中晋级。", title=title, round=p.get("round", ""))
    if note.kind == NOT_ADVANCED:
        return _("您的项目“%(title)s”在%(round)s中未能晋级。", title=title, round=p.get("round", ""))
    if note.kind == LISTED:
        if p.get("tier"):
            return _(
                "您的项目“%(title)s”以%(tier)s列入公示“%(notice)s”，异议期至%(end)s（北京时间）。",
                title=title,
                tier=p["tier"],
                notice=p.get("notice", ""),
                end=_when(p.get("closes_at")),
            )
        return _(
            "您的项目“%(title)s”列入公示“%(notice)s”，异议期至%(end)s（北京时间）。",
            title=title,
            notice=p.get("notice", ""),
            end=_when(p.get("closes_at")),
        )
    if note.kind == REMINDER:
        return _(
            "主办方提醒：%(round)s还有评分表没有提交。%(message)s",
            round=p.get("round", ""),
            message=p.get("message", ""),
        )
    return _("您有一条新消息。")
