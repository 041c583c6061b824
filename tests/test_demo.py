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


def test_demo_past_grants_carried_through_funding(app, client, session, login_as):
    """Issue 13 item 11: the past edition's five grants went through the funding services —
    agreements with scans, four-eyes tranches, expenses with receipts, a budget change, mid-term
    evaluations (one failed → suspended), one grant settled with its surplus refunded — and
    finance has a request to approve and one to pay; the books agree and the dates are last year's."""
    from collections import Counter

    from grants.funding import balances, ledger
    from grants.funding.models import (
        BudgetChange,
        BudgetVersion,
        BudgetVersionLine,
        Disbursement,
        Expense,
        Grant,
        GrantEvaluation,
        GrantReport,
        LedgerEntry,
    )
    from grants.proposals.models import Attachment

    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "its grants carried through funding" in result.output, result.output
    session.commit()
    past = session.scalar(select(Edition).where(Edition.number == 2))
    grants = session.scalars(select(Grant).where(Grant.edition_id == past.id).order_by(Grant.id)).all()
    by_lead = {g.proposal.applicant.username: g for g in grants}
    users = {u.username: u for u in session.scalars(select(User))}
    organizer, finance = users["organizer"], users["finance"]
    assert Counter(g.status for g in grants) == {"in_progress": 3, "suspended": 1, "settled": 1}
    assert by_lead["resident3"].status == "settled" and by_lead["resident7"].status == "suspended"
    assert "中期评估未通过" in by_lead["resident7"].status_reason
    year_ago = timeutil.today() - timedelta(days=366)
    for grant in grants:
        scan = session.get(Attachment, grant.agreement_scan_id)
        assert scan is not None and scan.mime == "image/png" and scan.proposal_id is None
        assert year_ago < grant.signed_on < timeutil.today() - timedelta(days=300)
        assert grant.signed_at < timeutil.now() - timedelta(days=300) and grant.agreement_no

    # Four eyes: every tranche asked for by the organizer, approved and paid by finance.
    disbursements = session.scalars(select(Disbursement).order_by(Disbursement.id)).all()
    assert Counter(d.status for d in disbursements) == {"paid": 8, "requested": 1, "approved": 1}
    assert {d.requested_by_id for d in disbursements} == {organizer.id}
    assert {d.approved_by_id for d in disbursements if d.status != "requested"} == {finance.id}
    assert {d.paid_by_id for d in disbursements if d.status == "paid"} == {finance.id}
    by_grant = {g.id: g for g in grants}
    for d in disbursements:
        assert d.requested_at <= (d.approved_at or d.requested_at) < timeutil.now()
        if d.paid_on is not None:
            assert by_grant[d.grant_id].signed_on <= d.paid_on <= timeutil.today() and d.voucher_ref
    waiting = {d.status: by_grant[d.grant_id].proposal.applicant.username for d in disbursements if d.status != "paid"}
    assert waiting == {"requested": "resident2", "approved": "resident1"}

    # Expenses with receipts: accepted, rejected with a reason, pending; reviewed by organizer or staff.
    expenses = session.scalars(select(Expense)).all()
    assert Counter(e.status for e in expenses) == {"accepted": 13, "rejected": 3, "pending": 4}
    assert all(e.receipt_id is not None for e in expenses)
    assert all(e.review_note for e in expenses if e.status == "rejected")
    assert {e.reviewed_by_id for e in expenses if e.status != "pending"} <= {organizer.id, users["staff1"].id}
    assert all(e.recorded_by_id == by_grant[e.grant_id].proposal.applicant_id for e in expenses)
    assert all(by_grant[e.grant_id].signed_on <= e.spent_on <= timeutil.today() for e in expenses)
    assert all(e.reviewed_at is None or e.recorded_at <= e.reviewed_at < timeutil.now() for e in expenses)
    assert all(e.spent_on >= timeutil.today() - timedelta(days=30) for e in expenses if e.status == "pending")
    resident1_statuses = {e.status for e in expenses if e.grant_id == by_lead["resident1"].id}
    assert resident1_statuses == {"accepted", "rejected", "pending"}

    # One budget change approved: version 2 whose lines add up to the approved amount.
    change = session.scalars(select(BudgetChange)).one()
    assert change.status == "approved" and change.grant_id == by_lead["resident1"].id
    version = session.get(BudgetVersion, change.version_id)
    lines = session.scalars(select(BudgetVersionLine.amount_fen).where(BudgetVersionLine.version_id == version.id))
    assert version.number == 2 and sum(lines) == by_lead["resident1"].approved_fen

    # Reports and evaluations: five mid-terms (one failed), one final (passed).
    evaluations = session.scalars(select(GrantEvaluation)).all()
    assert (
        sorted((e.kind, e.passed) for e in evaluations)
        == [("final", True)] + [("midterm", False)] + [("midterm", True)] * 4
    )
    assert next(e for e in evaluations if not e.passed).grant_id == by_lead["resident7"].id
    assert session.scalar(select(func.count()).select_from(GrantReport)) == 6
    assert max(r.submitted_at for r in session.scalars(select(GrantReport))) < timeutil.now()

    # The books: each grant's ledger is Σ paid − refunds; the settled grant balances exactly.
    figures = balances.of_grants(session, [g.id for g in grants])
    for grant in grants:
        paid = sum(d.amount_fen for d in disbursements if d.grant_id == grant.id and d.status == "paid")
        refunds = -sum(
            session.scalars(
                select(LedgerEntry.amount_fen).where(LedgerEntry.grant_id == grant.id, LedgerEntry.kind == "refund")
            )
        )
        assert ledger.balance(session, grant.id) == paid - refunds == figures[grant.id].held_fen
        assert paid <= grant.approved_fen
        assert figures[grant.id].unspent_fen >= 0  # no team has accepted spending beyond what it was paid
    settled = figures[by_lead["resident3"].id]
    assert settled.paid_fen == by_lead["resident3"].approved_fen and settled.refunded_fen > 0
    assert settled.held_fen == settled.accepted_expenses_fen and settled.pending_expenses_fen == 0
    try:
        from grants.funding import reconcile
    except ImportError:
        reconcile = None
    if reconcile is not None:  # the reconciliation (issue 13 item 9) once it is merged
        summary = reconcile.reconcile(session, past.id)
        assert summary.ok, [(r.title, r.problems) for r in summary.failing]

    # What the logins find: finance's queue, the lead's grant with its expenses, the settled grant.
    login_as(finance)
    queue = client.get("/funding/queue").get_data(as_text=True)
    assert by_lead["resident2"].proposal.title in queue and by_lead["resident1"].proposal.title in queue
    home = client.get("/").get_data(as_text=True)
    assert "1笔拨款等待您审批" in home and "1笔已审批的拨款等待登记拨付" in home
    login_as(users["resident1"])
    assert f'href="/funding/grants/{by_lead["resident1"].id}"' in client.get("/my/proposals").get_data(as_text=True)
    page = client.get(f"/funding/grants/{by_lead['resident1'].id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "东湖五金店" in body and "票据照片模糊" in body
    assert client.get(f"/funding/grants/{by_lead['resident3'].id}").status_code == 404
    login_as(organizer)
    assert client.get(f"/funding/grants/{by_lead['resident3'].id}").status_code == 200


def test_demo_groups_have_a_year_of_activities_and_star_ratings(app, client, session, login_as):
    """Issue 14 item 8: the past edition's funded teams (not the suspended one) and older groups
    without a grant; a year of activities (confirmed, returned, waiting) with volunteer hours; a
    final 2025 campaign (one five-star, two four-star, one three-star group) and a 2026 campaign at
    the street stage; staff1 has activities to confirm and street1 groups to score."""
    from collections import Counter

    from grants.incubation.models import Activity, Group, StarCampaign, StarNomination, VolunteerHours
    from grants.incubation.ratings import queries as rating_queries

    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "resident groups with a year of activities" in result.output, result.output
    session.commit()
    groups = session.scalars(select(Group).order_by(Group.id)).all()
    from_grants = [g for g in groups if g.origin_grant_id is not None]
    assert len(from_grants) == 4 and len(groups) - len(from_grants) == 4
    assert "resident7" not in {g.leader.username for g in groups}  # the suspended grant's team
    assert all(g.status == "filed" and g.filing_no for g in groups if g.origin_grant_id is None)

    statuses = Counter(a.status for a in session.scalars(select(Activity)))
    assert statuses["confirmed"] > 150 and statuses["returned"] > 0 and statuses["pending"] > 0
    first, last = session.execute(select(func.min(Activity.starts_at), func.max(Activity.starts_at))).one()
    assert first.date() < timeutil.today() - timedelta(days=300) and last.date() <= timeutil.today()
    assert session.scalar(select(func.count(VolunteerHours.id))) > 300
    returned = session.scalars(select(Activity).where(Activity.status == "returned")).all()
    assert all(a.return_reason for a in returned)

    campaigns = {c.year: c for c in session.scalars(select(StarCampaign))}
    assert campaigns[2025].status == "final" and campaigns[2026].status == "street_review"
    stars = sorted(
        n.decided_stars
        for n in session.scalars(select(StarNomination).where(StarNomination.campaign_id == campaigns[2025].id))
    )
    assert stars == [3, 4, 4, 5]
    current = rating_queries.current_stars_of(session, [g.id for g in groups])
    assert sorted(r.stars for r in current.values()) == [3, 4, 4, 5]

    users = {u.username: u for u in session.scalars(select(User))}
    login_as(users["staff1"])
    assert "条组织活动待核实" in client.get("/").get_data(as_text=True)
    login_as(users["street1"])
    assert "个组织等待街道初评评分" in client.get("/").get_data(as_text=True)
