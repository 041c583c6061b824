"""Navigation entries for the signed-in user's roles."""

from __future__ import annotations

from flask import g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from grants.auth import policy
from grants.db import db
from grants.figures import policy as figures_policy
from grants.notifications import service as notifications


def nav_items(user) -> list[tuple[str, str]]:
    """(endpoint, label) pairs for the main menu."""
    items: list[tuple[str, str]] = [("main.index", _l("首页")), ("public.index", _l("评选结果"))]
    if getattr(user, "is_authenticated", False):
        items.append(("proposals.mine", _l("我的申报")))
        items.append(("incubation.index", _l("三自组织")))
        unread = _unread_count(user)
        items.append(("notifications.index", _("消息（%(n)d条未读）", n=unread) if unread else _l("消息")))
    if policy.is_organizer(user) or policy.is_staff(user):
        items.append(("ratings.index", _l("星级评定")))
    if figures_policy.can_view_any(user):
        items.append(("figures.index", _l("数据总览")))
    if policy.is_judge(user):
        items.append(("judging.queue", _l("评审任务")))
    if policy.is_finance(user):
        items.append(("funding.queue", _l("拨款待办")))
    if policy.is_finance(user) or policy.is_organizer(user):
        items.append(("funding.editions", _l("资助项目")))
    if policy.is_organizer(user):
        items += [
            ("editions.index", _l("大赛届次")),
            ("org.index", _l("组织架构")),
            ("roles.index", _l("角色管理")),
            ("audit.index", _l("操作日志")),
            ("audit.security", _l("安全日志")),
        ]
    return items


def _unread_count(user) -> int:
    """The count the user loader read with the user (GET pages), else one query."""
    loaded = g.get("unread_notifications")
    if loaded is not None and loaded[0] == user.id and request.method in ("GET", "HEAD"):
        return loaded[1]
    return notifications.unread_count(db.session, user.id)
