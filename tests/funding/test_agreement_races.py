"""50 concurrent identical requests on the agreement's state-changing routes (as
tests/integrity/test_races.py does for the other routes): signing happens once and leaves one
stored scan, one open account change per grant, a change decided once; never a 500."""

from __future__ import annotations

import io
import threading
from collections import Counter
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import func, select

from grants.funding import agreement
from grants.funding.models import AccountChange, Grant, Tranche
from grants.proposals.models import Attachment
from tests.integrity.test_races import RACERS, _audit_actions, _client_for


@pytest.fixture
def grant(make_grant, world):
    return make_grant(world.edition_a, approved_fen=380_001, community=world.community_a)


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, "PNG")
    return out.getvalue()


def _fire(app, url: str, make_data, user) -> Counter:
    """Every racer posts its own copy of ``make_data()`` (a file is read once per request)."""
    clients = [_client_for(app, user) for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS)
    answers: list[object] = [None] * RACERS

    def racer(i: int) -> None:
        data = make_data()
        barrier.wait()
        try:
            address = {"REMOTE_ADDR": f"10.78.{i // 200}.{i % 200 + 1}"}
            answers[i] = clients[i].post(url, data=data, environ_base=address).status_code
        except Exception as exc:  # reported as a failed answer below
            answers[i] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(status, int) for status in answers), answers
    statuses = Counter(answers)
    assert statuses[500] == 0, statuses
    return statuses


def _files() -> set[str]:
    folder = Path(current_app.config["UPLOAD_DIR"])
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_fifty_signings_sign_once_and_keep_one_scan(app, session, world, grant):
    session.commit()
    before, files_before = _audit_actions(session), _files()

    def form():
        return {
            "signed_on": "2026-11-20",
            "receiving_unit": "甲一社区居民委员会",
            "account_name": "甲一社区居民委员会",
            "account_bank": "农业银行城关支行",
            "account_no": "622848001234",
            "scan": (io.BytesIO(_photo()), "协议.png"),
        }

    _fire(app, f"/funding/grants/{grant.id}/sign", form, world.organizer_a)
    session.commit()
    assert session.get(Grant, grant.id).status == "signed"
    assert session.scalar(select(func.count(Tranche.id))) == 2
    assert session.scalar(select(func.count(Attachment.id))) == 1
    assert len(_files() - files_before) == 1  # the losers' stored scans were removed
    added = _audit_actions(session) - before
    assert added == Counter({"grant.sign": 1, "attachment.add": 1})


def test_fifty_account_change_requests_leave_one_open_and_fifty_decisions_decide_once(
    app, session, world, grant, sign_grant
):
    sign_grant(grant)
    before = _audit_actions(session)
    data = {
        "receiving_unit": "甲区社会组织服务中心",
        "account_name": "甲区社会组织服务中心",
        "account_bank": "工商银行城关支行",
        "account_no": "9558800011112222",
        "reason": "居委会账户注销",
    }
    statuses = _fire(app, f"/funding/grants/{grant.id}/account-change", lambda: dict(data), world.organizer_a)
    session.commit()
    assert statuses[302] == 1
    change = session.scalars(select(AccountChange)).one()
    assert _audit_actions(session) - before == Counter({"account_change.request": 1})

    url = f"/funding/grants/{grant.id}/account-changes/{change.id}"
    statuses = _fire(app, url, lambda: {"outcome": "approve"}, world.finance_a)
    session.commit()
    assert statuses[302] == 1
    assert session.get(AccountChange, change.id).status == "approved"
    assert session.get(Grant, grant.id).account_no == "9558800011112222"
    assert agreement.open_account_change(session, grant.id) is None
    assert _audit_actions(session) - before == Counter(
        {"account_change.request": 1, "account_change.approve": 1, "grant.account_change": 1}
    )
