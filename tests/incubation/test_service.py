"""Resident groups: creation (directly and from a grant), 备案, status moves, members — the rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from grants.audit.models import AuditEntry
from grants.auth.models import Role
from grants.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from grants.funding.models import Grant
from grants.incubation import service
from grants.incubation.models import Group, GroupMember
from grants.incubation.service import GroupData, MemberData
from grants.results.masking import mask_mobile
from grants.timeutil import today


def _data(name="花友会", **kw):
    return GroupData(name=name, kind=kw.pop("kind", "recreation"), **kw)


def _count(session, model):
    session.expire_all()
    return session.scalar(select(func.count(model.id)))


def test_staff_create_a_group_with_its_leader_as_first_member(session, world, make):
    leader = make.user("leader1", community=world.community_a)
    group = service.create_group(
        session, actor=world.staff_a, community=world.community_a, data=_data(leader_login="leader1")
    )
    session.commit()
    assert group.status == "cultivating" and group.leader_id == leader.id
    members = session.scalars(select(GroupMember).where(GroupMember.group_id == group.id)).all()
    assert [(m.name, m.role) for m in members] == [("leader1", "leader")]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "group.create")).one()
    assert entry.object_id == group.id


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (GroupData(name="  ", kind="volunteer"), "name"),
        (GroupData(name="x" * 61, kind="volunteer"), "name"),
        (GroupData(name="花友会", kind="club"), "kind"),
        (GroupData(name="花友会", kind="volunteer", founded_on=date.today() + timedelta(days=2)), "founded_on"),
        (GroupData(name="花友会", kind="volunteer", leader_login="nobody-here"), "leader_login"),
    ],
)
def test_bad_group_input_is_refused_and_creates_nothing(session, world, data, field):
    with pytest.raises(DomainError) as err:
        service.create_group(session, actor=world.staff_a, community=world.community_a, data=data)
    session.rollback()
    assert err.value.field == field
    assert _count(session, Group) == 0


def test_only_the_communitys_staff_or_the_organizer_create_a_group(session, world):
    for outsider in (world.staff_b, world.organizer_b, world.street_staff_a, world.judge_a, world.resident):
        with pytest.raises(NotAllowed):
            service.create_group(session, actor=outsider, community=world.community_a, data=_data())
    service.create_group(session, actor=world.organizer_a, community=world.community_a, data=_data())
    assert _count(session, Group) == 1


def test_the_name_is_unique_in_a_community_not_across_communities(session, world, make):
    service.create_group(session, actor=world.staff_a, community=world.community_a, data=_data())
    session.commit()
    with pytest.raises(Conflict):
        service.create_group(session, actor=world.staff_a, community=world.community_a, data=_data(" 花友会 "))
    session.rollback()
    service.create_group(session, actor=world.organizer_a, community=world.community_a2, data=_data())
    session.commit()
    assert _count(session, Group) == 2


def test_the_database_refuses_a_second_group_of_the_same_name(session, world):
    service.create_group(session, actor=world.staff_a, community=world.community_a, data=_data())
    session.commit()
    session.add(Group(community_id=world.community_a.id, name="花友会", kind="volunteer"))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_signed_grants_team_becomes_a_group_once(session, world, make_grant, sign_grant):
    grant = sign_grant(make_grant(world.edition_a, community=world.community_a))
    proposal = grant.proposal
    group = service.create_group_from_grant(session, actor=world.staff_a, grant=grant, data=_data("楼道花友会"))
    session.commit()
    assert group.origin_grant_id == grant.id and group.leader_id == proposal.applicant_id
    assert group.community_id == world.community_a.id
    members = session.scalars(
        select(GroupMember).where(GroupMember.group_id == group.id).order_by(GroupMember.id)
    ).all()
    assert members[0].role == "leader" and members[0].mobile == "13800000000"
    assert [m.name for m in members[1:]] == [f"队员{i}" for i in range(1, len(members))]
    assert all(m.role == "member" and m.joined_on == date(2026, 11, 20) for m in members[1:])
    assert len(members) >= 2
    with pytest.raises(DomainError, match="已经建立"):
        service.create_group_from_grant(session, actor=world.staff_a, grant=grant, data=_data("另一个"))
    session.rollback()
    assert _count(session, Group) == 1


def test_an_unsigned_grant_cannot_become_a_group(session, world, make_grant):
    grant = make_grant(world.edition_a, community=world.community_a)
    with pytest.raises(DomainError, match="已签协议"):
        service.create_group_from_grant(session, actor=world.staff_a, grant=grant, data=_data())
    session.rollback()
    assert _count(session, Group) == 0


def test_the_database_refuses_a_second_group_of_one_grant(session, world, make_grant, sign_grant):
    grant = sign_grant(make_grant(world.edition_a, community=world.community_a))
    service.create_group_from_grant(session, actor=world.staff_a, grant=grant, data=_data("甲"))
    session.commit()
    session.add(Group(community_id=world.community_a.id, name="乙", kind="volunteer", origin_grant_id=grant.id))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_another_communitys_staff_cannot_make_a_group_of_a_grant(session, world, make_grant, sign_grant):
    grant = sign_grant(make_grant(world.edition_a, community=world.community_a))
    other = world.staff_b
    with pytest.raises(NotAllowed):
        service.create_group_from_grant(session, actor=other, grant=session.get(Grant, grant.id), data=_data())
    session.rollback()
    assert _count(session, Group) == 0


def test_the_lifecycle_with_filing_dormancy_and_dissolution(session, world, make_group):
    group = make_group()
    service.change_status(session, actor=world.staff_a, group=group, target="established", reason=None)
    with pytest.raises(DomainError, match="登记备案"):
        service.change_status(session, actor=world.staff_a, group=group, target="filed", reason=None)
    with pytest.raises(DomainError) as err:
        service.file_group(session, actor=world.staff_a, group=group, filed_on=date(2026, 10, 1), filing_no=" ")
    assert err.value.field == "filing_no" and group.status == "established"
    service.file_group(session, actor=world.staff_a, group=group, filed_on=date(2026, 10, 1), filing_no="甲备2026-01")
    assert group.status == "filed" and group.filing_no == "甲备2026-01"
    with pytest.raises(DomainError, match="原因"):
        service.change_status(session, actor=world.staff_a, group=group, target="dormant", reason=" ")
    service.change_status(session, actor=world.staff_a, group=group, target="dormant", reason="骨干搬走")
    assert group.status_reason == "骨干搬走"
    with pytest.raises(DomainError, match="已有备案记录"):
        service.change_status(session, actor=world.staff_a, group=group, target="established", reason=None)
    service.change_status(session, actor=world.organizer_a, group=group, target="filed", reason=None)
    service.change_status(session, actor=world.staff_a, group=group, target="dissolved", reason="长期不活动")
    with pytest.raises(InvalidTransition):
        service.change_status(session, actor=world.staff_a, group=group, target="established", reason=None)
    session.commit()
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "Group").order_by(AuditEntry.id)
    ).all()
    assert actions == ["group.create", "group.establish", "group.file", "group.sleep", "group.revive", "group.dissolve"]


def test_a_cultivating_group_cannot_be_filed(session, world, make_group):
    group = make_group()
    with pytest.raises(InvalidTransition):
        service.file_group(session, actor=world.staff_a, group=group, filed_on=date(2026, 10, 1), filing_no="1")
    session.rollback()
    session.expire_all()
    assert session.get(Group, group.id).status == "cultivating" and session.get(Group, group.id).filing_no == ""


def test_only_the_communitys_staff_and_the_organizer_move_a_group(session, world, make, make_group):
    group = make_group()
    leader = group.leader
    a2_staff = make.user("staff_a2", roles=[(Role.COMMUNITY_STAFF, world.community_a2)])
    for outsider in (leader, a2_staff, world.street_staff_a, world.organizer_b, world.judge_a):
        with pytest.raises(NotAllowed):
            service.change_status(session, actor=outsider, group=group, target="established", reason=None)
    assert group.status == "cultivating"


def test_the_database_refuses_filed_without_a_record(session, world, make_group):
    group = make_group()
    session.expire_all()
    row = session.get(Group, group.id)
    row.status = "filed"
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"name": ""}, "name"),
        ({"mobile": "12345"}, "mobile"),
        ({"mobile": "23812345678"}, "mobile"),
        ({"role": "boss"}, "role"),
        ({"joined_on": None}, "joined_on"),
        ({"left_on": date(2026, 1, 1)}, "left_on"),
    ],
)
def test_bad_member_input_is_refused_and_changes_nothing(session, world, make_group, kw, field):
    group = make_group()
    before = _count(session, GroupMember)
    values = {"name": "王芳", "mobile": "13912345678", "role": "core", "joined_on": date(2026, 6, 1), **kw}
    with pytest.raises(DomainError) as err:
        service.add_member(session, actor=group.leader, group=group, data=MemberData(**values))
    session.rollback()
    assert err.value.field == field and _count(session, GroupMember) == before


def test_the_leader_keeps_the_member_list_and_a_member_who_left_stays(session, world, make_group):
    group = make_group(members=0)
    member = service.add_member(
        session,
        actor=group.leader,
        group=group,
        data=MemberData(name="王芳", mobile="13912345678", role="core", joined_on=date(2026, 6, 1)),
    )
    service.update_member(
        session,
        actor=group.leader,
        member=member,
        group=group,
        data=MemberData(name="王芳", mobile="13912345678", role="core", joined_on=date(2026, 6, 1), left_on=today()),
    )
    session.commit()
    session.expire_all()
    assert session.get(GroupMember, member.id).left_on == today()
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "GroupMember").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["group_member.add", "group_member.update"]
    assert all("13912345678" not in str(e.after) + str(e.before) for e in entries)


def test_others_cannot_change_members(session, world, make, make_group):
    group = make_group()
    other_leader = make_group(name="别的组").leader
    data = MemberData(name="王芳", mobile="", role="member", joined_on=date(2026, 6, 1))
    for outsider in (other_leader, world.street_staff_a, world.staff_b, world.judge_a, world.resident):
        with pytest.raises(NotAllowed):
            service.add_member(session, actor=outsider, group=group, data=data)


def test_mask_mobile():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("") == ""


def test_a_new_leader_becomes_the_one_current_leader_member(session, world, make, make_group):
    group = make_group(members=1)
    old_leader = group.leader
    newcomer = make.user("13655556666", name="李新")
    service.update_group(
        session,
        actor=world.staff_a,
        group=group,
        data=GroupData(name=group.name, kind=group.kind, founded_on=group.founded_on, leader_login="13655556666"),
    )
    session.commit()
    members = session.scalars(select(GroupMember).where(GroupMember.group_id == group.id)).all()
    leaders = [m for m in members if m.role == "leader"]
    assert group.leader_id == newcomer.id and [(m.name, m.mobile) for m in leaders] == [("李新", "13655556666")]
    assert any(m.name == old_leader.display_name and m.role == "core" for m in members)
