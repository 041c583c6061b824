"""A group's history on its page, and its record beside a proposal made in its name (judge's sheet,
proposal page). Both are template helpers: the pages that show them belong to other modules and
other domains (proposals, judging), which do not import incubation."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user

from grants.db import db
from grants.incubation import history
from grants.incubation.views import bp


def _group_history(group) -> history.GroupHistory:
    return history.group_history(db.session, group, current_user)


def _proposal_group_record(proposal) -> history.GroupRecord | None:
    """No query at all for a proposal made by a person rather than a group."""
    if proposal.group_id is None:
        return None
    return history.group_record(db.session, proposal.group_id, proposal_id=proposal.id, user=current_user)


def _evaluation_kind_label(kind: str) -> str:
    return {"midterm": _("中期评估"), "final": _("结项评估")}.get(kind, kind)


@bp.record_once
def _history_helpers(state) -> None:
    state.app.jinja_env.globals.update(
        {
            "evaluation_kind_label": _evaluation_kind_label,
            "group_history": _group_history,
            "proposal_group_record": _proposal_group_record,
        }
    )
