"""Navigation entries for the signed-in user's roles."""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import gettext as _
from markupsafe import Markup

from grants.auth import policy
from grants.auth.models import Role
from grants.db import db
from grants.i18n import request_translations
from grants.memory import kept
from grants.notifications import service as notifications


def N_(text: str) -> str:
    """Babel's marker: the text goes into the catalog; it is translated where it is shown."""
    return text


# (endpoint, label) by who sees them; the labels are translated when the menu is built.
_EVERYONE = (("main.index", N_("首页")), ("public.index", N_("评选结果")))
_SIGNED_IN = (("proposals.mine", N_("我的申报")), ("incubation.index", N_("三自组织")))
_RATINGS = ("ratings.index", N_("星级评定"))
_FIGURES = ("figures.index", N_("数据总览"))  # whoever may read the figures of some place
_JUDGE = ("judging.queue", N_("评审任务"))
_FINANCE = ("funding.queue", N_("拨款待办"))
_GRANTS = ("funding.editions", N_("资助项目"))
_ORGANIZER = (
    ("editions.index", N_("大赛届次")),
    ("org.index", N_("组织架构")),
    ("roles.index", N_("角色管理")),
    ("audit.index", N_("操作日志")),
    ("audit.security", N_("安全日志")),
)


def nav_items(user) -> list[tuple[str, str]]:
    """(endpoint, label) pairs for the main menu."""
    translate = request_translations().ugettext
    items = [(endpoint, translate(label)) for endpoint, label in _EVERYONE]
    if not getattr(user, "is_authenticated", False):
        return items
    items += [(endpoint, translate(label)) for endpoint, label in _SIGNED_IN]
    unread = _unread_count(user)
    items.append(("notifications.index", _("消息（%(n)d条未读）", n=unread) if unread else translate(N_("消息"))))
    roles = policy.held_roles(user)  # read once: the checks below are by role, in any scope
    chosen = []
    if roles & {Role.ORGANIZER, Role.COMMUNITY_STAFF, Role.STREET_STAFF}:
        chosen += [_RATINGS, _FIGURES]
    if Role.JUDGE in roles:
        chosen.append(_JUDGE)
    if Role.FINANCE in roles:
        chosen.append(_FINANCE)
    if roles & {Role.FINANCE, Role.ORGANIZER}:
        chosen.append(_GRANTS)
    if Role.ORGANIZER in roles:
        chosen += _ORGANIZER
    return items + [(endpoint, translate(label)) for endpoint, label in chosen]


# Menus kept per worker: one per role set, language, unread count and current entry; the bound
# only guards against surprises (the cache starts again when full).
KEPT_MENUS = 1024


def nav_menu(user) -> Markup:
    """The main menu's entries as HTML (templates/main/_nav_items.html), the current page's marked.

    The same few menus serve every page of every user, so each is rendered once per worker and
    kept: rendering it, a link for each entry, was a tenth of the layout of a signed-in page."""
    items = tuple(nav_items(user))
    current = request.endpoint if any(endpoint == request.endpoint for endpoint, _label in items) else None
    key = (request.script_root, current, items)
    menus = current_app.extensions.setdefault("nav_menus", {})
    menu = menus.get(key)
    if menu is None:
        template = current_app.jinja_env.get_template("main/_nav_items.html")
        menu = Markup(template.render(items=items, current=current))  # noqa: S704 (autoescaped: an .html template)
        kept(menus, key, menu, KEPT_MENUS)
    return menu


def _unread_count(user) -> int:
    """The count the user loader read with the user (GET pages), else one query."""
    loaded = g.get("unread_notifications")
    if loaded is not None and loaded[0] == user.id and request.method in ("GET", "HEAD"):
        return loaded[1]
    return notifications.unread_count(db.session, user.id)
