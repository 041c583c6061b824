"""Fixtures for the disbursement tests: a signed grant, its tranches, and a disbursement at each step."""

from __future__ import annotations

from datetime import date

import pytest

from grants.auth.models import Role
from grants.funding import disbursements, service
from grants.funding.models import GrantEvaluation, GrantReport

PAID_ON = date(2026, 11, 25)


@pytest.fixture
def signed(make_grant, sign_grant, world, kept):
    """A signed grant of edition A (60 % on signing, 40 % after the final evaluation passed)."""
    return kept(
        "disbursements.signed",
        lambda: sign_grant(make_grant(world.edition_a, approved_fen=380_001, community=world.community_a)),
    )


@pytest.fixture
def tranches(session, signed):
    return service.tranches_of(session, signed.id)


@pytest.fixture
def finance_a2(make, world):
    """A second finance person of district A (four eyes between persons, not only roles)."""
    return make.user("finance_a2", roles=[(Role.FINANCE, world.district_a)])


@pytest.fixture
def finance_b(make, world):
    return make.user("finance_b", roles=[(Role.FINANCE, world.district_b)])


@pytest.fixture
def organizer_finance(make, world):
    """An organizer of district A who also holds its finance role."""
    return make.user("org_fin_a", roles=[(Role.ORGANIZER, world.district_a), (Role.FINANCE, world.district_a)])


@pytest.fixture
def requested(session, world, tranches):
    disbursement = disbursements.request(session, actor=world.organizer_a, tranche=tranches[0])
    session.commit()
    return disbursement


@pytest.fixture
def approved(session, world, requested):
    disbursements.approve(session, actor=world.finance_a, disbursement=requested)
    session.commit()
    return requested


@pytest.fixture
def paid(session, world, approved):
    disbursements.record_payment(
        session, actor=world.finance_a, disbursement=approved, paid_on=PAID_ON, voucher_ref="PZ-2026-001"
    )
    session.commit()
    return approved


def pass_final_evaluation(session, grant, actor, *, passed: bool = True) -> None:
    """The final report in and evaluated (the last tranche's condition), without the report pages."""
    report = GrantReport(grant_id=grant.id, kind="final", summary="项目完成", submitted_by_id=actor.id)
    session.add(report)
    session.flush()
    session.add(
        GrantEvaluation(
            grant_id=grant.id,
            report_id=report.id,
            kind="final",
            scores={},
            total_points=80 if passed else 40,
            pass_mark=60,
            passed=passed,
            evaluator_id=actor.id,
        )
    )
    session.commit()
