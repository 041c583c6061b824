"""Display names of roles and their scopes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from grants.auth.models import Role, RoleGrant

ROLE_LABELS = {
    Role.COMMUNITY_STAFF: _l("社区工作者"),
    Role.STREET_STAFF: _l("街道工作人员"),
    Role.JUDGE: _l("评审专家"),
    Role.ORGANIZER: _l("主办方"),
    Role.FINANCE: _l("财务"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def scope_label(grant: RoleGrant) -> str:
    if grant.community is not None:
        return grant.community.full_name
    if grant.street is not None:
        return grant.street.name
    if grant.edition is not None:
        return grant.edition.name
    return grant.district.name if grant.district is not None else ""
