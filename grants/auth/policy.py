"""Who holds which role where: the one place scoped roles are read.

Domain policies (``grants/<domain>/policy.py``) build on these helpers to decide
"may this user do X to this object"; views, services and templates ask them.
"""

from __future__ import annotations

from grants.auth.models import Role, RoleGrant


def _grants(user, role: Role) -> list[RoleGrant]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [g for g in user.grants if g.role == role.value]


def held_roles(user) -> set[str]:
    """The roles the user holds, in any scope (each check below asks for one role's scopes)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return {g.role for g in user.grants}


def organizer_district_ids(user) -> set[int]:
    return {g.district_id for g in _grants(user, Role.ORGANIZER)}


def finance_district_ids(user) -> set[int]:
    return {g.district_id for g in _grants(user, Role.FINANCE)}


def staff_community_ids(user) -> set[int]:
    return {g.community_id for g in _grants(user, Role.COMMUNITY_STAFF)}


def staff_street_ids(user) -> set[int]:
    return {g.street_id for g in _grants(user, Role.STREET_STAFF)}


def judge_edition_ids(user) -> set[int]:
    return {g.edition_id for g in _grants(user, Role.JUDGE)}


def is_organizer(user, district_id: int | None = None) -> bool:
    ids = organizer_district_ids(user)
    return bool(ids) if district_id is None else district_id in ids


def is_finance(user, district_id: int | None = None) -> bool:
    ids = finance_district_ids(user)
    return bool(ids) if district_id is None else district_id in ids


def is_judge(user, edition_id: int | None = None) -> bool:
    ids = judge_edition_ids(user)
    return bool(ids) if edition_id is None else edition_id in ids


def is_staff(user) -> bool:
    return bool(staff_community_ids(user) or staff_street_ids(user))


def can_view_community(user, community) -> bool:
    """Organizer of its district, staff of its street, or staff of the community itself."""
    return (
        is_organizer(user, community.street.district_id)
        or community.street_id in staff_street_ids(user)
        or community.id in staff_community_ids(user)
    )


def grant_district_id(grant: RoleGrant) -> int:
    """The district a role grant belongs to, whatever its scope."""
    if grant.district_id is not None:
        return grant.district_id
    if grant.street is not None:
        return grant.street.district_id
    if grant.community is not None:
        return grant.community.street.district_id
    return grant.edition.district_id


def can_manage_roles(user, district_id: int) -> bool:
    return is_organizer(user, district_id)


def can_revoke(user, grant: RoleGrant) -> bool:
    return is_organizer(user, grant_district_id(grant))


def can_view_audit(user) -> bool:
    return is_organizer(user)


def can_view_security_log(user) -> bool:
    """Failed sign-ins and refused accesses concern the whole platform: organizers read them."""
    return is_organizer(user)


def staff_district_ids(user) -> set[int]:
    """Districts in which the user is community or street staff."""
    ids = {g.community.street.district_id for g in _grants(user, Role.COMMUNITY_STAFF)}
    return ids | {g.street.district_id for g in _grants(user, Role.STREET_STAFF)}
