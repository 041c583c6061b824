"""The organisation hierarchy: districts, streets, communities."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import audit
from grants.errors import Conflict, DomainError, NotAllowed
from grants.org import policy
from grants.org.models import Community, District, Street

NAME_MAX = 60


def _clean_name(name: str, *, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("请填写名称。"), field=field)
    if len(name) > NAME_MAX:
        raise DomainError(_("名称不能超过%(n)d个字符。", n=NAME_MAX), field=field)
    return name


def create_district(session: Session, *, actor, name: str, office_name: str = "") -> District:
    """Create a district (platform administration: command line only).

    Raises:
        Conflict: a district with this name exists.
    """
    name = _clean_name(name)
    if session.scalar(select(District.id).where(District.name == name)) is not None:
        raise Conflict(_("区“%(name)s”已经存在。", name=name))
    district = District(name=name, office_name=(office_name or "").strip())
    session.add(district)
    session.flush()
    audit.record(
        session, actor=actor, action="district.create", obj=district, district_id=district.id, after={"name": name}
    )
    return district


def create_street(session: Session, *, actor, district: District, name: str) -> Street:
    """Raises: NotAllowed, DomainError, Conflict (name taken in this district)."""
    if actor is not None and not policy.can_manage_district(actor, district):
        raise NotAllowed(_("您没有权限管理这个区的组织架构。"))
    name = _clean_name(name)
    if session.scalar(select(Street.id).where(Street.district_id == district.id, Street.name == name)):
        raise Conflict(_("街道“%(name)s”已经存在。", name=name), field="name")
    street = Street(district_id=district.id, name=name)
    session.add(street)
    session.flush()
    audit.record(
        session, actor=actor, action="street.create", obj=street, district_id=district.id, after={"name": name}
    )
    return street


def create_community(session: Session, *, actor, street: Street, name: str) -> Community:
    """Raises: NotAllowed, DomainError, Conflict (name taken in this street)."""
    if actor is not None and not policy.can_manage_street(actor, street):
        raise NotAllowed(_("您没有权限管理这个区的组织架构。"))
    name = _clean_name(name)
    if session.scalar(select(Community.id).where(Community.street_id == street.id, Community.name == name)):
        raise Conflict(_("社区“%(name)s”已经存在于该街道。", name=name), field="name")
    community = Community(street_id=street.id, name=name)
    session.add(community)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="community.create",
        obj=community,
        district_id=street.district_id,
        after={"name": name, "street": street.name},
    )
    return community


def all_communities(session: Session) -> list[Community]:
    """Every community, ordered by district, street and name (registration drop-down)."""
    return list(
        session.scalars(
            select(Community)
            .join(Community.street)
            .join(Street.district)
            .order_by(District.name, Street.name, Community.name)
        )
    )
