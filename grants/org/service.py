"""The organisation hierarchy: districts, streets, communities."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants import audit
from grants.errors import Conflict, DomainError, NotAllowed
from grants.org import csvimport, policy
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


def _cap_halves(text: str) -> int:
    """ "8" or "7.5" hours as half hours (16, 15).

    Raises: DomainError unless it is 0.5 to 24 hours in half-hour steps.
    """
    try:
        halves = Decimal((text or "").strip()) * 2
    except InvalidOperation:
        halves = Decimal("NaN")
    if not halves.is_finite() or halves != halves.to_integral_value() or not 1 <= halves <= 48:
        raise DomainError(_("请填写0.5到24之间的小时数，按半小时计，例如 8 或 7.5。"), field="daily_hours_cap")
    return int(halves)


def update_district(
    session: Session,
    *,
    actor,
    district: District,
    office_name: str,
    activity_log_days: int | None = None,
    daily_hours_cap: str | None = None,
) -> District:
    """Change the office name printed on notices and certificates and the rules of the groups'
    activities (how many days after an activity it may be logged; a member's hours per day).

    Raises: NotAllowed, DomainError.
    """
    if not policy.can_manage_district(actor, district):
        raise NotAllowed(_("您没有权限管理这个区的组织架构。"))
    office_name = (office_name or "").strip()
    if len(office_name) > 100:
        raise DomainError(_("落款单位名称不能超过100个字符。"), field="office_name")
    after = {"office_name": office_name}
    if activity_log_days is not None:
        if not 1 <= activity_log_days <= 365:
            raise DomainError(_("活动记录期限应为1到365天。"), field="activity_log_days")
        after["activity_log_days"] = activity_log_days
    if daily_hours_cap is not None:
        after["daily_hours_cap_halves"] = _cap_halves(daily_hours_cap)
    before = {name: getattr(district, name) for name in after}
    if before != after:
        audit.record(
            session,
            actor=actor,
            action="district.update",
            obj=district,
            district_id=district.id,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
        for name, value in after.items():
            setattr(district, name, value)
        session.flush()
    return district


def rename_street(session: Session, *, actor, street: Street, name: str) -> Street:
    """Raises: NotAllowed, DomainError, Conflict."""
    if not policy.can_manage_street(actor, street):
        raise NotAllowed(_("您没有权限管理这个区的组织架构。"))
    name = _clean_name(name)
    if name == street.name:
        return street
    if session.scalar(select(Street.id).where(Street.district_id == street.district_id, Street.name == name)):
        raise Conflict(_("街道“%(name)s”已经存在。", name=name), field="name")
    audit.record(
        session,
        actor=actor,
        action="street.update",
        obj=street,
        district_id=street.district_id,
        before={"name": street.name},
        after={"name": name},
    )
    street.name = name
    session.flush()
    return street


def update_community(session: Session, *, actor, community: Community, name: str, street: Street) -> Community:
    """Rename a community or move it to another street of the same district.

    Raises: NotAllowed, DomainError, Conflict.
    """
    if not policy.can_manage_community(actor, community) or not policy.can_manage_street(actor, street):
        raise NotAllowed(_("您没有权限管理这个区的组织架构。"))
    if street.district_id != community.street.district_id:
        raise DomainError(_("社区只能移到本区的街道。"), field="street_id")
    name = _clean_name(name)
    if name == community.name and street.id == community.street_id:
        return community
    clash = session.scalar(select(Community.id).where(Community.street_id == street.id, Community.name == name))
    if clash is not None and clash != community.id:
        raise Conflict(_("社区“%(name)s”已经存在于该街道。", name=name), field="name")
    audit.record(
        session,
        actor=actor,
        action="community.update",
        obj=community,
        district_id=street.district_id,
        before={"name": community.name, "street": community.street.name},
        after={"name": name, "street": street.name},
    )
    community.name = name
    community.street_id = street.id
    community.street = street
    session.flush()
    return community


def community_references(session: Session, community: Community) -> list[str]:
    """What still refers to a community, as readable reasons; empty when it may be deleted."""
    from grants.auth.models import RoleGrant, User
    from grants.proposals.models import Proposal

    users = session.scalar(select(func.count()).select_from(User).where(User.community_id == community.id))
    grants = session.scalar(select(func.count()).select_from(RoleGrant).where(RoleGrant.community_id == community.id))
    proposals = session.scalar(select(func.count()).select_from(Proposal).where(Proposal.community_id == community.id))
    reasons = []
    if users:
        reasons.append(_("%(n)d名居民", n=users))
    if grants:
        reasons.append(_("%(n)d个角色", n=grants))
    if proposals:
        reasons.append(_("%(n)d个申报项目", n=proposals))
    return reasons


def delete_street(session: Session, *, actor, street: Street) -> None:
    """Raises: NotAllowed; Conflict while the street still has communities or role grants."""
    from grants.auth.models import RoleGrant

    if not policy.can_manage_street(actor, street):
        raise NotAllowed(_("您没有权限管理这个区的组织架构。"))
    communities = session.scalar(select(func.count()).select_from(Community).where(Community.street_id == street.id))
    if communities:
        raise Conflict(_("街道“%(name)s”下还有%(n)d个社区，请先删除或移走它们。", name=street.name, n=communities))
    if session.scalar(select(func.count()).select_from(RoleGrant).where(RoleGrant.street_id == street.id)):
        raise Conflict(_("还有人担任“%(name)s”的街道工作人员，请先撤销这些角色。", name=street.name))
    audit.record(
        session,
        actor=actor,
        action="street.delete",
        obj=street,
        district_id=street.district_id,
        before={"name": street.name},
    )
    session.delete(street)
    session.flush()


def delete_community(session: Session, *, actor, community: Community) -> None:
    """Raises: NotAllowed; Conflict while anything still refers to the community."""
    if not policy.can_manage_community(actor, community):
        raise NotAllowed(_("您没有权限管理这个区的组织架构。"))
    if references := community_references(session, community):
        raise Conflict(
            _("社区“%(name)s”还在使用中（%(refs)s），不能删除。", name=community.name, refs="、".join(references))
        )
    audit.record(
        session,
        actor=actor,
        action="community.delete",
        obj=community,
        district_id=community.street.district_id,
        before={"name": community.name},
    )
    session.delete(community)
    session.flush()


def district_tree(session: Session, district_ids: set[int]) -> list[tuple[District, list[tuple[Street, list]]]]:
    """Districts with their streets and communities, in three queries whatever their number."""
    districts = session.scalars(select(District).where(District.id.in_(district_ids or {-1})).order_by(District.name))
    districts = list(districts)
    streets = list(
        session.scalars(
            select(Street).where(Street.district_id.in_([d.id for d in districts] or [-1])).order_by(Street.name)
        )
    )
    communities = list(
        session.scalars(
            select(Community).where(Community.street_id.in_([s.id for s in streets] or [-1])).order_by(Community.name)
        )
    )
    by_street: dict[int, list[Community]] = {}
    for community in communities:
        by_street.setdefault(community.street_id, []).append(community)
    return [
        (district, [(s, by_street.get(s.id, [])) for s in streets if s.district_id == district.id])
        for district in districts
    ]


@dataclass
class ImportReport:
    streets_created: int = 0
    communities_created: int = 0
    already_present: int = 0


IMPORT_ERROR_TEXTS = {
    "encoding": lambda d: _("无法识别文件编码，请另存为UTF-8或GBK编码的CSV文件。"),
    "not_csv": lambda d: _("这不是一个可读的CSV文件。"),
    "empty": lambda d: _("文件里没有数据行。"),
    "header": lambda d: _("第一行必须是表头，至少包含“街道”和“社区”两列（现为：%(header)s）。", header=d),
    "no_street": lambda d: _("缺少街道名称。"),
    "no_community": lambda d: _("缺少社区名称。"),
    "too_long": lambda d: _("名称超过%(n)s个字符。", n=d),
    "control": lambda d: _("含有不可见的控制字符，请删除后重新上传。"),
    "duplicate": lambda d: _("与前面的行重复（%(name)s）。", name=d),
    "too_many": lambda d: _("一次最多导入%(n)s行。", n=d),
    "district": lambda d: _("区“%(name)s”与导入的目标区不一致。", name=d),
    "unknown_district": lambda d: _("区“%(name)s”不存在。", name=d),
}


def import_error_message(line: int, code: str, detail: str) -> str:
    text = IMPORT_ERROR_TEXTS[code](detail)
    return _("第%(line)d行：%(error)s", line=line, error=text) if line else text


def import_orgs(
    session: Session, *, actor, data: bytes, district: District | None = None, create_districts: bool = False
) -> ImportReport:
    """Import streets and communities from CSV bytes, all or nothing.

    With ``district`` every row goes there (a district column must name it or be empty);
    without, each row names its district (created only with ``create_districts``).

    Raises:
        NotAllowed: the actor may not manage the target district.
        ImportRowsError: one or more rows are wrong; nothing was stored.
    """
    parsed = csvimport.parse(data)
    errors = list(parsed.errors)
    targets: dict[str, District | None] = {}
    for row in parsed.rows:
        if district is not None:
            if row.district and row.district != district.name:
                errors.append((row.line, "district", row.district))
            continue
        if not row.district:
            errors.append((row.line, "unknown_district", ""))
            continue
        if row.district not in targets:
            targets[row.district] = session.scalar(select(District).where(District.name == row.district))
        if targets[row.district] is None and not create_districts:
            errors.append((row.line, "unknown_district", row.district))
    if errors:
        raise ImportRowsError([import_error_message(*e) for e in sorted(errors)])
    if district is not None and actor is not None and not policy.can_manage_district(actor, district):
        raise NotAllowed(_("您没有权限管理这个区的组织架构。"))

    report = ImportReport()
    for row in parsed.rows:
        target = district or targets.get(row.district)
        if target is None:
            target = targets[row.district] = create_district(session, actor=actor, name=row.district)
        street = session.scalar(select(Street).where(Street.district_id == target.id, Street.name == row.street))
        if street is None:
            street = create_street(session, actor=actor, district=target, name=row.street)
            report.streets_created += 1
        exists = session.scalar(
            select(Community.id).where(Community.street_id == street.id, Community.name == row.community)
        )
        if exists:
            report.already_present += 1
        else:
            create_community(session, actor=actor, street=street, name=row.community)
            report.communities_created += 1
    audit.record(
        session,
        actor=actor,
        action="org.import",
        object_type="District",
        object_id=district.id if district else None,
        district_id=district.id if district else None,
        after={
            "streets_created": report.streets_created,
            "communities_created": report.communities_created,
            "already_present": report.already_present,
        },
    )
    return report


class ImportRowsError(DomainError):
    """Rows of an import file are wrong; ``messages`` lists each with its line number."""

    def __init__(self, messages: list[str]):
        super().__init__(messages[0])
        self.messages = messages


def streets_of(session: Session, district_id: int) -> list[Street]:
    return list(session.scalars(select(Street).where(Street.district_id == district_id).order_by(Street.name)))


def street_in_district(session: Session, street_id: int | None, district_id: int) -> Street:
    """Raises: DomainError when the street is not one of this district's."""
    street = session.get(Street, street_id) if street_id else None
    if street is None or street.district_id != district_id:
        raise DomainError(_("请选择本区的街道。"), field="street_id")
    return street
