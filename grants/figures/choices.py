"""The figures' chooser: the places a user may read (the district, streets, communities) and the
periods of a district (all time, each edition held, each year since the first). Two queries."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from grants import params, timeutil
from grants.auth import policy as auth_policy
from grants.editions.models import Edition
from grants.editions.states import EditionStatus
from grants.figures import policy
from grants.figures.scope import Scope
from grants.org.models import Community, District, Street

PLACE_ENDPOINTS = {"district": "figures.district", "street": "figures.street", "community": "figures.community"}
PLACE_ARGS = {"district": "district_id", "street": "street_id", "community": "community_id"}


@dataclass(frozen=True)
class Chooser:
    places: list[tuple[str, str]]  # (value, label)
    periods: list[tuple[str, str]]
    place: str  # the values of the scope shown
    period: str


def place_value(scope: Scope) -> str:
    return f"{scope.place_kind}-{scope.place.id}"


def period_value(scope: Scope) -> str:
    if scope.edition is not None:
        return f"edition-{scope.edition.id}"
    return "" if scope.year is None else f"year-{scope.year}"


def periods(session: Session, district: District) -> list[tuple[str, str]]:
    """All time, each edition held (newest first), each year from the first edition's to this one."""
    editions = list(
        session.scalars(
            select(Edition)
            .where(Edition.district_id == district.id, Edition.status != EditionStatus.DRAFT.value)
            .order_by(Edition.number.desc())
            .options(lazyload(Edition.categories))
        )
    )
    today = timeutil.today().year
    opened = [timeutil.to_local(e.submission_opens_at).year for e in editions if e.submission_opens_at]
    first = min([*opened, today])
    found = [("", _("全部时间"))]
    found += [(f"edition-{e.id}", e.name) for e in editions]
    found += [(f"year-{year}", _("%(year)d年", year=year)) for year in range(today, first - 1, -1)]
    return found


def places(session: Session, user, district: District) -> list[tuple[str, str]]:
    """The district (its organizer), and the streets and communities of it this user may read."""
    found = []
    if policy.can_view_district(user, district):
        found.append((f"district-{district.id}", _("%(district)s（全区）", district=district.name)))
    streets = session.scalars(select(Street).where(Street.district_id == district.id).order_by(Street.name))
    found += [(f"street-{s.id}", s.name) for s in streets if policy.can_view_street(user, s)]
    communities = session.scalars(
        select(Community)
        .join(Street, Street.id == Community.street_id)
        .where(Street.district_id == district.id)
        .order_by(Street.name, Community.name)
    )
    found += [(f"community-{c.id}", c.full_name) for c in communities if policy.can_view_community(user, c)]
    return found


def for_user(session: Session, user, scope: Scope) -> Chooser:
    return Chooser(
        places=places(session, user, scope.district),
        periods=periods(session, scope.district),
        place=place_value(scope),
        period=period_value(scope),
    )


def default_place(user) -> str | None:
    """The widest place the user may read: their district, else their street, else their community."""
    for kind, ids in (
        ("district", auth_policy.organizer_district_ids(user)),
        ("street", auth_policy.staff_street_ids(user)),
        ("community", auth_policy.staff_community_ids(user)),
    ):
        if ids:
            return f"{kind}-{min(ids)}"
    return None


def _number(text: str) -> int | None:
    return (
        int(text) if text.isascii() and text.isdigit() and len(text) <= 10 and 1 <= int(text) <= params.MAX_ID else None
    )


def period_args(period: str) -> dict[str, int] | None:
    """The query string of a chooser's period ("edition-5", "year-2025", "" for all time); None when
    it is not a value the chooser offers."""
    what, _sep, value = period.partition("-")
    number = _number(value)
    if what == "edition" and number is not None:
        return {"edition": number}
    if what == "year" and number is not None and params.FIRST_YEAR <= number <= params.LAST_YEAR:
        return {"year": number}
    return {} if period == "" else None


def place_url(place: str, period: str) -> str | None:
    """The figures page of a chooser's values ("street-3" and a period); None when they are not values
    the chooser offers (whether the user may read the place, the page itself decides)."""
    kind, _sep, number = place.partition("-")
    place_id = _number(number)
    args = period_args(period)
    if kind not in PLACE_ENDPOINTS or place_id is None or args is None:
        return None
    return url_for(PLACE_ENDPOINTS[kind], **{PLACE_ARGS[kind]: place_id}, **args)
