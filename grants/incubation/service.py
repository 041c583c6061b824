"""Resident groups: create (from a grant or directly), edit, 备案, status moves, members.

Every function checks the policy for this group, enforces the rules, writes the audit entry and
flushes; the caller owns the transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from grants import audit
from grants.auth import service as auth_service
from grants.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from grants.funding import service as funding_service
from grants.funding.models import Grant, GrantStatus
from grants.incubation import policy
from grants.incubation.models import Group, GroupKind, GroupMember, GroupStatus, MemberRole
from grants.incubation.states import group_machine
from grants.proposals.models import TeamMember
from grants.timeutil import today

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")  # as the proposal's applicant and team mobiles
NAME_MAX, TEXT_MAX, PLACE_MAX, FILING_NO_MAX = 60, 2000, 100, 40

# A group grows from a grant whose agreement is signed and whose project runs or ran to its end.
GRANT_STATUSES_FOR_GROUP = (
    GrantStatus.SIGNED.value,
    GrantStatus.IN_PROGRESS.value,
    GrantStatus.COMPLETING.value,
    GrantStatus.SETTLED.value,
)


@dataclass
class GroupData:
    name: str
    kind: str
    founded_on: date | None = None
    scope: str = ""
    venue: str = ""
    supervisor: str = ""
    leader_login: str = ""  # a registered user's mobile or user name; blank = no leader yet


@dataclass
class MemberData:
    name: str
    mobile: str
    role: str
    joined_on: date | None
    left_on: date | None = None


def _district_id(group: Group) -> int:
    return group.community.street.district_id


def _facts(group: Group) -> dict:
    return {
        "name": group.name,
        "kind": group.kind,
        "founded_on": group.founded_on.isoformat() if group.founded_on else None,
        "scope": group.scope,
        "venue": group.venue,
        "supervisor": group.supervisor,
        "leader_id": group.leader_id,
    }


def _check_group(data: GroupData) -> None:
    """Raises: DomainError naming the field that is wrong."""
    data.name = " ".join((data.name or "").split())
    if not data.name:
        raise DomainError(_("请填写组织名称。"), field="name")
    if len(data.name) > NAME_MAX:
        raise DomainError(_("组织名称不能超过%(n)d个字符。", n=NAME_MAX), field="name")
    if data.kind not in {k.value for k in GroupKind}:
        raise DomainError(_("请选择组织类型（自治、自乐或志愿）。"), field="kind")
    if data.founded_on and data.founded_on > today():
        raise DomainError(_("成立日期不能晚于今天。"), field="founded_on")
    if len(data.scope or "") > TEXT_MAX:
        raise DomainError(_("宗旨和业务范围不能超过%(n)d个字符。", n=TEXT_MAX), field="scope")
    for name in ("venue", "supervisor"):
        if len(getattr(data, name) or "") > PLACE_MAX:
            raise DomainError(_("不能超过%(max)d个字符。", max=PLACE_MAX), field=name)


def _leader(session: Session, login: str):
    """Raises: DomainError when no user has this login."""
    login = (login or "").strip()
    if not login:
        return None
    user = auth_service.find_user_by_login(session, login)
    if user is None:
        raise DomainError(_("没有找到这个手机号或用户名的用户，请让对方先注册。"), field="leader_login")
    return user


def _name_taken(session: Session, community_id: int, name: str, *, but: int | None = None) -> bool:
    query = select(Group.id).where(Group.community_id == community_id, Group.name == name)
    if but is not None:
        query = query.where(Group.id != but)
    return session.scalar(query.limit(1)) is not None


def _flush_unique(session: Session) -> None:
    """Flush; a UNIQUE refused by the database (a race with another request) becomes a Conflict.

    Raises: Conflict.
    """
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(_("本社区已有同名的组织，或这个资助项目已经建立了组织。")) from None


def _apply(group: Group, data: GroupData, leader) -> None:
    group.name = data.name
    group.kind = data.kind
    group.founded_on = data.founded_on
    group.scope = (data.scope or "").strip()
    group.venue = (data.venue or "").strip()
    group.supervisor = (data.supervisor or "").strip()
    if leader is not None:
        group.leader_id = leader.id


def create_group(session: Session, *, actor, community, data: GroupData) -> Group:
    """A group that grew without a grant, created by its community's staff (or the organizer).

    Raises: NotAllowed; DomainError for bad input; Conflict when the name is taken in the community.
    """
    if not policy.can_create_group(actor, community):
        raise NotAllowed(_("您没有权限执行此操作。"))
    _check_group(data)
    leader = _leader(session, data.leader_login)
    if _name_taken(session, community.id, data.name):
        raise Conflict(_("本社区已有名为“%(name)s”的组织。", name=data.name))
    group = Group(community_id=community.id, community=community, status=GroupStatus.CULTIVATING.value)
    _apply(group, data, leader)
    group.created_by_id = actor.id
    session.add(group)
    _flush_unique(session)
    if leader is not None:
        session.add(
            GroupMember(
                group_id=group.id,
                name=leader.display_name,
                mobile=leader.mobile or "",
                role=MemberRole.LEADER.value,
                joined_on=data.founded_on or today(),
            )
        )
    audit.record(
        session, actor=actor, action="group.create", obj=group, district_id=_district_id(group), after=_facts(group)
    )
    session.flush()
    return group


def group_of_grant(session: Session, grant_id: int) -> Group | None:
    return session.scalars(select(Group).where(Group.origin_grant_id == grant_id)).first()


def grant_refusal(session: Session, grant: Grant) -> str | None:
    """Why no group may be created from this grant now, or None."""
    if grant.status not in GRANT_STATUSES_FOR_GROUP:
        return _("只有已签协议、实施中、结项中或已结项的资助项目才能建立组织。")
    if group_of_grant(session, grant.id) is not None:
        return _("这个资助项目已经建立了组织。")
    return None


def create_group_from_grant(session: Session, *, actor, grant: Grant, data: GroupData) -> Group:
    """The grant's team becomes a group: the applicant its leader, the team members its members.

    Raises: NotAllowed; DomainError when the grant's state does not allow it or a group exists;
        Conflict when the name is taken.
    """
    grant = funding_service.lock(session, grant)
    proposal = grant.proposal
    community = proposal.community
    if not policy.can_create_group(actor, community):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if message := grant_refusal(session, grant):
        raise DomainError(message)
    data.leader_login = ""
    _check_group(data)
    if _name_taken(session, community.id, data.name):
        raise Conflict(_("本社区已有名为“%(name)s”的组织。", name=data.name))
    joined = grant.signed_on or today()
    group = Group(
        community_id=community.id, community=community, origin_grant_id=grant.id, status=GroupStatus.CULTIVATING.value
    )
    _apply(group, data, proposal.applicant)
    group.founded_on = data.founded_on or joined
    group.created_by_id = actor.id
    session.add(group)
    _flush_unique(session)
    applicant_mobile = proposal.applicant_mobile or proposal.applicant.mobile or ""
    session.add(
        GroupMember(
            group_id=group.id,
            name=proposal.applicant.display_name,
            mobile=applicant_mobile if MOBILE_RE.match(applicant_mobile) else "",
            role=MemberRole.LEADER.value,
            joined_on=joined,
        )
    )
    team = session.scalars(
        select(TeamMember).where(TeamMember.proposal_id == proposal.id).order_by(TeamMember.position, TeamMember.id)
    )
    for member in team:
        mobile = (member.mobile or "").strip()
        session.add(
            GroupMember(
                group_id=group.id,
                name=member.name,
                mobile=mobile if MOBILE_RE.match(mobile) else "",
                role=MemberRole.MEMBER.value,
                joined_on=joined,
            )
        )
    audit.record(
        session,
        actor=actor,
        action="group.create_from_grant",
        obj=group,
        district_id=_district_id(group),
        after={**_facts(group), "grant_id": grant.id},
    )
    session.flush()
    return group


def update_group(session: Session, *, actor, group: Group, data: GroupData) -> Group:
    """Raises: NotAllowed; DomainError for bad input; Conflict when the name is taken."""
    if not policy.can_manage(actor, group):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if group.status == GroupStatus.DISSOLVED:
        raise DomainError(_("已注销的组织不能再修改。"))
    _check_group(data)
    leader = _leader(session, data.leader_login)
    if _name_taken(session, group.community_id, data.name, but=group.id):
        raise Conflict(_("本社区已有名为“%(name)s”的组织。", name=data.name))
    before = _facts(group)
    new_leader = leader is not None and leader.id != group.leader_id
    _apply(group, data, leader)
    _flush_unique(session)
    if new_leader:
        _make_leader_member(session, group, leader)
    audit.record(
        session,
        actor=actor,
        action="group.update",
        obj=group,
        district_id=_district_id(group),
        before=before,
        after=_facts(group),
    )
    session.flush()
    return group


def _make_leader_member(session: Session, group: Group, leader) -> None:
    """A new leader is the group's one current 负责人: found among the current members by mobile
    (else added); a former 负责人 stays a member as 骨干."""
    current = session.scalars(
        select(GroupMember).where(GroupMember.group_id == group.id, GroupMember.left_on.is_(None))
    ).all()
    mine = next((m for m in current if leader.mobile and m.mobile == leader.mobile), None)
    for member in current:
        if member.role == MemberRole.LEADER and member is not mine:
            member.role = MemberRole.CORE.value
    if mine is None:
        session.add(
            GroupMember(
                group_id=group.id,
                name=leader.display_name,
                mobile=leader.mobile or "",
                role=MemberRole.LEADER.value,
                joined_on=today(),
            )
        )
    else:
        mine.role = MemberRole.LEADER.value
    session.flush()


def file_group(session: Session, *, actor, group: Group, filed_on: date | None, filing_no: str) -> Group:
    """登记备案: record the date and number, then the group is 已备案.

    Raises: NotAllowed; InvalidTransition; DomainError for a missing or wrong date or number.
    """
    if not policy.can_manage(actor, group):
        raise NotAllowed(_("您没有权限执行此操作。"))
    filing_no = (filing_no or "").strip()
    if filed_on is None:
        raise DomainError(_("请填写备案日期。"), field="filed_on")
    if filed_on > today():
        raise DomainError(_("备案日期不能晚于今天。"), field="filed_on")
    if group.founded_on and filed_on < group.founded_on:
        raise DomainError(_("备案日期不能早于成立日期。"), field="filed_on")
    if not filing_no:
        raise DomainError(_("请填写备案编号。"), field="filing_no")
    if len(filing_no) > FILING_NO_MAX:
        raise DomainError(_("备案编号不能超过%(n)d个字符。", n=FILING_NO_MAX), field="filing_no")
    if group.status != GroupStatus.ESTABLISHED:
        raise InvalidTransition(_("只有“已成立”的组织才能登记备案。"))
    group.filed_on, group.filing_no = filed_on, filing_no
    group_machine.transition(session, group, GroupStatus.FILED.value, actor=actor, by_step=True)
    return group


def change_status(session: Session, *, actor, group: Group, target: str, reason: str | None) -> Group:
    """Raises: InvalidTransition, NotAllowed, DomainError (reason missing, guard refuses)."""
    if target == GroupStatus.FILED and group.status == GroupStatus.ESTABLISHED:
        raise DomainError(_("请通过“登记备案”填写备案日期和编号。"))
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise DomainError(_("原因不能超过%(n)d个字符。", n=500), field="reason")
    group_machine.transition(session, group, target, actor=actor, reason=reason)
    if target in (GroupStatus.DORMANT, GroupStatus.DISSOLVED):
        group.status_reason = reason
    else:
        group.status_reason = ""
    session.flush()
    return group


def _check_member(data: MemberData) -> None:
    """Raises: DomainError naming the field that is wrong."""
    data.name = " ".join((data.name or "").split())
    data.mobile = (data.mobile or "").strip()
    if not data.name:
        raise DomainError(_("请填写姓名。"), field="name")
    if len(data.name) > 50:
        raise DomainError(_("姓名不能超过%(n)d个字符。", n=50), field="name")
    if data.mobile and not MOBILE_RE.match(data.mobile):
        raise DomainError(_("手机号应为11位手机号码，例如13812345678。"), field="mobile")
    if data.role not in {r.value for r in MemberRole}:
        raise DomainError(_("请选择成员角色。"), field="role")
    if data.joined_on is None:
        raise DomainError(_("请填写加入日期。"), field="joined_on")
    if data.joined_on > today():
        raise DomainError(_("加入日期不能晚于今天。"), field="joined_on")
    if data.left_on and data.left_on < data.joined_on:
        raise DomainError(_("退出日期不能早于加入日期。"), field="left_on")
    if data.left_on and data.left_on > today():
        raise DomainError(_("退出日期不能晚于今天。"), field="left_on")


def _member_facts(member: GroupMember) -> dict:
    # The audit log is read by organizers; the mobile is kept out of it (it is not needed there).
    return {
        "name": member.name,
        "role": member.role,
        "joined_on": member.joined_on.isoformat() if member.joined_on else None,
        "left_on": member.left_on.isoformat() if member.left_on else None,
        "mobile_set": bool(member.mobile),
    }


def _check_may_edit_members(actor, group: Group) -> None:
    if not policy.can_edit_members(actor, group):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if group.status == GroupStatus.DISSOLVED:
        raise DomainError(_("已注销的组织不能再修改成员。"))


def add_member(session: Session, *, actor, group: Group, data: MemberData) -> GroupMember:
    """Raises: NotAllowed; DomainError for bad input or a dissolved group."""
    _check_may_edit_members(actor, group)
    _check_member(data)
    member = GroupMember(
        group_id=group.id,
        name=data.name,
        mobile=data.mobile,
        role=data.role,
        joined_on=data.joined_on,
        left_on=data.left_on,
    )
    session.add(member)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="group_member.add",
        obj=member,
        district_id=_district_id(group),
        after={**_member_facts(member), "group_id": group.id},
    )
    session.flush()
    return member


def update_member(session: Session, *, actor, member: GroupMember, group: Group, data: MemberData) -> GroupMember:
    """Edit a member, or record that they left (left_on): the row stays in the history.

    Raises: NotAllowed; DomainError for bad input, a member of another group or a dissolved group.
    """
    if member.group_id != group.id:
        raise DomainError(_("该成员不属于这个组织。"))
    _check_may_edit_members(actor, group)
    _check_member(data)
    before = _member_facts(member)
    member.name, member.mobile, member.role = data.name, data.mobile, data.role
    member.joined_on, member.left_on = data.joined_on, data.left_on
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="group_member.update",
        obj=member,
        district_id=_district_id(group),
        before=before,
        after={**_member_facts(member), "group_id": group.id},
    )
    session.flush()
    return member
