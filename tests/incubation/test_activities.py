"""Activities (活动记录): the leader logs, community staff confirm or return, the leader corrects a
returned one — every rule, each refusal changing nothing (no row, no audit entry, no file)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select

from grants.audit.models import AuditEntry
from grants.auth.models import Role
from grants.errors import DomainError, InvalidTransition, NotAllowed
from grants.incubation import activities, activity_queries, service
from grants.incubation.models import Activity, ActivityPhoto, GroupMember, VolunteerHours
from grants.incubation.service import MemberData
from grants.main.service import waiting_for
from grants.org.models import District
from grants.proposals.models import Attachment
from grants.timeutil import today
from tests.incubation.activity_helpers import data, day, log, photo, snapshot, team_fixture, upload_dir  # noqa: F401

pytestmark = pytest.mark.usefixtures("team")


def _refused(session, team, error=DomainError, *, actor=None, photos=(), **overrides):
    """Logging is refused with ``error`` and nothing changes; returns the error."""
    before = snapshot(session)
    with pytest.raises(error) as caught:
        log(session, team, actor=actor, photos=photos, **overrides)
    session.rollback()
    assert snapshot(session) == before
    return caught.value


def _hours(team, *pairs):
    return [(str(team.members[i].id), hours) for i, hours in pairs]


def test_the_leader_logs_an_activity_that_waits_for_confirmation(session, team):
    activity = log(session, team, volunteers=_hours(team, (0, "2"), (1, "1.5")), photos=[photo()])
    assert activity.status == "pending" and activity.logged_by_id == team.leader.id
    assert (activity.title, activity.participants, activity.served) == ("楼道清洁", 12, 40)
    hours = session.execute(select(VolunteerHours.member_id, VolunteerHours.halves).order_by(VolunteerHours.id)).all()
    assert hours == [(team.members[0].id, 4), (team.members[1].id, 3)]
    assert session.scalar(select(ActivityPhoto.position)) == 0
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "activity.log")).one()
    assert entry.object_id == activity.id and entry.after["volunteer_halves"] == {
        str(team.members[0].id): 4,
        str(team.members[1].id): 3,
    }


@pytest.mark.parametrize("who", ["community staff", "organizer", "another group's leader", "a resident", "a member"])
def test_only_the_groups_leader_logs_and_others_change_nothing(session, world, make, make_group, team, who):
    actor = {
        "community staff": world.staff_a,
        "organizer": world.organizer_a,
        "another group's leader": make_group(name="别的组织").leader,
        "a resident": world.resident,
        "a member": make.user("member_x", community=world.community_a),
    }[who]
    _refused(session, team, NotAllowed, actor=actor)


def test_a_dissolved_group_logs_nothing(session, world, team):
    service.change_status(session, actor=world.staff_a, group=team.group, target="dissolved", reason="解散")
    session.commit()
    assert "注销" in str(_refused(session, team))


def test_a_former_leader_logs_nothing(session, world, make, team):
    new_leader = make.user("new_leader", community=world.community_a)
    group_data = service.GroupData(name=team.group.name, kind=team.group.kind, leader_login=new_leader.login_name)
    service.update_group(session, actor=world.staff_a, group=team.group, data=group_data)
    session.commit()
    _refused(session, team, NotAllowed)
    assert log(session, team, actor=new_leader).status == "pending"


def test_a_date_in_the_future_is_refused(session, team):
    err = _refused(session, team, day=(today() + timedelta(days=1)).isoformat())
    assert err.field == "day"


def test_a_start_later_than_now_is_refused(session, team):
    err = _refused(session, team, day=today().isoformat(), starts="23:59", ends="23:59")
    assert err.field in ("starts", "ends")


def test_an_activity_older_than_the_districts_limit_is_refused_naming_the_limit(session, team):
    assert log(session, team, day=day(30)).status == "pending"  # the 30th day is still within
    err = _refused(session, team, day=day(31))
    assert err.field == "day" and "30天" in str(err)


def test_the_limit_is_the_districts_setting(session, world, team):
    session.get(District, world.district_a.id).activity_log_days = 7
    session.commit()
    err = _refused(session, team, day=day(8))
    assert "7天" in str(err)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 101}, "title"),
        ({"kind": "party"}, "kind"),
        ({"day": "2026-13-01"}, "day"),
        ({"starts": "9点"}, "starts"),
        ({"ends": "09:00"}, "ends"),
        ({"ends": "08:00"}, "ends"),
        ({"place": ""}, "place"),
        ({"participants": "-1"}, "participants"),
        ({"participants": "2.5"}, "participants"),
        ({"served": "-3"}, "served"),
        ({"served": "很多"}, "served"),
        ({"description": "x" * 2001}, "description"),
    ],
)
def test_bad_input_is_refused_naming_the_field(session, team, overrides, field):
    assert _refused(session, team, **overrides).field == field


@pytest.mark.parametrize("hours", ["0", "-1", "1.3", "0.25", "abc", "", "25", "nan", "inf"])
def test_hours_are_counted_to_the_half_hour_and_above_zero(session, team, hours):
    err = _refused(session, team, volunteers=_hours(team, (0, hours)))
    assert err.field == "volunteers"


def test_a_volunteer_must_be_a_member_of_this_group(session, world, make_group, team):
    other = make_group(name="别的组织", members=1)
    stranger = session.scalars(select(GroupMember).where(GroupMember.group_id == other.id)).first()
    err = _refused(session, team, volunteers=[(str(stranger.id), "1")])
    assert "成员" in str(err)
    _refused(session, team, volunteers=[("999999", "1")])
    _refused(session, team, volunteers=[("", "1")])


def test_a_member_who_left_before_the_day_or_joined_after_it_cannot_volunteer(session, world, team):
    left = team.members[0]
    left_on = today() - timedelta(days=2)
    service.update_member(
        session,
        actor=world.staff_a,
        member=left,
        group=team.group,
        data=MemberData(name=left.name, mobile=left.mobile, role="member", joined_on=left.joined_on, left_on=left_on),
    )
    late = service.add_member(
        session,
        actor=world.staff_a,
        group=team.group,
        data=MemberData(name="新成员", mobile="", role="member", joined_on=today() - timedelta(days=1)),
    )
    session.commit()
    assert "不是本组织的成员" in str(_refused(session, team, day=day(1), volunteers=[(str(left.id), "1")]))
    assert "不是本组织的成员" in str(_refused(session, team, day=day(2), volunteers=[(str(late.id), "1")]))
    # on the day they left, and on the day they joined, they count
    assert log(session, team, day=day(2), volunteers=[(str(left.id), "1")]).status == "pending"
    assert log(session, team, day=day(1), volunteers=[(str(late.id), "1")]).status == "pending"


def test_a_member_entered_twice_is_refused(session, team):
    assert "只能填写一次" in str(_refused(session, team, volunteers=_hours(team, (0, "1"), (0, "2"))))


def test_a_members_hours_per_day_stay_within_the_cap_over_the_groups_activities(session, team):
    log(session, team, title="上午", volunteers=_hours(team, (0, "6")))
    err = _refused(session, team, title="下午", starts="14:00", ends="17:00", volunteers=_hours(team, (0, "2.5")))
    assert err.field == "volunteers" and "8小时" in str(err) and "6小时" in str(err)
    # the rest of the day's allowance is still there, and another member and another day are untouched
    log(session, team, title="下午", starts="14:00", ends="17:00", volunteers=_hours(team, (0, "2"), (1, "8")))
    log(session, team, title="次日", day=day(2), volunteers=_hours(team, (0, "8")))


def test_an_activity_checked_before_its_transaction_is_counted_against_the_cap_under_the_lock(
    session, make_group, team
):
    """The view checks what was typed before its write transaction (``check_activity``); the day's
    hours are read only under the group's lock, so a log committed in between still counts."""
    morning = activities.check_activity(session, team.group, data(title="上午", volunteers=_hours(team, (0, "5"))))
    evening = activities.check_activity(
        session, team.group, data(title="晚上", starts="19:00", ends="21:00", volunteers=_hours(team, (0, "4")))
    )
    session.commit()
    assert (morning.group_id, morning.halves) == (team.group.id, {team.members[0].id: 10})
    activities.log_activity(
        session, actor=team.leader, group=team.group, data=morning, photos=[], upload_dir=upload_dir()
    )
    session.commit()
    before = snapshot(session)
    with pytest.raises(DomainError) as err:
        activities.log_activity(
            session, actor=team.leader, group=team.group, data=evening, photos=[], upload_dir=upload_dir()
        )
    session.rollback()
    assert "已记录5小时" in str(err.value) and snapshot(session) == before
    # an activity checked against one group is never logged for another
    other = make_group(name="别的组织")
    before = snapshot(session)
    with pytest.raises(ValueError):
        activities.log_activity(
            session, actor=other.leader, group=other, data=evening, photos=[], upload_dir=upload_dir()
        )
    session.rollback()
    assert snapshot(session) == before


def test_a_single_entry_above_the_cap_is_refused(session, team):
    _refused(session, team, volunteers=_hours(team, (0, "8.5")))


def test_the_cap_is_the_districts_setting(session, world, team):
    session.get(District, world.district_a.id).daily_hours_cap_halves = 6  # 3 h
    session.commit()
    assert "3小时" in str(_refused(session, team, volunteers=_hours(team, (0, "3.5"))))
    log(session, team, volunteers=_hours(team, (0, "3")))


def test_returned_hours_do_not_use_the_cap_and_confirmed_ones_do(session, world, team):
    first = log(session, team, volunteers=_hours(team, (0, "5")))
    activities.confirm_activity(session, actor=world.staff_a, activity=first)
    second = log(session, team, title="二", volunteers=_hours(team, (0, "3")))
    session.commit()
    _refused(session, team, title="三", volunteers=_hours(team, (0, "1")))
    activities.return_activity(session, actor=world.staff_a, activity=second, reason="照片不清楚")
    session.commit()
    log(session, team, title="三", volunteers=_hours(team, (0, "3")))


# --- photos -----------------------------------------------------------------------------------


def test_a_photo_is_stored_resized_without_exif_or_location(session, team):
    original = photo(4000, 3000, gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    activity = log(session, team, photos=[original])
    stored = activities.photos_of(session, activity.id)[0].attachment
    with Image.open(upload_dir() / stored.stored_name) as image:
        exif = image.getexif()
        assert max(image.size) <= 2048
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo) and 0x010F not in exif and "exif" not in image.info


def test_more_than_nine_photos_are_refused_and_no_file_is_left(session, team):
    err = _refused(session, team, photos=[photo()] * 10)
    assert err.field == "photos"
    assert log(session, team, photos=[photo()] * 9) and len(list(upload_dir().iterdir())) == 9


@pytest.mark.parametrize("content", [b"%PDF-1.4 fake\n%%EOF", b"not a photo at all", b"\xff\xd8\xff broken jpeg"])
def test_a_file_that_is_not_a_photo_by_its_content_is_refused(session, team, content):
    before = snapshot(session)
    with pytest.raises(DomainError) as err:
        activities.check_photos([activities.Upload("活动.jpg", content, 1024 * 1024)])
    assert err.value.field == "photos" and snapshot(session) == before


def test_a_refusal_after_the_photos_were_checked_leaves_no_file(session, team):
    log(session, team, volunteers=_hours(team, (0, "8")))
    _refused(session, team, photos=[photo(), photo()], volunteers=_hours(team, (0, "1")))


# --- confirm and return -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "organizer"])
def test_the_communitys_staff_or_the_organizer_confirm_once(session, world, team, who):
    actor = world.staff_a if who == "staff" else world.organizer_a
    activity = log(session, team)
    activities.confirm_activity(session, actor=actor, activity=activity)
    session.commit()
    assert (activity.status, activity.confirmed_by_id) == ("confirmed", actor.id) and activity.confirmed_at
    before = snapshot(session)
    with pytest.raises(InvalidTransition):
        activities.confirm_activity(session, actor=actor, activity=activity)
    session.rollback()
    with pytest.raises(InvalidTransition):
        activities.return_activity(session, actor=actor, activity=activity, reason="晚了")
    session.rollback()
    assert snapshot(session) == before
    actions = select(AuditEntry.action).where(AuditEntry.object_type == "Activity").order_by(AuditEntry.id)
    assert session.scalars(actions).all() == [
        "activity.log",
        "activity.confirm",
    ]


@pytest.mark.parametrize("who", ["leader", "another community's staff", "street staff", "another district's organizer"])
def test_others_may_not_confirm_or_return(session, world, make, team, who):
    actor = {
        "leader": team.leader,
        "another community's staff": make.user("staff_a2", roles=[(Role.COMMUNITY_STAFF, world.community_a2)]),
        "street staff": world.street_staff_a,
        "another district's organizer": world.organizer_b,
    }[who]
    activity = log(session, team)
    before = snapshot(session)
    with pytest.raises(NotAllowed):
        activities.confirm_activity(session, actor=actor, activity=activity)
    session.rollback()
    with pytest.raises(NotAllowed):
        activities.return_activity(session, actor=actor, activity=activity, reason="不对")
    session.rollback()
    assert snapshot(session) == before


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_return_needs_a_reason(session, world, team, reason):
    activity = log(session, team)
    before = snapshot(session)
    with pytest.raises(DomainError):
        activities.return_activity(session, actor=world.staff_a, activity=activity, reason=reason)
    session.rollback()
    assert snapshot(session) == before


def test_a_returned_activity_is_corrected_and_logged_again(session, world, team):
    activity = log(session, team, volunteers=_hours(team, (0, "2")), photos=[photo(), photo()])
    activities.return_activity(session, actor=world.staff_a, activity=activity, reason="受益人次有误")
    session.commit()
    assert (activity.status, activity.return_reason) == ("returned", "受益人次有误")
    first_photo = activities.photos_of(session, activity.id)[0]
    activities.update_activity(
        session,
        actor=team.leader,
        activity=activity,
        data=data(served="25", volunteers=_hours(team, (0, "1"), (1, "1.5"))),
        photos=activities.check_photos([activities.Upload("新.jpg", photo(), 1024 * 1024)]),
        remove_photo_ids=[first_photo.id],
        upload_dir=upload_dir(),
    )
    session.commit()
    assert (activity.status, activity.served, activity.return_reason) == ("pending", 25, "")
    assert activities.hours_of(session, activity.id) == {team.members[0].id: 2, team.members[1].id: 3}
    assert [p.position for p in activities.photos_of(session, activity.id)] == [1, 2]
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "Activity").order_by(AuditEntry.id)
    ).all()
    assert actions == ["activity.log", "activity.return", "activity.update", "activity.relog"]


def test_the_correction_keeps_the_rules_and_the_date_limit_counts_from_the_first_log(session, world, team):
    activity = log(session, team, day=day(30))
    activities.return_activity(session, actor=world.staff_a, activity=activity, reason="补充照片")
    session.commit()
    before = snapshot(session)
    for bad in (data(day=day(30), served="-1"), data(day=day(31))):
        with pytest.raises(DomainError):
            activities.update_activity(
                session,
                actor=team.leader,
                activity=activity,
                data=bad,
                photos=[],
                remove_photo_ids=[],
                upload_dir=upload_dir(),
            )
        session.rollback()
    assert snapshot(session) == before
    # 30 days after the activity it can still be corrected although today is later than that
    activities.update_activity(
        session,
        actor=team.leader,
        activity=activity,
        data=data(day=day(30)),
        photos=[],
        remove_photo_ids=[],
        upload_dir=upload_dir(),
    )
    session.commit()
    assert activity.status == "pending"


@pytest.mark.parametrize("state", ["pending", "confirmed"])
def test_only_a_returned_activity_can_be_corrected(session, world, team, state):
    activity = log(session, team)
    if state == "confirmed":
        activities.confirm_activity(session, actor=world.staff_a, activity=activity)
        session.commit()
    before = snapshot(session)
    with pytest.raises(InvalidTransition):
        activities.update_activity(
            session,
            actor=team.leader,
            activity=activity,
            data=data(title="改"),
            photos=[],
            remove_photo_ids=[],
            upload_dir=upload_dir(),
        )
    session.rollback()
    assert snapshot(session) == before


def test_staff_cannot_correct_a_returned_activity(session, world, team):
    activity = log(session, team)
    activities.return_activity(session, actor=world.staff_a, activity=activity, reason="x")
    session.commit()
    before = snapshot(session)
    with pytest.raises(NotAllowed):
        activities.update_activity(
            session,
            actor=world.staff_a,
            activity=activity,
            data=data(),
            photos=[],
            remove_photo_ids=[],
            upload_dir=upload_dir(),
        )
    session.rollback()
    assert snapshot(session) == before


# --- figures ----------------------------------------------------------------------------------


def test_only_confirmed_activities_count_in_the_groups_figures(session, world, team):
    confirmed = log(session, team, served="40", volunteers=_hours(team, (0, "2")))
    log(session, team, title="待核实", served="100", volunteers=_hours(team, (1, "3")))
    returned = log(session, team, title="退回", served="7", volunteers=_hours(team, (2, "1")))
    assert activity_queries.figures(session, team.group.id) == activity_queries.Figures(0, 0, 0)
    activities.confirm_activity(session, actor=world.staff_a, activity=confirmed)
    activities.return_activity(session, actor=world.staff_a, activity=returned, reason="重复记录")
    session.commit()
    assert activity_queries.figures(session, team.group.id) == activity_queries.Figures(
        activities=1, served=40, volunteer_halves=4
    )


def test_staff_see_activities_waiting_on_their_home_page(session, world, make, team):
    log(session, team)
    log(session, team, title="二")
    tasks = waiting_for(session, world.staff_a)
    mine = [t for t in tasks if t.endpoint == "incubation.community_activities"]
    assert len(mine) == 1 and "2条" in mine[0].text and mine[0].args["community_id"] == world.community_a.id
    other = make.user("staff_a2", roles=[(Role.COMMUNITY_STAFF, world.community_a2)])
    assert not [t for t in waiting_for(session, other) if t.endpoint == "incubation.community_activities"]
    assert not [t for t in waiting_for(session, team.leader) if t.endpoint == "incubation.community_activities"]


def test_the_model_refuses_what_the_service_refuses(session, team):
    """The database's own checks hold even for a write that skips the service."""
    from sqlalchemy.exc import IntegrityError

    activity = log(session, team)
    activity.served = -1
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert session.get(Activity, activity.id).served == 40
    assert session.scalar(select(Attachment.id)) is None


def test_the_leader_sees_a_returned_activity_on_the_home_page_until_it_is_corrected(session, world, team):
    activity = log(session, team)
    assert not [t for t in waiting_for(session, team.leader) if t.endpoint == "incubation.edit_activity"]
    activities.return_activity(session, actor=world.staff_a, activity=activity, reason="补照片")
    session.commit()
    tasks = [t for t in waiting_for(session, team.leader) if t.endpoint == "incubation.edit_activity"]
    assert [t.args for t in tasks] == [{"activity_id": activity.id}] and "楼道清洁" in tasks[0].text
    assert not [t for t in waiting_for(session, world.staff_a) if t.endpoint == "incubation.edit_activity"]
    activities.update_activity(
        session,
        actor=team.leader,
        activity=activity,
        data=data(),
        photos=[],
        remove_photo_ids=[],
        upload_dir=upload_dir(),
    )
    session.commit()
    assert not [t for t in waiting_for(session, team.leader) if t.endpoint == "incubation.edit_activity"]
