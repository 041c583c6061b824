"""flask seed-demo: fixed demo logins, realistic proposals, safe to run twice."""

from __future__ import annotations

from sqlalchemy import func, select

from grants.auth import service as auth_service
from grants.auth.models import User
from grants.demo import DEMO_PASSWORD
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
    for login in [
        "organizer",
        "finance",
        "staff1",
        "street1",
        *(f"judge{i}" for i in range(1, 6)),
        *(f"resident{i}" for i in range(1, 4)),
    ]:
        assert auth_service.authenticate(session, login=login, password=DEMO_PASSWORD) is not None, login
    statuses = {p.status for p in session.scalars(select(Proposal))}
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
    from grants.judging.models import Assignment

    app.test_cli_runner().invoke(args=["seed-demo"])
    session.commit()
    judge1 = session.scalar(select(User).where(User.username == "judge1"))
    sheets = session.scalars(select(Assignment)).unique().all()
    assert sheets and {a.round.status for a in sheets} == {"open"}
    mine = [a for a in sheets if a.judge_id == judge1.id]
    assert mine and all(a.status == "assigned" for a in mine)
    assert all(a.status == "submitted" for a in sheets if a.judge_id != judge1.id)
    login_as(judge1)
    assert f"已完成 0 / {len(mine)}" in client.get("/review/queue").get_data(as_text=True)
    login_as(session.scalar(select(User).where(User.username == "organizer")))
    body = client.get(f"/review/rounds/{mine[0].round_id}/results").get_data(as_text=True)
    assert "催办名单" in body and judge1.display_name in body
