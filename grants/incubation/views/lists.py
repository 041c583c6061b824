"""The groups of a street (its street staff, the organizer) and of a district (its organizer):
filters by kind, status and place, counts per kind and status; a fixed number of queries."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_login import current_user, login_required

from grants import params
from grants.auth import policy as auth_policy
from grants.db import db, get_or_404
from grants.incubation import listing, policy
from grants.incubation.listing import GroupFilters
from grants.incubation.states import GROUP_KIND_LABELS, GROUP_STATUS_LABELS, STAR_FILTERS
from grants.incubation.views import bp
from grants.org.models import District, Street


def _render(title: str, scope, filters: GroupFilters, **places):
    return render_template(
        "incubation/area.html",
        title=title,
        listing=listing.group_page(db.session, scope, filters, params.page_arg()),
        counts=listing.counts(db.session, scope),
        filters=filters,
        kinds=GROUP_KIND_LABELS,
        statuses=GROUP_STATUS_LABELS,
        star_filters=STAR_FILTERS,
        **places,
    )


@bp.get("/streets/<int:street_id>")
@login_required
def street_groups(street_id: int):
    street = get_or_404(Street, street_id)
    if not policy.can_view_street_groups(current_user, street):
        abort(404)
    communities = listing.communities_of_street(db.session, street.id)
    filters = GroupFilters.from_args(request.args, community_ids=[c.id for c in communities])
    return _render(street.name, listing.street_scope(street.id), filters, street=street, communities=communities)


@bp.get("/districts/<int:district_id>")
@login_required
def district_groups(district_id: int):
    district = get_or_404(District, district_id)
    if not policy.can_view_district_groups(current_user, district):
        abort(404)
    streets = listing.streets_of_district(db.session, district.id)
    filters = GroupFilters.from_args(request.args, street_ids=[s.id for s in streets])
    return _render(district.name, listing.district_scope(district.id), filters, district=district, streets=streets)


def _areas():
    """The street and district lists this user may open (for the groups' index page)."""
    return listing.areas_of(
        db.session, auth_policy.staff_street_ids(current_user), auth_policy.organizer_district_ids(current_user)
    )


@bp.record_once
def _list_helpers(state) -> None:
    state.app.jinja_env.globals.update({"group_areas": _areas})
