"""The 申报书 as a PDF, for the applicant and the proposal's reviewers."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, make_response, render_template
from flask_babel import gettext as _
from flask_login import login_required

from grants.proposals.service import budget_subtotals
from grants.proposals.views import bp
from grants.proposals.views.drafts import load_visible
from grants.reports.pdf import render_pdf
from grants.reports.responses import attachment_headers


@bp.get("/proposals/<int:proposal_id>/pdf")
@login_required
def pdf(proposal_id: int):
    proposal = load_visible(proposal_id)
    html = render_template("pdf/proposal.html", proposal=proposal, subtotals=budget_subtotals(proposal))
    response = make_response(render_pdf(html, static_dir=Path(current_app.static_folder)))
    response.headers.update(
        attachment_headers(_("申报书-%(title)s.pdf", title=proposal.title or proposal.id), "application/pdf")
    )
    return response
