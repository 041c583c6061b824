"""The demo's people: residents registered through the accounts service with the published demo
password (hashed once per run), and the social workers and street staff of every community."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants.auth import service as auth_service
from grants.auth.models import Role, User
from grants.auth.passwords import hash_password
from grants.org.models import Community, Street

DEMO_PASSWORD = "demo12345"  # noqa: S105  (the published demo login, see README)
_HASH = "grants.demo.password_hash"

# The social workers (社工) of the other communities and the staff of 西岭街道: they confirm their
# groups' activities, review expenses and recommend and score groups for the star rating, as staff1
# does for 桂花社区 and street1 for 东湖街道.
MORE_STAFF = (
    ("staff2", "何社工（樱桃社区）", Role.COMMUNITY_STAFF, "樱桃社区"),
    ("staff3", "林社工（翠竹社区）", Role.COMMUNITY_STAFF, "翠竹社区"),
    ("staff4", "邓社工（枫林社区）", Role.COMMUNITY_STAFF, "枫林社区"),
    ("staff5", "宋社工（松涛社区）", Role.COMMUNITY_STAFF, "松涛社区"),
    ("street2", "唐科长（西岭街道）", Role.STREET_STAFF, "西岭街道"),
)


def password_hash(session: Session) -> str:
    """The demo password's hash, made once per run (argon2 is slow on purpose)."""
    if _HASH not in session.info:
        session.info[_HASH] = hash_password(DEMO_PASSWORD)
    return session.info[_HASH]


def register(session: Session, login: str, name: str, community: Community | None) -> User:
    """The user with this login, registered through the accounts service if new."""
    user = session.scalar(select(User).where(User.username == login))
    if user is None:
        user = auth_service.register_user(
            session,
            login=login,
            display_name=name,
            password=DEMO_PASSWORD,
            community=community,
            password_hash=password_hash(session),
        )
    return user


def add_staff(session: Session) -> dict[str, User]:
    """The staff of MORE_STAFF, created once with their role; returns them by login."""
    staff = {}
    for login, name, role, place in MORE_STAFF:
        user = session.scalar(select(User).where(User.username == login))
        if user is None:
            community = session.scalar(select(Community).where(Community.name == place))
            scope = community or session.scalar(select(Street).where(Street.name == place))
            user = register(session, login, name, community)
            auth_service.grant_role(session, actor=None, user=user, role=role, scope=scope)
        staff[login] = user
    session.flush()
    return staff
