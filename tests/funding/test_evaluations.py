"""Evaluating reports with the rubric: what a passed or failed mid-term and final evaluation do."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.errors import DomainError, InvalidTransition, NotAllowed
from grants.funding import evaluations, plan, rubrics, service
from grants.funding.models import GrantEvaluation, GrantReport, GrantStatus
from grants.funding.tranches import Part
from tests.funding.reporting import evaluate, lead, start, submit


@pytest.fixture
def grant(make_grant, sign_grant, world, session, kept):
    """A running grant of an edition whose plan is 50 % on signing / 40 % after the mid-term / 10 %."""

    def build():
        plan.replace_plan(
            session,
            actor=world.organizer_a,
            edition=world.edition_a,
            parts=[
                Part("首期", 5000, "on_signing"),
                Part("中期款", 4000, "after_midterm_passed"),
                Part("尾款", 1000, "after_final_passed"),
            ],
        )
        session.commit()
        grant = make_grant(world.edition_a, approved_fen=1_000_000, community=world.community_a)
        sign_grant(grant)
        return start(session, grant, world)

    return kept("funding.evaluations.grant", build)


def scores_for(session, grant, kind, points):
    rubric = rubrics.ensure_rubric(session, grant.edition_id, kind)
    return {i.id: str(p) for i, p in zip(rubric.indicators, points, strict=True)}


def test_a_passed_midterm_releases_the_tranche_that_waits_for_it(session, grant, world):
    midterm_tranche = service.tranches_of(session, grant.id)[1]
    assert "中期评估通过后" in service.condition_refusal(session, grant, midterm_tranche)
    report = submit(session, grant)
    evaluation = evaluations.evaluate_report(
        session,
        actor=world.organizer_a,
        report=report,
        scores=scores_for(session, grant, "midterm", [20, 15, 15, 10]),
        comment="",
    )
    session.commit()
    assert evaluation.total_points == 60 and evaluation.passed and evaluation.pass_mark == 60
    assert report.status == "evaluated" and grant.status == GrantStatus.IN_PROGRESS.value
    assert service.condition_refusal(session, grant, midterm_tranche) is None
    # the final tranche still waits
    assert "结项评估" in service.condition_refusal(session, grant, service.tranches_of(session, grant.id)[2])
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "grant_evaluation.record")).one()
    assert entry.after["passed"] is True and entry.after["scores"]["项目执行"] == 20
    assert session.scalars(select(AuditEntry.action).where(AuditEntry.action == "grant_report.evaluate")).one()


def test_a_failed_midterm_suspends_the_grant_with_the_reason_in_the_same_transaction(session, grant, world):
    report = submit(session, grant)
    evaluations.evaluate_report(
        session,
        actor=world.organizer_a,
        report=report,
        scores=scores_for(session, grant, "midterm", [20, 15, 15, 9]),
        comment="活动记录不全",
    )
    assert grant.status == GrantStatus.SUSPENDED.value  # before the commit: one transaction
    session.commit()
    assert grant.status_reason == "中期评估未通过（59分，合格分60分）：活动记录不全"
    suspend = session.scalars(select(AuditEntry).where(AuditEntry.action == "grant.suspend")).one()
    assert suspend.actor_id == world.organizer_a.id and "活动记录不全" in suspend.reason
    midterm_tranche = service.tranches_of(session, grant.id)[1]
    assert "停拨" in service.condition_refusal(session, grant, midterm_tranche)
    # the team cannot report while suspended; once resumed by hand it submits again
    with pytest.raises(DomainError, match="资助已停拨"):
        submit(session, grant)
    session.rollback()
    service.change_status(session, actor=world.organizer_a, grant=grant, target="in_progress", reason="已整改")
    session.commit()
    assert grant.status_reason == ""
    evaluate(session, submit(session, grant), world, passed=True)
    assert service.condition_refusal(session, grant, midterm_tranche) is None


def test_a_failed_evaluation_needs_a_comment_and_scores_must_fit_the_rubric(session, grant, world):
    report = submit(session, grant)
    attempts = [
        ([0, 0, 0, 0], "", "请填写评语"),
        ([31, 0, 0, 0], "x", "“项目执行”请填写0到30之间的整数"),
        (["-1", 0, 0, 0], "x", "项目执行"),
        (["1.5", 0, 0, 0], "x", "项目执行"),
        (["1" * 5000, 0, 0, 0], "x", "项目执行"),  # past int()'s 4,300-digit limit
    ]
    for points, comment, message in attempts:
        with pytest.raises(DomainError, match=message):
            evaluations.evaluate_report(
                session,
                actor=world.organizer_a,
                report=report,
                scores=scores_for(session, grant, "midterm", points),
                comment=comment,
            )
        session.rollback()
    with pytest.raises(DomainError, match="档案规范"):
        evaluations.evaluate_report(
            session,
            actor=world.organizer_a,
            report=report,
            scores=dict(list(scores_for(session, grant, "midterm", [1, 1, 1, 1]).items())[:3]),
            comment="x",
        )
    session.rollback()
    assert session.scalar(select(func.count(GrantEvaluation.id))) == 0
    assert session.get(GrantReport, report.id).status == "submitted"
    assert grant.status == GrantStatus.IN_PROGRESS.value


def test_only_the_organizer_evaluates_and_only_once(session, grant, world):
    report = submit(session, grant)
    scores = scores_for(session, grant, "midterm", [30, 25, 25, 20])
    session.commit()
    for other in (world.finance_a, world.staff_a, lead(session, grant), world.organizer_b):
        with pytest.raises(NotAllowed):
            evaluations.evaluate_report(session, actor=other, report=report, scores=scores, comment="")
        session.rollback()
    evaluate(session, report, world, passed=True)
    with pytest.raises(InvalidTransition, match="不在待评估状态"):
        evaluations.evaluate_report(session, actor=world.organizer_a, report=report, scores=scores, comment="")
    session.rollback()
    returned = submit(session, grant, kind="final")
    from grants.funding import reports

    reports.return_report(session, actor=world.organizer_a, report=returned, reason="重写")
    session.commit()
    with pytest.raises(InvalidTransition):
        evaluations.evaluate_report(session, actor=world.organizer_a, report=returned, scores=scores, comment="")


def test_the_final_evaluation_releases_the_last_tranche_or_sends_the_grant_back(session, grant, world):
    evaluate(session, submit(session, grant), world, passed=True)
    first = submit(session, grant, kind="final")
    assert grant.status == GrantStatus.COMPLETING.value
    evaluate(session, first, world, passed=False, comment="账目不清")
    assert grant.status == GrantStatus.IN_PROGRESS.value
    assert "结项评估" in service.condition_refusal(session, grant, service.tranches_of(session, grant.id)[2])
    second = submit(session, grant, kind="final")
    evaluate(session, second, world, passed=True)
    assert grant.status == GrantStatus.COMPLETING.value
    assert service.condition_refusal(session, grant, service.tranches_of(session, grant.id)[2]) is None


def test_the_organizer_evaluates_from_the_report_page_and_the_grant_page_says_who_suspended(
    session, client, login_as, grant, world
):
    report = submit(session, grant)
    scores = scores_for(session, grant, "midterm", [10, 10, 10, 10])
    session.commit()
    login_as(world.finance_a)
    url = f"/funding/reports/{report.id}/evaluation"
    form = {f"score-{k}": v for k, v in scores.items()} | {"comment": "进度严重滞后"}
    assert client.post(url, data=form).status_code == 403
    login_as(lead(session, grant))
    assert client.post(url, data=form).status_code == 403
    session.expire_all()
    assert session.get(GrantReport, report.id).status == "submitted"
    login_as(world.organizer_a)
    page = client.post(url, data={**form, f"score-{next(iter(scores))}": "99"}, follow_redirects=True)
    assert "请填写0到30之间的整数" in page.text
    page = client.post(url, data=form, follow_redirects=True)
    assert "未通过（40分）" in page.text and "40分（合格分60）" in page.text
    session.expire_all()
    assert session.get(type(grant), grant.id).status == "suspended"
    for viewer in (world.organizer_a, lead(session, grant)):
        login_as(viewer)
        page = client.get(f"/funding/grants/{grant.id}")
        assert world.organizer_a.display_name in page.text and "进度严重滞后" in page.text
        assert "资助已停拨，恢复拨付后才能提交报告" in page.text or viewer is world.organizer_a


def test_the_report_page_offers_the_rubric_stored_when_the_report_came_in(session, client, login_as, grant, world):
    report = submit(session, grant, kind="final")
    login_as(world.organizer_a)
    page = client.get(f"/funding/reports/{report.id}")
    indicators = rubrics.current(session, grant.edition_id, "final").indicators
    assert all(i.id is not None and f'name="score-{i.id}"' in page.text for i in indicators)
    form = {f"score-{i.id}": str(i.max_points) for i in indicators}
    page = client.post(f"/funding/reports/{report.id}/evaluation", data=form, follow_redirects=True)
    assert "通过（100分）" in page.text
    page = client.get(f"/funding/grants/{grant.id}")
    assert "100分（合格分60）" in page.text and 'value="settled"' in page.text  # nothing paid, nothing spent


def test_a_suspension_by_hand_shows_who_decided_on_the_grant_page(session, client, login_as, grant, world):
    login_as(world.organizer_a)
    client.post(f"/funding/grants/{grant.id}/status", data={"target": "suspended", "reason": "账目待核查"})
    login_as(world.staff_a)
    page = client.get(f"/funding/grants/{grant.id}")
    assert "账目待核查" in page.text and world.organizer_a.display_name in page.text and "“已停拨”" in page.text
