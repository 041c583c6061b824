"""Round 1 pages: the screening list, the decision form, opening and closing the round."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.db import db, get_or_404, unit_of_work
from grants.editions import policy as edition_policy
from grants.editions.models import Round, RoundKind
from grants.errors import DomainError
from grants.forms import apply_domain_error
from grants.judging import eligibility
from grants.judging.forms import EligibilityForm
from grants.proposals import policy as proposal_policy
from grants.proposals import queries
from grants.proposals.views.drafts import load_visible

bp = Blueprint("judging", __name__, url_prefix="/review")


def _eligibility_round(round_id: int) -> Round:
    rnd = get_or_404(Round, round_id)
    if rnd.kind != RoundKind.ELIGIBILITY:
        abort(404)
    if not proposal_policy.can_list_edition(current_user, rnd.edition):
        abort(403)
    return rnd


@bp.get("/rounds/<int:round_id>/eligibility")
@login_required
def eligibility_list(round_id: int):
    rnd = _eligibility_round(round_id)
    rows, _total = queries.edition_proposals(
        db.session, current_user, rnd.edition, queries.ProposalFilter(), page=1, per_page=10_000
    )
    rows = [p for p in rows if p.status != "withdrawn"]
    return render_template(
        "judging/eligibility_list.html",
        rnd=rnd,
        rows=rows,
        decisions=eligibility.decisions_for(db.session, rnd, [p.id for p in rows]),
        waiting=len(eligibility.waiting(db.session, rnd)),
        can_manage=edition_policy.can_manage_round(current_user, rnd),
    )


@bp.route("/rounds/<int:round_id>/eligibility/<int:proposal_id>", methods=["GET", "POST"])
@login_required
def decide(round_id: int, proposal_id: int):
    rnd = _eligibility_round(round_id)
    proposal = load_visible(proposal_id)
    if proposal.edition_id != rnd.edition_id or not proposal_policy.can_return(current_user, proposal):
        abort(404)
    current = eligibility.decisions_for(db.session, rnd, [proposal.id]).get(proposal.id)
    form = EligibilityForm(obj=current)
    form.checked.choices = [(c.id, c.name) for c in rnd.criteria]
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                eligibility.decide(
                    session,
                    actor=current_user,
                    rnd=rnd,
                    proposal=proposal,
                    outcome=form.outcome.data or "",
                    reason=form.reason.data,
                    checked=form.checked.data or [],
                )
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            flash(_("资格审查决定已保存。"), "success")
            return redirect(url_for(".eligibility_list", round_id=round_id))
    return render_template(
        "judging/eligibility_decide.html", rnd=rnd, proposal=proposal, form=form, current=current
    ), 400 if form.errors else 200


def _round_action(round_id: int, action, done: str):
    rnd = get_or_404(Round, round_id)
    if not edition_policy.can_manage_round(current_user, rnd):
        abort(403)
    try:
        with unit_of_work() as session:
            action(session, rnd)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(done, "success")
    return redirect(url_for(".eligibility_list", round_id=round_id))


@bp.post("/rounds/<int:round_id>/open")
@login_required
def open_round(round_id: int):
    return _round_action(round_id, lambda s, r: eligibility.open_round(s, actor=current_user, rnd=r), _("本轮已开始。"))


@bp.post("/rounds/<int:round_id>/close")
@login_required
def close_round(round_id: int):
    return _round_action(
        round_id, lambda s, r: eligibility.close_round(s, actor=current_user, rnd=r), _("本轮已结束。")
    )
