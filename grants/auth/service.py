"""Accounts and role grants: registration, login, password change, granting roles."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from grants import audit
from grants.auth import policy
from grants.auth.models import ROLE_SCOPE, Role, RoleGrant, User
from grants.auth.passwords import hash_password, needs_rehash, verify_password
from grants.db import utcnow
from grants.errors import Conflict, DomainError, NotAllowed

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,31}$")
PASSWORD_MAX_LENGTH = 128
# The very commonest choices; a longer list belongs in a breached-password check.
COMMON_PASSWORDS = {
    "12345678",
    "123456789",
    "1234567890",
    "11111111",
    "88888888",
    "00000000",
    "87654321",
    "password",
    "password1",
    "qwertyui",
    "qwerty123",
    "abcd1234",
    "a1234567",
    "iloveyou",
    "1qaz2wsx",
    "abc12345",
    "woaini1314",
    "demo12345678",
}


def normalize_login(login: str) -> str:
    return (login or "").strip()


def classify_login(login: str) -> str:
    """'mobile' for a mainland mobile number, 'username' for a valid user name.

    Raises:
        DomainError: neither.
    """
    login = normalize_login(login)
    if MOBILE_RE.match(login):
        return "mobile"
    if USERNAME_RE.match(login):
        return "username"
    raise DomainError(
        _("请输入11位手机号，或以字母开头的3–32位用户名（字母、数字、下划线、点、连字符）。"),
        field="login",
    )


def check_password_rules(password: str, *, login: str = "", min_length: int = 8) -> None:
    """Raises: DomainError naming the first rule the password breaks."""
    if len(password) < min_length:
        raise DomainError(_("密码至少需要 %(n)d 个字符。", n=min_length), field="password")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise DomainError(_("密码不能超过 %(n)d 个字符。", n=PASSWORD_MAX_LENGTH), field="password")
    if password.lower() in COMMON_PASSWORDS or len(set(password)) < 3:
        raise DomainError(_("这个密码太常见，容易被猜中，请换一个。"), field="password")
    if login and password.lower() == login.lower():
        raise DomainError(_("密码不能与登录名相同。"), field="password")


def check_display_name(display_name: str) -> str:
    """The display name without surrounding spaces.

    Raises:
        DomainError: empty or longer than 50 characters.
    """
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 50:
        raise DomainError(_("请填写姓名或昵称（不超过50个字符）。"), field="display_name")
    return display_name


def find_user_by_login(session: Session, login: str) -> User | None:
    login = normalize_login(login)
    if not login:
        return None
    return session.scalar(select(User).where(or_(User.username == login, User.mobile == login)))


def check_new_account(login: str, display_name: str, password: str, min_password_length: int) -> tuple[str, str, str]:
    """(login, its kind, display name) of a new account whose fields keep the rules.

    Raises: DomainError (invalid login name, display name or password, the first found)."""
    login = normalize_login(login)
    kind = classify_login(login)
    display_name = check_display_name(display_name)
    check_password_rules(password, login=login, min_length=min_password_length)
    return login, kind, display_name


def register_user(
    session: Session,
    *,
    login: str,
    display_name: str,
    password: str,
    community=None,
    min_password_length: int = 8,
    actor=None,
    password_hash: str | None = None,
) -> User:
    """Create a resident account. ``password_hash``: the password hashed already by
    ``hash_password`` (the demo registers a hundred residents with its one published password and
    hashes it once: argon2 costs a good fraction of a second each time, by design).

    Raises:
        DomainError: invalid login name, display name or password.
        Conflict: the login name is taken.
    """
    login, kind, display_name = check_new_account(login, display_name, password, min_password_length)
    if find_user_by_login(session, login) is not None:
        raise Conflict(_("这个手机号或用户名已经注册过了。"), field="login")
    user = User(
        display_name=display_name,
        password_hash=password_hash or hash_password(password),
        community_id=community.id if community is not None else None,
        **{kind: login},
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor or user,
        action="user.register",
        obj=user,
        district_id=community.street.district_id if community is not None else None,
        after={"login": login, "display_name": display_name},
    )
    return user


def hash_new_account_password(*, login: str, display_name: str, password: str, min_password_length: int = 8) -> str:
    """Check a registration's fields, then hash its password: before the write transaction that
    stores the account, as no write transaction is to be open while argon2 works (a good part of
    a second by design, in which SQLite's one write lock, which every request's writes wait for,
    would be held; on PostgreSQL the serializable transaction would stay open as long).

    Raises:
        DomainError: invalid login name, display name or password.
    """
    check_new_account(login, display_name, password, min_password_length)
    return hash_password(password)


def register_resident(
    session: Session,
    *,
    login: str,
    display_name: str,
    password: str,
    password_hash: str,
    community=None,
    min_password_length: int = 8,
) -> User | None:
    """Self-registration: the new account, or None when the name was already taken.

    ``password_hash`` is the password hashed by ``hash_new_account_password`` before the
    transaction, whether or not the name is free, so that both cases take the same time: the
    caller answers them alike, and nobody learns which mobile numbers have an account.

    Raises:
        DomainError: invalid login name, display name or password.
    """
    login, _kind, _name = check_new_account(login, display_name, password, min_password_length)
    if find_user_by_login(session, login) is not None:
        return None
    return register_user(
        session,
        login=login,
        display_name=display_name,
        password=password,
        password_hash=password_hash,
        community=community,
        min_password_length=min_password_length,
    )


def end_sessions(session: Session, *, user: User) -> None:
    """End every session and remember-me cookie of the user (sign-out)."""
    user.session_version += 1
    session.flush()


@dataclass(frozen=True)
class CheckedLogin:
    """A login whose password was right when it was checked (``check_login``)."""

    user_id: int
    password_hash: str  # the hash the password was checked against
    new_hash: str | None  # the password hashed again when its hash uses older settings


def check_login(session: Session, *, login: str, password: str) -> CheckedLogin | None:
    """Check the password of an active account, reading only (no write transaction is open while
    argon2 works: tens of milliseconds in which simultaneous sign-ins on PostgreSQL would fail
    each other at SERIALIZABLE). ``record_login`` then records it in a short transaction."""
    user = find_user_by_login(session, login)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        return None
    new_hash = hash_password(password) if needs_rehash(user.password_hash) else None
    return CheckedLogin(user.id, user.password_hash, new_hash)


def record_login(session: Session, checked: CheckedLogin) -> User | None:
    """Record the sign-in of a checked login: the login time (and the password's new hash). None
    when the account changed since the check (its password, or it was deactivated)."""
    user = session.get(User, checked.user_id, populate_existing=True)
    if user is None or not user.active or user.password_hash != checked.password_hash:
        return None
    if checked.new_hash is not None:
        user.password_hash = checked.new_hash
    user.last_login_at = utcnow()
    session.flush()
    return user


def authenticate(session: Session, *, login: str, password: str) -> User | None:
    """The active user with this login and password, or None; records the login time. (The sign-in
    page checks first and records in its own write transaction: ``check_login``, ``record_login``.)"""
    checked = check_login(session, login=login, password=password)
    return None if checked is None else record_login(session, checked)


@dataclass(frozen=True)
class CheckedPasswordChange:
    """A password change whose current password was right when it was checked
    (``check_password_change``)."""

    password_hash: str  # the hash the current password was checked against
    new_hash: str


def check_password_change(
    *, user: User, current_password: str, new_password: str, min_length: int = 8
) -> CheckedPasswordChange:
    """Check the current password and the new one's rules, and hash the new one, reading only:
    no write transaction is open while argon2 works (``check_login``). ``change_password`` then
    records it in a short transaction.

    Raises:
        DomainError: the current password is wrong or the new one breaks a rule.
    """
    if not verify_password(user.password_hash, current_password):
        raise DomainError(_("当前密码不正确。"), field="current_password")
    check_password_rules(new_password, login=user.login_name, min_length=min_length)
    return CheckedPasswordChange(user.password_hash, hash_password(new_password))


def change_password(session: Session, *, user: User, checked: CheckedPasswordChange) -> None:
    """Change the password to a checked new one and sign out every other session.

    Raises:
        DomainError: the password was changed elsewhere since it was checked.
    """
    user = session.get(User, user.id, populate_existing=True)
    if user is None or user.password_hash != checked.password_hash:
        raise DomainError(_("密码刚刚在别处修改过，请输入现在的密码再试一次。"), field="current_password")
    user.password_hash = checked.new_hash
    user.must_change_password = False
    user.session_version += 1
    audit.record(session, actor=user, action="user.password_change", obj=user)
    session.flush()


def _scope_district_id(role: Role, scope) -> int:
    if role in (Role.ORGANIZER, Role.FINANCE):
        return scope.id
    if role == Role.STREET_STAFF:
        return scope.district_id
    if role == Role.COMMUNITY_STAFF:
        return scope.street.district_id
    return scope.district_id  # judge: an edition


def grant_role(session: Session, *, actor, user: User, role: Role, scope) -> RoleGrant:
    """Give ``user`` the ``role`` over ``scope`` (district, street, community or edition).

    ``actor`` None means the command line (platform administrator).

    Raises:
        NotAllowed: the actor is not an organizer of the scope's district.
        Conflict: the user already holds this role there.
    """
    role = Role(role)
    district_id = _scope_district_id(role, scope)
    if actor is not None and not policy.can_manage_roles(actor, district_id):
        raise NotAllowed(_("您没有权限在这个区授予角色。"))
    column = ROLE_SCOPE[role]
    existing = session.scalar(
        select(RoleGrant).where(
            RoleGrant.user_id == user.id,
            RoleGrant.role == role.value,
            getattr(RoleGrant, column) == scope.id,
        )
    )
    if existing is not None:
        raise Conflict(_("该用户已经拥有这个角色。"))
    grant = RoleGrant(user_id=user.id, role=role.value, granted_by_id=getattr(actor, "id", None))
    setattr(grant, column, scope.id)
    session.add(grant)
    session.flush()
    session.refresh(user, ["grants"])
    audit.record(
        session,
        actor=actor,
        action="role.grant",
        obj=grant,
        district_id=district_id,
        after={"user_id": user.id, "user": user.display_name, "role": role.value, column: scope.id},
    )
    return grant


# What revoking a role does to the work held under it (judging withdraws the judge's score sheets).
# The domains above register here, so auth never imports them.
_revocation_hooks: list[Callable[[Session, object, RoleGrant], None]] = []


def on_role_revoked(hook: Callable[[Session, object, RoleGrant], None]) -> None:
    """Register ``hook(session, actor, grant)``, called in the revoking transaction before the grant goes."""
    if hook not in _revocation_hooks:
        _revocation_hooks.append(hook)


def revoke_role(session: Session, *, actor, grant: RoleGrant) -> None:
    """Remove a role grant; the registered hooks deal with the work held under it.

    Raises:
        NotAllowed: the actor is not an organizer of the grant's district, or would remove
            their own organizer role (ask another organizer, so a district is never orphaned).
    """
    district_id = policy.grant_district_id(grant)
    if actor is not None and not policy.can_revoke(actor, grant):
        raise NotAllowed(_("您没有权限撤销这个角色。"))
    if actor is not None and grant.user_id == actor.id and grant.role == Role.ORGANIZER.value:
        raise NotAllowed(_("不能撤销自己的主办方角色，请由另一位主办方操作。"))
    if actor is None or grant.user_id != actor.id:
        # The holder's sessions end: they sign in again with the roles they still have.
        grant.user.session_version += 1
    audit.record(
        session,
        actor=actor,
        action="role.revoke",
        obj=grant,
        district_id=district_id,
        before={"user_id": grant.user_id, "user": grant.user.display_name, "role": grant.role},
    )
    for hook in _revocation_hooks:
        hook(session, actor, grant)
    session.delete(grant)
    session.flush()


_GRANT_SHOWN = ("user", "district", "street", "community", "edition")


def grants_in_districts(session: Session, district_ids: set[int]) -> list[RoleGrant]:
    """Every role grant that belongs to one of these districts, with its user and scope (the roles
    page shows them; the mapping loads a grant's user and scope only when used)."""
    from grants.editions.models import Edition
    from grants.org.models import Community, Street

    ids = district_ids or {-1}
    street_ids = select(Street.id).where(Street.district_id.in_(ids))
    community_ids = select(Community.id).where(Community.street_id.in_(street_ids))
    edition_ids = select(Edition.id).where(Edition.district_id.in_(ids))
    return list(
        session.scalars(
            select(RoleGrant)
            .where(
                or_(
                    RoleGrant.district_id.in_(ids),
                    RoleGrant.street_id.in_(street_ids),
                    RoleGrant.community_id.in_(community_ids),
                    RoleGrant.edition_id.in_(edition_ids),
                )
            )
            .options(*(joinedload(getattr(RoleGrant, name)) for name in _GRANT_SHOWN))
            .order_by(RoleGrant.role, RoleGrant.granted_at)
        )
        .unique()
        .all()
    )


def community_or_none(session: Session, community_id: int | None):
    """The community with this id, None for 0/None.

    Raises:
        DomainError: an id that does not exist.
    """
    from grants.org.models import Community

    if not community_id:
        return None
    community = session.get(Community, community_id)
    if community is None:
        raise DomainError(_("请选择列表中的社区。"), field="community_id")
    return community


def resolve_scope(session: Session, role: Role, scope_id: int | None):
    """The object a role is bound to (district, street, community or edition).

    Raises:
        DomainError: no id given for the role's scope, or it does not exist.
    """
    from grants.editions.models import Edition
    from grants.org.models import Community, District, Street

    model, field, message = {
        Role.ORGANIZER: (District, "district_id", _("请选择区。")),
        Role.FINANCE: (District, "district_id", _("请选择区。")),
        Role.STREET_STAFF: (Street, "street_id", _("请选择街道。")),
        Role.COMMUNITY_STAFF: (Community, "community_id", _("请选择社区。")),
        Role.JUDGE: (Edition, "edition_id", _("请选择大赛届次。")),
    }[role]
    scope = session.get(model, scope_id) if scope_id else None
    if scope is None:
        raise DomainError(message, field=field)
    return scope


def grant_role_by_login(session: Session, *, actor, login: str, role: str, scope_id: int | None) -> RoleGrant:
    """Grant a role to the user with this exact mobile number or user name.

    Raises:
        DomainError: unknown role, user or scope.
        NotAllowed / Conflict: see grant_role.
    """
    try:
        role = Role(role)
    except ValueError as exc:
        raise DomainError(_("请选择角色。"), field="role") from exc
    user = find_user_by_login(session, login)
    if user is None:
        raise DomainError(_("没有找到这个手机号或用户名的用户，请让对方先注册。"), field="login")
    scope = resolve_scope(session, role, scope_id)
    return grant_role(session, actor=actor, user=user, role=role, scope=scope)


def mask_login(login: str) -> str:
    """138****1234 for mobile numbers; user names are shown as they are."""
    return f"{login[:3]}****{login[-4:]}" if MOBILE_RE.match(login or "") else login


def scope_choices(session: Session, district_ids: set[int]) -> dict[str, list[tuple[int, str]]]:
    """(id, label) choices of every scope in these districts, for the grant form."""
    from grants.editions.models import Edition
    from grants.org.models import Community, District, Street

    ids = district_ids or {-1}
    districts = session.scalars(select(District).where(District.id.in_(ids)).order_by(District.name)).all()
    streets = session.scalars(select(Street).where(Street.district_id.in_(ids)).order_by(Street.name)).all()
    communities = session.scalars(
        select(Community).join(Street).where(Street.district_id.in_(ids)).order_by(Street.name, Community.name)
    ).all()
    editions = session.scalars(
        select(Edition).where(Edition.district_id.in_(ids)).order_by(Edition.number.desc())
    ).all()
    return {
        "district": [(d.id, d.name) for d in districts],
        "street": [(s.id, s.name) for s in streets],
        "community": [(c.id, c.full_name) for c in communities],
        "edition": [(e.id, e.name) for e in editions],
    }
