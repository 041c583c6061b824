"""Concurrent requests on activities: many logs for one member and day never pass the daily cap
(the group's row lock), an activity is confirmed (or returned) at most once; never a 500."""

from __future__ import annotations

from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.incubation.models import Activity, VolunteerHours
from tests.incubation.activity_helpers import day, log, team_fixture  # noqa: F401
from tests.incubation.test_races import _fire

RACERS = 20


def test_concurrent_logs_for_one_member_and_day_never_pass_the_cap(app, session, team):
    member = team.members[0]
    forms = [
        {
            "title": f"巡楼{i}",
            "kind": "service",
            "day": day(1),
            "starts": "09:00",
            "ends": "10:00",
            "place": "小区",
            "participants": "1",
            "served": "1",
            "volunteer_member": [str(member.id)],
            "volunteer_hours": ["1"],
        }
        for i in range(RACERS)
    ]
    statuses = _fire(app, f"/groups/{team.group.id}/activities/new", forms, team.leader)
    assert set(statuses) <= {302, 400, 409}, statuses
    session.commit()  # end the read snapshot taken before the race
    stored = session.scalar(select(func.count(Activity.id)))
    halves = session.scalar(select(func.sum(VolunteerHours.halves)).where(VolunteerHours.member_id == member.id))
    assert stored == statuses[302] and 1 <= stored <= 8, statuses
    assert stored == 8 or statuses[409], statuses  # the cap is reached unless a racer gave up (409)
    assert halves == 2 * stored <= 16  # 8 h, the district's default cap
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "activity.log")) == stored


def test_concurrent_confirmations_confirm_once(app, session, world, team):
    activity = log(session, team)
    statuses = _fire(app, f"/groups/activities/{activity.id}/confirm", [{}] * RACERS, world.staff_a)
    assert set(statuses) == {302}, statuses
    session.commit()
    session.refresh(activity)
    assert activity.status == "confirmed" and activity.confirmed_by_id == world.staff_a.id
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "Activity")).all()
    assert sorted(actions) == ["activity.confirm", "activity.log"]


def test_concurrent_confirm_and_return_make_one_decision(app, session, world, team):
    activity = log(session, team)
    forms = [{"reason": "照片不清楚"} if i % 2 else {} for i in range(RACERS)]
    clients_urls = [
        (f"/groups/activities/{activity.id}/{'return' if i % 2 else 'confirm'}", form) for i, form in enumerate(forms)
    ]
    from tests.integrity.test_races import _client_for, fire_each

    clients = [_client_for(app, world.staff_a) for _ in clients_urls]
    answers, _seconds = fire_each(clients, clients_urls)
    assert set(answers) == {302}, answers
    session.commit()
    session.refresh(activity)
    decisions = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.object_type == "Activity", AuditEntry.action.in_(("activity.confirm", "activity.return"))
        )
    ).all()
    assert (
        len(decisions) == 1
        and activity.status == {"activity.confirm": "confirmed", "activity.return": "returned"}[decisions[0]]
    )
