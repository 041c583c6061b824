"""In-app notifications for a return, a result and the notice; the list with read/unread and the
count in the menu; the home page's list of what waits for the user (issue 12, item 3)."""

from __future__ import annotations

from sqlalchemy import func, select

from grants.editions import service as edition_service
from grants.editions.states import edition_machine
from grants.judging import eligibility
from grants.notifications import labels
from grants.notifications.models import Notification
from grants.notifications.service import Note, send_many
from grants.proposals import service as ps
from tests.judging.helpers import all_items, end_submission


def _kinds(session, user_id):
    return sorted(session.scalars(select(Notification.kind).where(Notification.user_id == user_id)))


def _returned(session, world, make):
    edition = world.edition_a
    edition_machine.transition(session, edition, "open", actor=None)
    session.commit()
    proposal = make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)
    ps.return_for_correction(session, actor=world.staff_a, proposal=proposal, reason="预算明细不全")
    session.commit()
    return proposal


def test_a_return_notifies_the_applicant_and_waits_on_the_home_page(session, world, make, login_as):
    proposal = _returned(session, world, make)
    assert _kinds(session, world.resident.id) == [labels.RETURNED]
    client = login_as(world.resident)
    home = client.get("/").get_data(as_text=True)
    assert "等待您处理" in home and "被退回补正" in home and f"/proposals/{proposal.id}/edit" in home
    assert "消息（1条未读）" in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "预算明细不全" in page and "未读" in page
    note = session.scalar(select(Notification))
    assert login_as(world.staff_b).post(f"/notifications/{note.id}/open").status_code == 404
    client = login_as(world.resident)
    response = client.post(f"/notifications/{note.id}/open")
    assert response.status_code == 302 and response.location.endswith(f"/proposals/{proposal.id}")
    session.expire_all()
    assert session.get(Notification, note.id).read_at is not None
    assert "消息（" not in client.get("/").get_data(as_text=True)


def test_another_user_cannot_mark_my_notifications_read(session, world, make, login_as):
    _returned(session, world, make)
    login_as(world.staff_a).post("/notifications/read")
    session.expire_all()
    assert session.scalar(select(Notification.read_at)) is None
    login_as(world.resident).post("/notifications/read")
    session.expire_all()
    assert session.scalar(select(Notification.read_at)) is not None


def test_closing_screening_tells_each_applicant_the_outcome(session, world, make):
    edition = world.edition_a
    edition_machine.transition(session, edition, "open", actor=None)
    session.commit()
    passed = make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)
    failed = make.proposal(edition, submit=True, community_id=world.community_a.id)
    rnd = edition_service.rounds_of(session, edition.id)[0]
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    for proposal, outcome in ((passed, "pass"), (failed, "fail")):
        eligibility.decide(
            session,
            actor=world.staff_a,
            rnd=rnd,
            proposal=proposal,
            outcome=outcome,
            reason="不符合要求",
            checked=all_items(rnd),
        )
    end_submission(session, edition)
    eligibility.close_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    assert _kinds(session, passed.applicant_id) == [labels.PASSED]
    assert _kinds(session, failed.applicant_id) == [labels.FAILED]


def test_round_results_and_the_notice_reach_the_applicants(session, world, published, login_as):
    publication, proposals = published
    # Round 2 told each applicant whether they advanced; the final round is told by the notice.
    assert _kinds(session, proposals[0].applicant_id) == sorted([labels.PASSED, labels.ADVANCED, labels.LISTED])
    assert _kinds(session, proposals[5].applicant_id) == sorted([labels.PASSED, labels.NOT_ADVANCED])
    client = login_as(proposals[0].applicant)
    page = client.get("/notifications").get_data(as_text=True)
    assert "一等奖" in page and publication.title in page
    home = client.get("/").get_data(as_text=True)
    assert "正在公示" in home and "/results/projects/" in home


def test_judges_and_staff_see_what_waits_for_them(session, world, assigned, login_as):
    assert assigned
    home = login_as(world.judge_a).get("/").get_data(as_text=True)
    assert "张评分表等待您评分" in home and "/review/queue" in home
    assert "等待您处理" in login_as(world.finance_a).get("/").get_data(as_text=True)
    assert "目前没有等待您处理的事项" in login_as(world.finance_a).get("/").get_data(as_text=True)


def test_staff_see_decisions_only_for_their_own_community(session, world, make, login_as):
    edition = world.edition_a
    edition_machine.transition(session, edition, "open", actor=None)
    session.commit()
    make.proposal(edition, submit=True, community_id=world.community_a.id)
    make.proposal(edition, submit=True, community_id=world.community_a2.id)
    make.proposal(edition, submit=True, community_id=world.community_a2.id)
    rnd = edition_service.rounds_of(session, edition.id)[0]
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()
    assert "1份申报书等待资格审查决定" in login_as(world.staff_a).get("/").get_data(as_text=True)
    assert "3份申报书等待资格审查决定" in login_as(world.organizer_a).get("/").get_data(as_text=True)
    assert "等待资格审查决定" not in login_as(world.staff_b).get("/").get_data(as_text=True)


def test_the_notification_list_costs_the_same_queries_for_few_and_many(session, world, login_as, query_counter):
    counts = []
    for n in (2, 25):
        session.execute(Notification.__table__.delete())
        send_many(session, [Note(world.resident.id, labels.REMINDER, None, {"round": "初评", "message": "x"})] * n)
        session.commit()
        client = login_as(world.resident)
        client.get("/notifications")
        with query_counter() as statements:
            page = client.get("/notifications").get_data(as_text=True)
        assert page.count("主办方提醒") == n
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert session.scalar(select(func.count(Notification.id))) == 25
