"""Navigation entries for the signed-in user's roles."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from grants.auth import policy


def nav_items(user) -> list[tuple[str, str]]:
    """(endpoint, label) pairs for the main menu."""
    items: list[tuple[str, str]] = [("main.index", _l("首页")), ("public.index", _l("评选结果"))]
    if getattr(user, "is_authenticated", False):
        items.append(("proposals.mine", _l("我的申报")))
    if policy.is_judge(user):
        items.append(("judging.queue", _l("评审任务")))
    if policy.is_organizer(user):
        items += [
            ("editions.index", _l("大赛届次")),
            ("org.index", _l("组织架构")),
            ("roles.index", _l("角色管理")),
            ("audit.index", _l("操作日志")),
            ("audit.security", _l("安全日志")),
        ]
    return items
