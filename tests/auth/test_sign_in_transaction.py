"""Sign-in checks the password (argon2, tens of milliseconds) reading only, then records the sign-in
in a short write transaction: many people signing in at the same moment do not make each other's
transactions fail (PostgreSQL, SERIALIZABLE), and a password changed in between signs nobody in."""

from __future__ import annotations

from sqlalchemy import select

from grants import db as grants_db
from grants.auth import service
from grants.auth.models import User
from tests.factories import PASSWORD
from tests.integrity.test_races import _client_for, fire_each


def test_the_password_is_checked_while_no_write_transaction_is_open(client, make, session, monkeypatch):
    user = make.user("reader")
    seen: list[bool] = []
    check = service.verify_password

    def watched(password_hash, password):
        seen.append(grants_db._write_transaction.get())
        return check(password_hash, password)

    monkeypatch.setattr(service, "verify_password", watched)
    response = client.post("/login", data={"login": "reader", "password": PASSWORD})
    assert response.status_code == 302
    assert seen == [False]
    session.refresh(user)
    assert user.last_login_at is not None


def test_a_password_changed_between_the_check_and_the_record_signs_nobody_in(make, session):
    user = make.user("changer")
    checked = service.check_login(session, login="changer", password=PASSWORD)
    assert checked is not None and checked.user_id == user.id
    service.change_password(session, user=user, current_password=PASSWORD, new_password="another-pass-42")
    session.commit()
    assert service.record_login(session, checked) is None
    session.rollback()
    assert session.get(User, user.id).last_login_at is None


def test_a_deactivated_account_between_the_check_and_the_record_signs_nobody_in(make, session):
    user = make.user("leaver")
    checked = service.check_login(session, login="leaver", password=PASSWORD)
    user.active = False
    session.commit()
    assert service.record_login(session, checked) is None


def test_thirty_people_signing_in_at_the_same_moment_all_get_in(app, make, session):
    logins = [f"signer{i:02d}" for i in range(30)]
    for login in logins:
        make.user(login)
    clients = [_client_for(app, None) for _ in logins]
    answers, _seconds = fire_each(clients, [("/login", {"login": login, "password": PASSWORD}) for login in logins])
    assert answers == [302] * len(clients)
    session.expire_all()
    recorded = session.scalars(select(User.last_login_at).where(User.username.in_(logins))).all()
    assert len(recorded) == len(logins) and all(recorded)
