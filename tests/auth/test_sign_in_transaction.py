"""Sign-in checks the password (argon2, tens of milliseconds) reading only, then records the sign-in
in a short write transaction: many people signing in at the same moment do not make each other's
transactions fail (PostgreSQL, SERIALIZABLE), and a password changed in between signs nobody in.
Registration and a password change likewise hash before their write transaction, which on SQLite
would otherwise hold the one write lock that every request's writes wait for."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grants import db as grants_db
from grants.auth import service
from grants.auth.models import User
from grants.errors import DomainError
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


def _watch_argon2(monkeypatch) -> list[tuple[str, bool]]:
    """(which, whether a write transaction was open) for each hash and check of a password."""
    seen: list[tuple[str, bool]] = []
    verify, hash_ = service.verify_password, service.hash_password

    def watched_verify(password_hash, password):
        seen.append(("verify", grants_db._write_transaction.get()))
        return verify(password_hash, password)

    def watched_hash(password):
        seen.append(("hash", grants_db._write_transaction.get()))
        return hash_(password)

    monkeypatch.setattr(service, "verify_password", watched_verify)
    monkeypatch.setattr(service, "hash_password", watched_hash)
    return seen


def test_registration_hashes_the_password_while_no_write_transaction_is_open(client, make, session, monkeypatch):
    make.user("already")
    seen = _watch_argon2(monkeypatch)
    for login in ("newcomer", "already"):  # a taken name is hashed too: both answers take as long
        response = client.post(
            "/register",
            data={"login": login, "display_name": "新居民", "password": "a-good-pass-42", "confirm": "a-good-pass-42"},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:400]
    assert seen == [("hash", False), ("hash", False)]
    newcomer = session.scalars(select(User).where(User.username == "newcomer")).one()
    assert newcomer.password_hash.startswith("$argon2")


def test_a_password_change_hashes_while_no_write_transaction_is_open(client, login_as, make, session, monkeypatch):
    user = make.user("mover")
    login_as(user)
    seen = _watch_argon2(monkeypatch)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": "another-pass-42", "confirm": "another-pass-42"},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    assert seen == [("verify", False), ("hash", False)]
    session.expire_all()
    assert service.check_login(session, login="mover", password="another-pass-42") is not None


def test_a_password_changed_elsewhere_after_the_check_is_not_changed_again(make, session):
    user = make.user("twice")
    first = service.check_password_change(user=user, current_password=PASSWORD, new_password="first-new-pass-42")
    second = service.check_password_change(user=user, current_password=PASSWORD, new_password="second-new-pass-42")
    service.change_password(session, user=user, checked=first)
    session.commit()
    version = user.session_version
    with pytest.raises(DomainError):
        service.change_password(session, user=user, checked=second)
    session.rollback()
    assert service.check_login(session, login="twice", password="first-new-pass-42") is not None
    assert session.get(User, user.id).session_version == version


def test_a_password_changed_between_the_check_and_the_record_signs_nobody_in(make, session):
    user = make.user("changer")
    checked = service.check_login(session, login="changer", password=PASSWORD)
    assert checked is not None and checked.user_id == user.id
    changed = service.check_password_change(user=user, current_password=PASSWORD, new_password="another-pass-42")
    service.change_password(session, user=user, checked=changed)
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
