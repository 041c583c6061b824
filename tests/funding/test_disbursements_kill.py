# ruff: noqa: F811  (fixtures imported from tests/funding/disbursement_fixtures.py are parameters here)
"""A process killed (SIGKILL) in the middle of recording a payment leaves the whole payment or
nothing of it: a real subprocess runs the service, pauses at a point of the transaction, tells us
through a file, and is killed with ``kill -9``; then the database is read afresh (both backends)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.funding import disbursements, ledger
from grants.funding.models import Disbursement, Grant, LedgerEntry
from tests.funding.disbursement_fixtures import (  # noqa: F401  (fixtures used here)
    PAID_ON,
    approved,
    requested,
    signed,
    tranches,
)

ROOT = Path(__file__).resolve().parents[2]
PAYMENT_ACTIONS = ("ledger.record", "disbursement.pay", "grant.start")

# Runs record_payment in its own process; at PAUSE_AT it writes the signal file and waits to be killed.
SCRIPT = textwrap.dedent(
    """
    import sys, time
    from datetime import date
    from pathlib import Path

    url, disbursement_id, actor_id, signal_file, pause_at, workdir = sys.argv[1:]
    from grants import create_app

    app = create_app({
        "TESTING": True, "SECRET_KEY": "kill-test", "SQLALCHEMY_DATABASE_URI": url,
        "RATELIMIT_STORAGE_URI": "memory://", "INSTANCE_PATH": workdir + "/instance",
        "UPLOAD_DIR": workdir + "/uploads", "SERVER_NAME": None,
    })

    def pause(point):
        if pause_at == point:
            Path(signal_file).write_text(point)
            time.sleep(120)  # killed long before this ends
            sys.exit("not killed")

    with app.app_context():
        from grants.auth.models import User
        from grants.db import unit_of_work
        from grants.funding import disbursements, ledger
        from grants.funding.models import Disbursement

        record = ledger.record

        def record_then_pause(session, **values):
            entry = record(session, **values)
            session.flush()  # the ledger row and its audit entry are in the database's transaction
            pause("after_ledger")
            return entry

        ledger.record = record_then_pause
        with unit_of_work() as session:
            actor = session.get(User, int(actor_id))
            disbursement = session.get(Disbursement, int(disbursement_id))
            disbursements.record_payment(
                session, actor=actor, disbursement=disbursement, paid_on=date(2026, 11, 25), voucher_ref="PZ-KILL"
            )
            session.flush()
            pause("before_commit")
        pause("after_commit")
    """
)


def _run_until(point: str, tmp_path: Path, disbursement_id: int, actor_id: int) -> subprocess.Popen:
    script = tmp_path / "pay_and_pause.py"
    script.write_text(SCRIPT, encoding="utf-8")
    signal_file = tmp_path / f"reached-{point}"
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    args = [sys.executable, str(script), url, str(disbursement_id), str(actor_id), str(signal_file), point]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [*args, str(tmp_path)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not signal_file.exists():
        if process.poll() is not None:
            _out, err = process.communicate()
            pytest.fail(f"the payment process ended before {point}: {err.decode()[-2000:]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the payment process did not reach {point}")
        time.sleep(0.05)
    return process


def _kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)  # kill -9: no rollback, no cleanup, no exit handler
    process.wait(timeout=30)
    process.stdout.close()
    process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def _state(session, disbursement_id: int, grant_id: int):
    session.rollback()
    session.expire_all()
    disbursement = session.get(Disbursement, disbursement_id)
    entries = session.scalars(select(LedgerEntry).where(LedgerEntry.grant_id == grant_id)).all()
    audit = dict(
        session.execute(
            select(AuditEntry.action, func.count())
            .where(AuditEntry.action.in_(PAYMENT_ACTIONS))
            .group_by(AuditEntry.action)
        ).all()
    )
    return disbursement, entries, audit, session.get(Grant, grant_id).status


@pytest.mark.parametrize("point", ["after_ledger", "before_commit"])
def test_killed_inside_the_transaction_leaves_nothing_of_the_payment(session, world, signed, approved, tmp_path, point):
    disbursement_id, grant_id = approved.id, signed.id
    session.commit()
    _kill(_run_until(point, tmp_path, disbursement_id, world.finance_a.id))

    disbursement, entries, audit, status = _state(session, disbursement_id, grant_id)
    assert disbursement.status == "approved" and disbursement.ledger_entry_id is None
    assert disbursement.voucher_ref == "" and disbursement.paid_on is None
    assert entries == [] and audit == {} and status == "signed"
    # Nothing is left locked: the payment can be recorded now, once.
    disbursements.record_payment(
        session, actor=world.finance_a, disbursement=disbursement, paid_on=PAID_ON, voucher_ref="PZ-AGAIN"
    )
    session.commit()
    assert ledger.balance(session, grant_id) == disbursement.amount_fen


def test_killed_after_the_commit_leaves_the_whole_payment(session, world, signed, approved, tmp_path):
    disbursement_id, grant_id = approved.id, signed.id
    session.commit()
    _kill(_run_until("after_commit", tmp_path, disbursement_id, world.finance_a.id))

    disbursement, entries, audit, status = _state(session, disbursement_id, grant_id)
    assert disbursement.status == "paid" and disbursement.voucher_ref == "PZ-KILL"
    assert [(e.id, e.kind, e.amount_fen) for e in entries] == [
        (disbursement.ledger_entry_id, "disbursement", disbursement.amount_fen)
    ]
    assert audit == dict.fromkeys(PAYMENT_ACTIONS, 1) and status == "in_progress"
