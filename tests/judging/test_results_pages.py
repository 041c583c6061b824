"""Organizer pages of a scoring round: dashboard and preview, closing, breakdown, reminders,
proxy entry, released comments, blind review — and who is refused."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from grants.audit.models import AuditEntry
from grants.editions import service as edition_service
from grants.judging import closing, eligibility, sheets
from grants.judging.models import Assignment, RoundResult
from grants.timeutil import now
from tests.judging.helpers import all_items, end_submission, score_round, split_total


def _complete(session, rnd, proposals):
    index = {p.id: i for i, p in enumerate(proposals)}
    score_round(session, rnd, lambda j, p: 50 + index[p] + j % 3)
    session.commit()


def test_dashboard_previews_the_ranking_and_shows_judge_spread(client, login_as, session, world, assigned):
    rnd, proposals, judges = assigned
    _complete(session, rnd, proposals)
    login_as(world.organizer_a)
    body = client.get(f"/review/rounds/{rnd.id}/results").get_data(as_text=True)
    assert "排名预览" in body and "<svg" in body and judges[1].display_name in body
    assert all(p.title in body for p in proposals)
    for outsider in (world.organizer_b, judges[0], world.resident):
        login_as(outsider)
        assert client.get(f"/review/rounds/{rnd.id}/results").status_code == 403
        assert client.post(f"/review/rounds/{rnd.id}/close").status_code == 403
    assert session.scalars(select(RoundResult)).first() is None


def test_closing_from_the_page_then_the_breakdown(client, login_as, session, world, assigned):
    rnd, proposals, judges = assigned
    login_as(world.organizer_a)
    assert client.get(f"/review/rounds/{rnd.id}/results/{proposals[0].id}").status_code == 404  # not closed yet
    response = client.post(f"/review/rounds/{rnd.id}/close", follow_redirects=True)
    assert "没有提交" in response.get_data(as_text=True)  # incomplete: refused with the count
    _complete(session, rnd, proposals)
    response = client.post(f"/review/rounds/{rnd.id}/close", follow_redirects=True)
    body = response.get_data(as_text=True)
    assert "本轮已结束" in body and "本轮结果" in body
    assert len(session.scalars(select(RoundResult)).all()) == 6
    top = session.scalar(select(RoundResult).where(RoundResult.rank == 1))
    body = client.get(f"/review/rounds/{rnd.id}/results/{top.proposal_id}").get_data(as_text=True)
    sheet = session.scalars(select(Assignment).where(Assignment.proposal_id == top.proposal_id)).first()
    assert sheet.judge.display_name in body and sheet.comment in body
    login_as(world.organizer_b)
    assert client.get(f"/review/rounds/{rnd.id}/results/{top.proposal_id}").status_code == 403
    login_as(judges[0])
    assert client.get(f"/review/rounds/{rnd.id}/results/{top.proposal_id}").status_code == 403


def test_reminder_reaches_only_late_judges(client, login_as, session, world, assigned):
    rnd, _proposals, judges = assigned
    late_sheet = session.scalars(select(Assignment).where(Assignment.judge_id == judges[0].id)).first()
    score_round(session, rnd, lambda j, p: None if j == judges[0].id else 60)
    session.commit()
    login_as(world.organizer_a)
    body = client.get(f"/review/rounds/{rnd.id}/results").get_data(as_text=True)
    assert "催办名单" in body and late_sheet.proposal.title in body
    response = client.post(f"/review/rounds/{rnd.id}/remind", data={"message": "周五前请完成"}, follow_redirects=True)
    assert "1位评委" in response.get_data(as_text=True)
    login_as(judges[0])
    assert "周五前请完成" in client.get("/review/queue").get_data(as_text=True)
    login_as(judges[1])
    assert "周五前请完成" not in client.get("/review/queue").get_data(as_text=True)
    login_as(world.organizer_b)
    assert client.post(f"/review/rounds/{rnd.id}/remind", data={"message": "x"}).status_code == 403


def test_proxy_entry_is_marked_and_audited(client, login_as, session, world, assigned):
    rnd, _proposals, judges = assigned
    sheet = session.scalars(select(Assignment).where(Assignment.judge_id == judges[2].id)).first()
    data = {f"c{k}": v for k, v in split_total(rnd, 70).items()}
    for outsider in (world.organizer_b, judges[2], judges[1]):
        login_as(outsider)
        assert client.get(f"/review/assignments/{sheet.id}/proxy").status_code == 403
        assert (
            client.post(f"/review/assignments/{sheet.id}/proxy", data={**data, "action": "submit"}).status_code == 403
        )
    login_as(world.organizer_a)
    page = client.get(f"/review/assignments/{sheet.id}/proxy").get_data(as_text=True)
    assert "代评委" in page
    response = client.post(
        f"/review/assignments/{sheet.id}/proxy", data={**data, "action": "submit", "comment": "现场"}
    )
    assert response.status_code == 302
    session.refresh(sheet)
    assert sheet.status == "submitted" and sheet.entered_by_id == world.organizer_a.id
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "sheet.proxy_entry"))
    assert entry.actor_id == world.organizer_a.id and entry.after["judge_id"] == judges[2].id
    body = client.get(f"/review/rounds/{rnd.id}/judges/{judges[2].id}").get_data(as_text=True)
    assert "代录入" in body and "70.00" in body


def test_released_comments_show_to_the_applicant_without_names_or_scores(client, login_as, session, world, assigned):
    rnd, proposals, judges = assigned
    _complete(session, rnd, proposals)
    login_as(world.organizer_a)
    client.post(f"/review/rounds/{rnd.id}/close")
    target = proposals[0]
    comment = session.scalars(select(Assignment.comment).where(Assignment.proposal_id == target.id)).first()
    login_as(target.applicant)
    assert comment not in client.get(f"/proposals/{target.id}").get_data(as_text=True)
    login_as(target.applicant)
    assert client.post(f"/review/rounds/{rnd.id}/release-comments").status_code == 403
    login_as(world.organizer_a)
    client.post(f"/review/rounds/{rnd.id}/release-comments")
    login_as(target.applicant)
    body = client.get(f"/proposals/{target.id}").get_data(as_text=True)
    assert comment in body and "评审意见" in body
    assert not any(j.display_name in body for j in judges)


def test_blind_round_hides_the_applicant_from_judges(client, login_as, session, world, assigned):
    rnd, _proposals, judges = assigned
    sheet = session.scalars(select(Assignment).where(Assignment.judge_id == judges[0].id)).first()
    login_as(judges[0])
    assert sheet.proposal.applicant.display_name in client.get(f"/review/assignments/{sheet.id}").get_data(as_text=True)
    rnd.blind = True
    session.commit()
    body = client.get(f"/review/assignments/{sheet.id}").get_data(as_text=True)
    assert sheet.proposal.applicant.display_name not in body
    # The team is scored (团队能力), so its roles stay; its members' names and numbers do not.
    assert "志愿者" in body
    assert all(m.name not in body and m.mobile not in body for m in sheet.proposal.team)


def test_round_pages_issue_a_bounded_number_of_queries(client, login_as, session, world, make, scoring, query_counter):
    rnd, _proposals, _judges = scoring
    first = edition_service.rounds_of(session, rnd.edition_id)[0]
    login_as(world.organizer_a)

    def measure():
        sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)
        if rnd.status == "pending":
            eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
        score_round(session, rnd, lambda j, p: 60 + p % 7)
        session.commit()
        counts = []
        for url in (f"/review/rounds/{rnd.id}/results", f"/review/rounds/{rnd.id}/sheets"):
            with query_counter() as statements:
                body = client.get(url).get_data(as_text=True)
            counts.append(len(statements))
        assert "排名预览" in body or "评分进度" in body
        return counts

    small = measure()
    # Six more eligible proposals (round 1 reopened for them), then all twelve assigned afresh.
    session.execute(delete(Assignment).where(Assignment.round_id == rnd.id))
    rnd.status = "pending"  # a test shortcut: back to before round 2 started
    closing.reopen_round(session, actor=world.organizer_a, rnd=first, reason="补充审查")
    # A test shortcut: submissions open again for the extra proposals.
    world.edition_a.status, world.edition_a.submission_closes_at = "open", now() + timedelta(days=1)
    for _ in range(6):
        extra = make.proposal(world.edition_a, submit=True, community_id=world.community_a.id)
        eligibility.decide(
            session,
            actor=world.organizer_a,
            rnd=first,
            proposal=extra,
            outcome="pass",
            reason=None,
            checked=all_items(first),
        )
    end_submission(session, world.edition_a)
    eligibility.close_round(session, actor=world.organizer_a, rnd=first)
    session.commit()
    assert measure() == small
