"""flask seed-demo: fixed demo logins, realistic proposals, safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from grants import timeutil
from grants.auth import service as auth_service
from grants.auth.models import User
from grants.demo import DEMO_PASSWORD
from grants.editions.models import Edition
from grants.proposals import service as ps
from grants.proposals.models import Proposal, TeamMember


def test_seed_demo_is_idempotent_and_its_proposals_follow_the_rules(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    session.commit()
    counts = (
        session.scalar(select(func.count()).select_from(User)),
        session.scalar(select(func.count()).select_from(Proposal)),
    )
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "0 new demo proposals" in again.output
    session.commit()
    assert counts == (
        session.scalar(select(func.count()).select_from(User)),
        session.scalar(select(func.count()).select_from(Proposal)),
    )
    current_id = session.scalar(select(Edition.id).where(Edition.number == 3))
    for login in [
        "organizer",
        "finance",
        "staff1",
        "street1",
        *(f"judge{i}" for i in range(1, 6)),
        *(f"resident{i}" for i in range(1, 4)),
    ]:
        assert auth_service.authenticate(session, login=login, password=DEMO_PASSWORD) is not None, login
    statuses = {p.status for p in session.scalars(select(Proposal).where(Proposal.edition_id == current_id))}
    # The current edition is in review: round 1 decided every submitted proposal.
    assert {"draft", "eligible", "ineligible", "withdrawn"} <= statuses
    assert not statuses & {"submitted", "returned"}
    assert session.scalar(select(func.max(Proposal.version))) == 2
    assert all(len(m.mobile) == 11 for m in session.scalars(select(TeamMember)))
    for proposal in session.scalars(select(Proposal)).unique():
        lines = [
            ps.budget.Line(line.position, line.category_id, line.item, line.unit_price_fen, line.quantity)
            for line in proposal.budget_lines
        ]
        ps.check_proposal_budget(session, proposal.edition, lines)
        assert proposal.requested_fen == sum(line.amount_fen for line in proposal.budget_lines)


def test_home_page_offers_the_way_in_for_each_role(app, client, session, login_as):
    app.test_cli_runner().invoke(args=["seed-demo"])
    session.commit()
    staff = session.scalar(select(User).where(User.username == "staff1"))
    login_as(staff)
    assert "查看本社区的申报项目" in client.get("/").get_data(as_text=True)
    resident = session.scalar(select(User).where(User.username == "resident1"))
    login_as(resident)
    body = client.get("/").get_data(as_text=True)
    assert "我的申报" in body


def test_demo_review_leaves_judge1_a_queue_and_the_organizer_a_round_to_follow(app, client, session, login_as):
    from grants.editions.models import Edition, Round
    from grants.judging.models import Assignment

    app.test_cli_runner().invoke(args=["seed-demo"])
    session.commit()
    judge1 = session.scalar(select(User).where(User.username == "judge1"))
    current = session.scalar(select(Edition).where(Edition.number == 3))
    sheets = session.scalars(select(Assignment).join(Round).where(Round.edition_id == current.id)).unique().all()
    assert sheets and {a.round.status for a in sheets} == {"open"}
    mine = [a for a in sheets if a.judge_id == judge1.id]
    assert mine and all(a.status == "assigned" for a in mine)
    assert all(a.status == "submitted" for a in sheets if a.judge_id != judge1.id)
    login_as(judge1)
    assert f"已完成 0 / {len(mine)}" in client.get("/review/queue").get_data(as_text=True)
    login_as(session.scalar(select(User).where(User.username == "organizer")))
    body = client.get(f"/review/rounds/{mine[0].round_id}/results").get_data(as_text=True)
    assert "催办名单" in body and judge1.display_name in body


def test_demo_past_edition_is_published_corrected_and_final(app, client, session, login_as):
    """The past edition (第二届) went through every round, a notice, objections, a correction and
    the final result, all through the services; running seed-demo again adds nothing."""
    from grants.audit.models import AuditEntry
    from grants.editions.models import Round
    from grants.funding.models import Grant
    from grants.judging.models import Assignment, EligibilityDecision
    from grants.results.models import Objection, Publication, PublicationEntry

    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "past edition published and final" in first.output, first.output
    session.commit()
    past = session.scalar(select(Edition).where(Edition.number == 2))
    assert past is not None and past.name == "东湖区第二届社区公益微创投大赛" and past.status == "funding"
    assert past.submission_closes_at < session.scalar(select(Edition.submission_opens_at).where(Edition.number == 3))
    proposals = session.scalars(select(Proposal).where(Proposal.edition_id == past.id)).unique().all()
    assert len(proposals) == 12 and len({p.applicant_id for p in proposals}) == 12
    assert len({p.community_id for p in proposals}) >= 4
    assert all(p.submitted_at < past.submission_closes_at for p in proposals)
    assert sorted(p.status for p in proposals).count("ineligible") == 2
    failed = session.scalars(select(EligibilityDecision).where(EligibilityDecision.outcome == "fail")).all()
    assert all(d.reason for d in failed)
    assert set(session.scalars(select(Round.status).where(Round.edition_id == past.id))) == {"closed"}
    sheets = session.scalars(select(Assignment).join(Round).where(Round.edition_id == past.id)).unique().all()
    assert len(sheets) == 10 * 3 + 8 * 5 and {a.status for a in sheets} == {"submitted"}

    publications = session.scalars(
        select(Publication).where(Publication.edition_id == past.id).order_by(Publication.number)
    ).all()
    assert [p.status for p in publications] == ["superseded", "final"]
    notice, correction = publications
    assert correction.supersedes_id == notice.id and notice.superseded_at is not None
    assert correction.finalized_at is not None and correction.closes_at <= correction.finalized_at
    assert correction.finalized_at < timeutil.now() - timedelta(days=300)
    assert len(notice.judges) == 5
    grants = session.scalars(select(Grant).where(Grant.edition_id == past.id)).all()
    listed = session.scalars(select(PublicationEntry).where(PublicationEntry.publication_id == correction.id)).all()
    assert len(grants) == len(listed) == 5  # one 三等奖 removed by the upheld objection
    assert {g.proposal_id for g in grants} == {e.proposal_id for e in listed}
    assert sum(g.approved_fen for g in grants) <= past.pool_fen
    assert any(g.approved_fen < session.get(Proposal, g.proposal_id).requested_fen for g in grants)
    assert sorted(g.tier for g in grants) == ["一等奖", "三等奖", "三等奖", "二等奖", "二等奖"]
    answered = session.scalars(select(Objection).where(Objection.publication_id == notice.id)).all()
    assert sorted(o.status for o in answered) == ["dismissed", "dismissed", "upheld"]
    assert all(o.reply and notice.opens_at <= o.created_at < notice.closes_at for o in answered)
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"publication.publish", "publication.supersede", "publication.finalize", "grant.create"} <= actions
    assert {"objection.file", "objection.uphold", "objection.dismiss", "round.approve_amounts"} <= actions

    counts = [session.scalar(select(func.count()).select_from(m)) for m in (Publication, Grant, Objection, AuditEntry)]
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "past edition" not in again.output
    session.commit()
    assert counts == [
        session.scalar(select(func.count()).select_from(m)) for m in (Publication, Grant, Objection, AuditEntry)
    ]

    index = client.get("/results/")
    assert index.status_code == 200 and past.name in index.get_data(as_text=True)
    page = client.get(f"/results/{past.id}").get_data(as_text=True)
    assert correction.title in page and listed[0].title in page
    assert client.get(f"/results/{past.id}/notices/{notice.id}").status_code == 200


def test_demo_reads_like_real_people_wrote_it(app, session):
    """Issue 12 item 8: judges by their names (notices list them), sentences that read, and the
    past edition's sheets submitted back then, not today."""
    from grants.editions.models import Round
    from grants.judging.models import Assignment
    from grants.results.models import Publication

    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    session.commit()
    judges = session.scalars(select(User.display_name).where(User.username.like("judge%"))).all()
    assert len(judges) == 5 and not any("评审" in name or "（" in name for name in judges)
    assert all("（评审）" not in "".join(p.judges) for p in session.scalars(select(Publication)))
    summaries = session.scalars(select(Proposal.summary)).all()
    assert not any("一起樱桃社区" in s or "一起翠竹" in s for s in summaries)
    past = session.scalar(select(Edition).where(Edition.number == 2))
    submitted = session.scalars(select(Assignment.submitted_at).join(Round).where(Round.edition_id == past.id)).all()
    assert submitted and max(submitted) < timeutil.now() - timedelta(days=300)
    published = session.scalar(select(Publication.opens_at).where(Publication.edition_id == past.id))
    assert max(submitted) < published
    mobiles = session.scalars(
        select(Proposal.applicant_mobile).where(Proposal.status != "draft", Proposal.applicant_mobile.is_(None))
    ).all()
    assert mobiles == []  # every handed-in demo proposal has its applicant's mobile
