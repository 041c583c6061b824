"""Group pages: one blueprint, one module per area (groups and members here; activities, hours and
ratings beside them). The lookups every module shares check the policy for *this* object."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from grants.db import db, get_or_404
from grants.incubation import policy, queries
from grants.incubation.models import Group, GroupMember
from grants.incubation.states import group_kind_label, group_status_label, member_role_label
from grants.org.models import Community

bp = Blueprint("incubation", __name__, url_prefix="/groups")


def _grant_group_section(grant):
    return queries.grant_group_section(db.session, grant, current_user)


@bp.record_once
def _group_labels(state) -> None:
    state.app.jinja_env.globals.update(
        {
            # The grant page (templates/funding/grant.html) shows the group grown from the grant.
            "grant_group_section": _grant_group_section,
            "group_status_label": group_status_label,
            "group_kind_label": group_kind_label,
            "member_role_label": member_role_label,
        }
    )


def community_or_404(community_id: int) -> Community:
    community = get_or_404(Community, community_id)
    if not policy.can_view_community_groups(current_user, community):
        abort(404)
    return community


def group_or_404(group_id: int) -> Group:
    """The group, if this user may see it: others get the same 404 as for a group that does not exist."""
    group = queries.group_with_place(db.session, group_id)
    if group is None or not policy.can_view(current_user, group):
        abort(404)
    return group


def member_or_404(group: Group, member_id: int) -> GroupMember:
    member = get_or_404(GroupMember, member_id)
    if member.group_id != group.id:
        abort(404)
    return member


def refuse_unless(allowed: bool) -> None:
    if not allowed:
        abort(403)


from grants.incubation import applying  # noqa: E402, F401  (registers the groups a leader may apply for)
from grants.incubation.views import (  # noqa: E402, F401
    activities,
    groups,
    history,
    hours,
    lists,
    ratings,  # its own blueprint, registered in grants/setup.py
)
