"""50 concurrent identical requests against every state-changing route with an "at most once"
or "at most N" rule, on the database the suite runs on (SQLite, or PostgreSQL through
TEST_DATABASE_URL).

Each request comes from its own client (own session cookie, own CSRF token); the threads are
released together by a barrier. For each route the rule must hold (rows and states), the audit
log must have exactly the expected new entries, and no answer may be a 500. A one-line summary
per route (answers by status, wall time) is printed and appended to test-artifacts/races.txt.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pytest
from flask import url_for
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.auth.models import User
from grants.funding import disbursements
from grants.funding import service as funding_service
from grants.funding.models import Disbursement, Grant, LedgerEntry
from grants.judging import awards
from grants.judging.models import Assignment, AwardTier, RoundResult, Score
from grants.proposals.models import Proposal, ProposalVersion
from grants.results import objections
from grants.results import service as results_service
from grants.results.models import Objection, Publication
from tests.conftest import IS_POSTGRES
from tests.funding.conftest import make_grant, scan, sign_grant  # noqa: F401  (fixtures used here)
from tests.judging.conftest import assigned, final_closed, scoring  # noqa: F401  (fixtures used here)
from tests.judging.helpers import score_round, split_total
from tests.proposals.test_views import _form_data
from tests.results.conftest import awarded, move_window_into_the_past, published  # noqa: F401

RACERS = 50
BACKEND = "postgresql" if IS_POSTGRES else "sqlite"


@dataclass
class Race:
    """One route under attack: what every racer posts, and what must be true afterwards."""

    endpoint: str
    values: dict
    data: dict
    user: object | None  # None: anonymous
    # check(session, statuses) asserts the rule held; returns the audit entries expected (action → n)
    check: Callable[[object, Counter], dict[str, int]]
    notes: list[str] = field(default_factory=list)


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


# --- the routes, each arranged from the suite's fixtures ------------------------------------------


def objection_filing(request, session, world, make) -> Race:
    publication, _proposals = request.getfixturevalue("published")
    entry = results_service.with_entries(session, publication.id).entries[0]

    def check(session, statuses):
        filed = _count(session, Objection, Objection.author_id == world.resident.id)
        assert filed == objections.MAX_PER_AUTHOR
        assert statuses[302] == objections.MAX_PER_AUTHOR
        return {"objection.file": objections.MAX_PER_AUTHOR}

    text = "公示名单中该项目的预算与申报书不一致，请核实。"
    return Race("results.object", {"entry_id": entry.id}, {"text": text}, world.resident, check)


def objection_answering(request, session, world, make) -> Race:
    publication, _proposals = request.getfixturevalue("published")
    entry = results_service.with_entries(session, publication.id).entries[0]
    objection = objections.file_objection(
        session, actor=world.resident, entry=entry, text="该项目的预算与申报书不一致，请核实。"
    )
    session.commit()
    objection_id = objection.id

    def check(session, statuses):
        answered = session.get(Objection, objection_id)
        assert answered.status == "dismissed" and answered.answered_by_id == world.organizer_a.id
        assert statuses[302] == 1
        return {"objection.dismiss": 1}

    data = {"outcome": "dismissed", "reply": "经核实，预算一致，异议不成立。"}
    return Race("results.answer", {"objection_id": objection_id}, data, world.organizer_a, check)


def sheet_submit(request, session, world, make) -> Race:
    rnd, _proposals, _judges = request.getfixturevalue("assigned")
    assignment = session.scalars(
        select(Assignment).where(Assignment.round_id == rnd.id, Assignment.judge_id == world.judge_a.id)
    ).first()
    points = {f"c{cid}": value for cid, value in split_total(rnd, 60).items()}
    criteria, assignment_id = len(rnd.criteria), assignment.id

    def check(session, statuses):
        sheet = session.get(Assignment, assignment_id)
        assert sheet.status == "submitted"
        assert _count(session, Score, Score.assignment_id == assignment_id) == criteria
        assert statuses[302] == 1
        return {"sheet.submit": 1}

    data = {**points, "comment": "思路清楚", "action": "submit"}
    return Race("judging.sheet", {"assignment_id": assignment_id}, data, world.judge_a, check)


def proposal_submit(request, session, world, make) -> Race:
    edition = world.edition_a
    proposal = make.proposal(edition, world.resident, community_id=world.community_a.id)
    data = _form_data(session, edition, action="submit", community_id=world.community_a.id)
    proposal_id = proposal.id

    def check(session, statuses):
        assert session.get(Proposal, proposal_id).status == "submitted"
        assert _count(session, ProposalVersion, ProposalVersion.proposal_id == proposal_id) == 1
        return {"proposal.submit": 1}

    return Race("proposals.edit", {"proposal_id": proposal_id}, data, world.resident, check)


def registration(request, session, world, make) -> Race:
    login = "13812345678"

    def check(session, statuses):
        assert _count(session, User, User.mobile == login) == 1
        return {"user.register": 1}

    data = {"login": login, "display_name": "张三", "community_id": "0", "password": "s3cret-words-9", "confirm": ""}
    data["confirm"] = data["password"]
    return Race("auth.register", {}, data, None, check)


def round_close(request, session, world, make) -> Race:
    rnd, proposals, _judges = request.getfixturevalue("assigned")
    score_round(session, rnd, lambda judge_id, proposal_id: 50 + proposal_id % 7)
    session.commit()
    round_id, count = rnd.id, len(proposals)

    def check(session, statuses):
        assert _count(session, RoundResult, RoundResult.round_id == round_id) == count
        return {"round.close": 1, "round.results": 1}

    return Race("judging.close_round", {"round_id": round_id}, {}, world.organizer_a, check)


def publish(request, session, world, make) -> Race:
    edition, final, _proposals = request.getfixturevalue("awarded")
    draft = results_service.prepare(
        session, actor=world.organizer_a, edition=edition, rnd=final, settings=results_service.Settings(title="公示")
    )
    session.commit()
    publication_id = draft.id

    def check(session, statuses):
        assert session.get(Publication, publication_id).status == "published"
        return {"publication.publish": 1, "publication.window": 1, "edition.publicize": 1}

    return Race("results.publish", {"publication_id": publication_id}, {}, world.organizer_a, check)


def finalize(request, session, world, make) -> Race:
    publication, _proposals = request.getfixturevalue("published")
    move_window_into_the_past(session, publication)
    publication_id, winners = publication.id, len(results_service.with_entries(session, publication.id).entries)

    def check(session, statuses):
        assert session.get(Publication, publication_id).status == "final"
        assert _count(session, Grant) == winners
        return {"publication.finalize": 1, "grant.create": winners, "edition.fund": 1}

    return Race("results.finalize", {"publication_id": publication_id}, {}, world.organizer_a, check)


def award_tiers(request, session, world, make) -> Race:
    edition, _final, _proposals = request.getfixturevalue("final_closed")
    edition_id = edition.id

    def check(session, statuses):
        tiers = session.execute(
            select(AwardTier.name, AwardTier.winners).where(AwardTier.edition_id == edition_id).order_by("position")
        ).all()
        assert [tuple(t) for t in tiers] == [("一等奖", 1), ("二等奖", 2)]
        # Each accepted request replaced the tiers once, in turn: one audit entry each.
        assert statuses[302] >= 1
        return {"edition.award_tiers": statuses[302]}

    data = {
        "action": "tiers",
        "tier_name_1": "一等奖",
        "tier_count_1": "1",
        "tier_name_2": "二等奖",
        "tier_count_2": "2",
    }
    return Race("judging.awards_page", {"edition_id": edition_id}, data, world.organizer_a, check)


def award_assignment(request, session, world, make) -> Race:
    edition, final, _proposals = request.getfixturevalue("final_closed")
    awards.set_tiers(
        session,
        actor=world.organizer_a,
        edition=edition,
        rows=[awards.TierInput("一等奖", "1"), awards.TierInput("二等奖", "2")],
    )
    session.commit()
    edition_id, round_id = edition.id, final.id

    def check(session, statuses):
        dealt = session.scalars(
            select(RoundResult.tier).where(RoundResult.round_id == round_id, RoundResult.tier.is_not(None))
        ).all()
        assert sorted(dealt) == ["一等奖", "二等奖", "二等奖"]
        assert statuses[302] >= 1
        return {"round.award_tiers": statuses[302]}

    return Race("judging.awards_page", {"edition_id": edition_id}, {"action": "assign"}, world.organizer_a, check)


def _signed_grant(request, world):
    grant = request.getfixturevalue("make_grant")(world.edition_a, community=world.community_a)
    return request.getfixturevalue("sign_grant")(grant)


def disbursement_request(request, session, world, make) -> Race:
    grant = _signed_grant(request, world)
    tranche = funding_service.tranches_of(session, grant.id)[0]
    grant_id, tranche_id = grant.id, tranche.id

    def check(session, statuses):
        live = session.scalars(select(Disbursement).where(Disbursement.tranche_id == tranche_id)).all()
        assert [d.status for d in live] == ["requested"]
        assert statuses[302] == RACERS  # one accepted, the others told the tranche is already asked for
        return {"disbursement.request": 1}

    return Race(
        "funding.request_disbursement", {"grant_id": grant_id, "tranche_id": tranche_id}, {}, world.organizer_a, check
    )


def disbursement_approval(request, session, world, make) -> Race:
    grant = _signed_grant(request, world)
    tranche = funding_service.tranches_of(session, grant.id)[0]
    disbursement = disbursements.request(session, actor=world.organizer_a, tranche=tranche)
    session.commit()
    values = {"grant_id": grant.id, "disbursement_id": disbursement.id}
    disbursement_id = disbursement.id

    def check(session, statuses):
        approved = session.get(Disbursement, disbursement_id)
        assert approved.status == "approved" and approved.approved_by_id == world.finance_a.id
        assert statuses[302] == RACERS
        return {"disbursement.approve": 1}

    return Race("funding.approve_disbursement", values, {}, world.finance_a, check)


def disbursement_payment(request, session, world, make) -> Race:
    grant = _signed_grant(request, world)
    tranche = funding_service.tranches_of(session, grant.id)[0]
    disbursement = disbursements.request(session, actor=world.organizer_a, tranche=tranche)
    disbursements.approve(session, actor=world.finance_a, disbursement=disbursement)
    session.commit()
    values = {"grant_id": grant.id, "disbursement_id": disbursement.id}
    grant_id, disbursement_id, amount = grant.id, disbursement.id, tranche.amount_fen

    def check(session, statuses):
        assert session.get(Disbursement, disbursement_id).status == "paid"
        assert _count(session, Disbursement, Disbursement.status == "paid") == 1
        entries = session.scalars(select(LedgerEntry).where(LedgerEntry.grant_id == grant_id)).all()
        assert [(e.kind, e.amount_fen) for e in entries] == [("disbursement", amount)]
        assert session.get(Grant, grant_id).status == "in_progress"
        assert statuses[302] == RACERS
        return {"disbursement.pay": 1, "ledger.record": 1, "grant.start": 1}

    data = {"paid_on": "2026-11-25", "voucher_ref": "PZ-2026-001"}
    return Race("funding.pay_disbursement", values, data, world.finance_a, check)


def _disbursement_at(request, session, world, step: str):
    """A disbursement of a signed grant's first tranche, taken as far as ``step``."""
    grant = _signed_grant(request, world)
    tranche = funding_service.tranches_of(session, grant.id)[0]
    disbursement = disbursements.request(session, actor=world.organizer_a, tranche=tranche)
    if step in ("approved", "paid"):
        disbursements.approve(session, actor=world.finance_a, disbursement=disbursement)
    if step == "paid":
        disbursements.record_payment(
            session, actor=world.finance_a, disbursement=disbursement, paid_on=date(2026, 11, 25), voucher_ref="PZ-1"
        )
    session.commit()
    return grant, disbursement


def _closing_race(step: str, endpoint: str, target: str, actions: dict[str, int], returned: bool = False):
    """Reject, record a failure, record a return: 50 at once make one change (one opposite entry)."""

    def arrange(request, session, world, make) -> Race:
        grant, disbursement = _disbursement_at(request, session, world, step)
        grant_id, disbursement_id, amount = grant.id, disbursement.id, disbursement.amount_fen

        def check(session, statuses):
            closed = session.get(Disbursement, disbursement_id)
            assert closed.status == target and closed.note == "银行退票"
            amounts = session.scalars(select(LedgerEntry.amount_fen).where(LedgerEntry.grant_id == grant_id)).all()
            assert sorted(amounts) == ([-amount, amount] if returned else [amount] if step == "paid" else [])
            assert statuses[302] == RACERS
            return actions

        values = {"grant_id": grant_id, "disbursement_id": disbursement_id}
        return Race(endpoint, values, {"reason": "银行退票"}, world.finance_a, check)

    return arrange


ROUTES: dict[str, Callable] = {
    "objection filing (≤5 per user and notice)": objection_filing,
    "objection answer (once)": objection_answering,
    "sheet submit (once)": sheet_submit,
    "proposal submit (once)": proposal_submit,
    "registration (one account per mobile)": registration,
    "round close (once)": round_close,
    "publish (once)": publish,
    "finalize (once; one grant per winner)": finalize,
    "award tiers (one set per edition)": award_tiers,
    "award assignment (one tier per result)": award_assignment,
    "disbursement request (one live per tranche)": disbursement_request,
    "disbursement approval (once)": disbursement_approval,
    "disbursement payment (paid once, one ledger entry)": disbursement_payment,
    "disbursement rejection (once)": _closing_race(
        "requested", "funding.reject_disbursement", "rejected", {"disbursement.reject": 1}
    ),
    "disbursement failure (once, nothing moved)": _closing_race(
        "approved", "funding.fail_disbursement", "failed", {"disbursement.fail": 1}
    ),
    "disbursement returned (once, one opposite entry)": _closing_race(
        "paid", "funding.return_disbursement", "returned", {"disbursement.return": 1, "ledger.record": 1}, True
    ),
}


# --- firing ---------------------------------------------------------------------------------------


def _client_for(app, user):
    """A browser of its own: its session cookie (signed in as ``user``) and its CSRF token,
    made as Flask-WTF's generate_csrf() makes them (without fetching a page 50 times)."""
    client = app.test_client()
    raw = secrets.token_hex(20)
    http_session = {"csrf_token": raw}
    if user is not None:
        http_session.update(_user_id=user.get_id(), _fresh=True)
    cookie = app.session_interface.get_signing_serializer(app).dumps(http_session)
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    client._token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    return client


def fire_each(clients, requests: list[tuple[str, dict]]) -> tuple[list[object], float]:
    """POST ``requests[i]`` (url, form) from ``clients[i]``, every one released at the same instant;
    the answers' status codes (or the error a racer met) in order, and the wall time."""
    barrier = threading.Barrier(len(clients))
    answers: list[object] = [None] * len(clients)

    def racer(i: int) -> None:
        barrier.wait()
        url, data = requests[i]
        try:
            # Each racer is its own browser at its own address, so per-address limits do not decide the race.
            address = {"REMOTE_ADDR": f"10.77.{i // 200}.{i % 200 + 1}"}
            answers[i] = clients[i].post(url, data=dict(data), environ_base=address).status_code
        except Exception as exc:  # reported as a failed answer by the caller
            answers[i] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(len(clients))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, time.perf_counter() - started


def _fire(app, url: str, data: dict, clients) -> tuple[Counter, float]:
    answers, seconds = fire_each(clients, [(url, data)] * len(clients))
    return Counter(answers), seconds


def _audit_actions(session) -> Counter:
    return Counter(dict(session.execute(select(AuditEntry.action, func.count()).group_by(AuditEntry.action)).all()))


@pytest.mark.parametrize("route", list(ROUTES), ids=list(ROUTES))
def test_fifty_identical_requests_keep_the_rule(route, request, app, session, world, make, artifacts_dir):
    race = ROUTES[route](request, session, world, make)
    with app.test_request_context():
        url = url_for(race.endpoint, **race.values)
    clients = [_client_for(app, race.user) for _ in range(RACERS)]
    session.commit()
    before = _audit_actions(session)

    statuses, elapsed = _fire(app, url, race.data, clients)

    session.commit()  # a new read transaction sees what the racers wrote
    summary = f"{BACKEND:10} {route:40} {dict(sorted(statuses.items(), key=str))} in {elapsed:.2f}s"
    print(summary)
    with (artifacts_dir / "races.txt").open("a", encoding="utf-8") as out:
        out.write(summary + "\n")
    assert all(isinstance(status, int) for status in statuses), statuses
    assert statuses[500] == 0, summary
    expected = race.check(session, statuses)
    added = _audit_actions(session) - before
    assert added == Counter(expected), f"audit entries added: {dict(added)}"
