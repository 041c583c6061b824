"""Concurrent requests to issue certificates: one member and period make one certificate (UNIQUE in the
database), different members are issued theirs side by side with distinct numbers; every
request ends with its certificate, never a 500."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.incubation.models import GroupMember, VolunteerCertificate
from tests.incubation.test_races import RACERS
from tests.integrity.test_races import _client_for

PERIOD = {"start": "2026-01-01", "end": "2026-06-30"}


def _race(app, user, urls: list[str]) -> list[object]:
    """POST the period to every URL at once, each from its own signed-in browser; the answers in order."""
    clients = [_client_for(app, user) for _ in urls]
    barrier = threading.Barrier(len(urls))
    answers: list[object] = [None] * len(urls)

    def racer(i: int) -> None:
        barrier.wait()
        try:
            answers[i] = (
                clients[i].post(urls[i], data=PERIOD, environ_base={"REMOTE_ADDR": f"10.79.1.{i + 1}"}).status_code
            )
        except Exception as exc:  # reported as a failed answer by the caller's assertion
            answers[i] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(len(urls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _members(session, group) -> list[GroupMember]:
    return session.scalars(
        select(GroupMember)
        .where(GroupMember.group_id == group.id, GroupMember.name.like("成员%"))
        .order_by(GroupMember.id)
    ).all()


def test_concurrent_issues_of_one_member_and_period_make_one_certificate(
    app, session, world, make_group, make_activity
):
    group = make_group(members=2)
    member = _members(session, group)[0]
    make_activity(group, hours={member: 3}, on=date(2026, 3, 1))
    answers = _race(app, world.staff_a, [f"/groups/{group.id}/members/{member.id}/certificates"] * RACERS)
    assert answers == [302] * RACERS, answers
    session.commit()  # end the read snapshot taken before the race
    assert session.scalar(select(func.count(VolunteerCertificate.id))) == 1
    issued = select(func.count(AuditEntry.id)).where(AuditEntry.action == "volunteer_certificate.issue")
    assert session.scalar(issued) == 1


def test_concurrent_issues_for_different_members_all_succeed_with_distinct_numbers(
    app, session, world, make_group, make_activity
):
    # Issuing reads nothing of the certificates before its insert, so issues for different members
    # do not cancel each other at SERIALIZABLE on PostgreSQL (they share an index page).
    group = make_group(members=RACERS)
    members = _members(session, group)
    make_activity(group, hours={m: 2 for m in members}, on=date(2026, 3, 1))
    answers = _race(app, world.staff_a, [f"/groups/{group.id}/members/{m.id}/certificates" for m in members])
    assert answers == [302] * len(members), answers
    session.commit()
    rows = session.execute(select(VolunteerCertificate.member_id, VolunteerCertificate.number)).all()
    assert sorted(m for m, _n in rows) == sorted(m.id for m in members)
    assert len({n for _m, n in rows}) == len(members) and all(n for _m, n in rows)
