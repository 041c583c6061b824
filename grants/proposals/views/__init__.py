"""Proposal pages: one blueprint, one module per area."""

from flask import Blueprint

bp = Blueprint("proposals", __name__)

from grants.proposals.views import attachments, drafts, pdf, review  # noqa: E402, F401
