"""The 申报书 as a PDF, for the applicant and the proposal's reviewers."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from grants.proposals.models import BudgetLine, Proposal
from grants.proposals.views import bp
from grants.proposals.views.drafts import load_readable
from grants.reports.pdf import render_pdf
from grants.reports.responses import attachment_headers
from grants.timeutil import now


@dataclass
class BudgetGroup:
    """The lines of one budget category, with their subtotal and share of the request."""

    name: str
    position: int
    lines: list[BudgetLine] = field(default_factory=list)
    subtotal_fen: int = 0
    share: float = 0.0  # of the amount requested, 0..1


def budget_groups(proposal: Proposal) -> list[BudgetGroup]:
    """The budget lines grouped by category, in the edition's category order."""
    groups: dict[int, BudgetGroup] = {}
    for line in proposal.budget_lines:
        group = groups.setdefault(line.category_id, BudgetGroup(line.category.name, line.category.position))
        group.lines.append(line)
        group.subtotal_fen += line.amount_fen
    for group in groups.values():
        group.share = group.subtotal_fen / proposal.requested_fen if proposal.requested_fen else 0.0
    return sorted(groups.values(), key=lambda g: (g.position, g.name))


@bp.get("/proposals/<int:proposal_id>/pdf")
@login_required
def pdf(proposal_id: int):
    proposal = load_readable(proposal_id)
    html = render_template(
        "pdf/proposal.html", proposal=proposal, budget_groups=budget_groups(proposal), printed_at=now()
    )
    document = render_pdf(html, base_url=request.url_root)
    name = _("申报书-%(title)s.pdf", title=proposal.title or proposal.id)
    headers = attachment_headers(name, "application/pdf", ascii_name=f"proposal-{proposal.id}.pdf")
    return Response(document, headers=headers)
