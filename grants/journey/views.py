"""A project's journey page (项目全程): /projects/<proposal id>/journey.

One URL for the three versions (grants/journey/policy.py): anonymous visitors get the public one,
cacheable like every public page (grants/http_cache.py); a signed-in organizer, community staff
member or applicant gets their own version of the same URL, never kept by a shared cache.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from grants import http_cache
from grants.db import db
from grants.journey import policy, service
from grants.journey.timeline import StepKind

bp = Blueprint("journey", __name__)
bp.before_request(http_cache.public_page)


def _journey_open(proposal) -> bool:
    """Whether the viewer has a private version of the proposal's journey (its organizer, its
    community's staff, its applicant): the proposal and grant pages then link to it."""
    facts = policy.Facts(proposal.applicant_id, proposal.version, proposal.edition.district_id, proposal.community_id)
    return policy.audience(current_user, facts, listed=False) is not None


@bp.app_context_processor
def _journey_links():
    return {"journey_open": _journey_open}


@bp.get("/projects/<int:proposal_id>/journey")
def journey(proposal_id: int):
    found = service.journey_for(db.session, proposal_id, current_user)
    if found is None:
        abort(404)
    return render_template("journey/journey.html", journey=found, StepKind=StepKind)
