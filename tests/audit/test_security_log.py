"""The security log: refused accesses and failed sign-ins, written in their own transaction,
read by organizers only, filterable, paginated, in Beijing time and both languages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry, AuditLogIsAppendOnly, SecurityEvent
from grants.audit.security import EventKind, record_event

PAGE = "/admin/audit/security"


def _add_events(app, n: int, kind: EventKind = EventKind.LOGIN_FAILED, login: str = "13900001234") -> None:
    with app.test_request_context():
        for _ in range(n):
            record_event(kind, login=login, address="10.1.2.3", method="POST", path="/login")


def test_a_refused_access_is_logged_with_who_where_and_how(client, login_as, world, session):
    login_as(world.resident)
    assert client.get("/admin/audit/").status_code == 403
    session.expire_all()
    (event,) = session.scalars(select(SecurityEvent)).all()
    assert (event.kind, event.user_id, event.login, event.method, event.path) == (
        "forbidden",
        world.resident.id,
        "resident",
        "GET",
        "/admin/audit/",
    )


def test_logging_a_refusal_leaves_the_requests_own_work_alone(client, login_as, world, session):
    # A refused POST changes nothing and adds no audit entry; only the security event is written.
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    login_as(world.organizer_b)
    grant_id = world.staff_a.grants[0].id
    assert client.post(f"/admin/roles/{grant_id}/revoke").status_code == 403
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert world.staff_a.grants
    assert session.scalar(select(SecurityEvent.kind)) == "forbidden"


def test_events_cannot_be_changed_or_deleted(app, session):
    _add_events(app, 1)
    event = session.scalars(select(SecurityEvent)).one()
    event.login = "someone-else"
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()
    session.rollback()
    session.delete(session.scalars(select(SecurityEvent)).one())
    with pytest.raises(AuditLogIsAppendOnly):
        session.flush()
    session.rollback()


def test_organizer_reads_events_in_beijing_time_with_masked_numbers(app, client, login_as, world, session):
    _add_events(app, 1)
    session.execute(SecurityEvent.__table__.update().values(at=datetime(2026, 12, 1, 16, 30, tzinfo=UTC)))
    session.commit()
    login_as(world.organizer_a)
    body = client.get(PAGE).get_data(as_text=True)
    assert "安全日志" in body and "登录失败" in body and "10.1.2.3" in body
    assert "2026-12-02 00:30:00" in body  # 16:30 UTC is half past midnight in Beijing
    assert "139****1234" in body and "13900001234" not in body


def test_page_in_english(app, client, login_as, world):
    _add_events(app, 1, EventKind.LOGIN_LOCKED)
    login_as(world.organizer_a)
    body = client.get(PAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Security log" in body and "Sign-in paused" in body and "安全日志" not in body


def test_filters_by_kind_account_and_date(app, client, login_as, world, session):
    _add_events(app, 2, EventKind.LOGIN_FAILED, login="alpha_user")
    _add_events(app, 1, EventKind.REGISTER_TAKEN, login="beta_user")
    login_as(world.organizer_a)
    body = client.get(PAGE, query_string={"kind": "register_taken"}).get_data(as_text=True)
    assert "beta_user" in body and "alpha_user" not in body
    body = client.get(PAGE, query_string={"login": "alpha_user"}).get_data(as_text=True)
    assert "alpha_user" in body and "beta_user" not in body and "共 2 条记录" in body
    body = client.get(PAGE, query_string={"from": "2000-01-01", "to": "2000-01-02"}).get_data(as_text=True)
    assert "没有符合条件的记录" in body
    # Unknown kinds and bad dates are ignored; absurd pages are a 400 with a message; never a 500.
    for args in ({"kind": "nonsense"}, {"from": "yesterday"}):
        assert client.get(PAGE, query_string=args).status_code == 200
    for args in ({"page": "99999999999999999999"}, {"page": "-1"}):
        assert client.get(PAGE, query_string=args).status_code == 400


def test_pages_of_events(app, client, login_as, world):
    app.config["PER_PAGE"] = 5
    _add_events(app, 12)
    login_as(world.organizer_a)
    assert "第 1 / 3 页" in client.get(PAGE).get_data(as_text=True)
    last = client.get(PAGE, query_string={"page": 3}).get_data(as_text=True)
    assert last.count("10.1.2.3") == 2
    assert "第 3 / 3 页" in client.get(PAGE, query_string={"page": 50}).get_data(as_text=True)


def test_page_issues_the_same_number_of_queries_for_3_and_40_events(app, client, login_as, world, query_counter):
    login_as(world.organizer_a)

    def count(n: int) -> int:
        _add_events(app, n)
        with query_counter() as statements:
            assert client.get(PAGE).status_code == 200
        return len(statements)

    assert count(3) == count(37)


@pytest.mark.parametrize("who", ["resident", "staff_a", "street_staff_a", "judge_a", "finance_a"])
def test_only_organizers_read_the_security_log(client, login_as, world, who):
    login_as(getattr(world, who))
    assert client.get(PAGE).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_organizers_menu_links_the_security_log(client, login_as, world):
    login_as(world.organizer_a)
    assert f'href="{PAGE}"' in client.get("/").get_data(as_text=True)
