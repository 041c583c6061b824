"""The resident's side: apply, fill in the 申报书, save, submit, withdraw, my proposals."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.validators import ValidationError

from grants.db import db, get_or_404, unit_of_work
from grants.editions.models import Edition
from grants.errors import DomainError
from grants.forms import apply_domain_error
from grants.proposals import groups as proposal_groups
from grants.proposals import policy, service, standing
from grants.proposals.forms import ProposalForm, StartForm
from grants.proposals.rendered import proposal_body
from grants.proposals.states import proposal_status_label
from grants.proposals.views import bp
from grants.timeutil import now


def load_visible(proposal_id: int):
    """The proposal if this user may see it; 404 otherwise (its existence is not revealed)."""
    proposal = service.get_proposal(db.session, proposal_id)
    if proposal is None or not policy.can_view(current_user, proposal):
        abort(404)
    return proposal


def load_readable(proposal_id: int, *, named: bool = True):
    """The proposal if this user may read it and its files (``policy.can_read``); 404 otherwise."""
    proposal = service.get_proposal(db.session, proposal_id)
    if proposal is None or not policy.can_read(current_user, proposal, named=named):
        abort(404)
    return proposal


@bp.record_once
def _proposal_helpers(state) -> None:
    state.app.jinja_env.globals.update(
        {"proposal_status_label": proposal_status_label, "proposal_policy": policy, "proposal_body": proposal_body}
    )


@bp.route("/editions/<int:edition_id>/apply", methods=["GET", "POST"])
@login_required
def apply(edition_id: int):
    edition = get_or_404(Edition, edition_id)
    existing = service.active_proposal_in(db.session, edition.id, current_user.id)
    form = StartForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                proposal_id = service.start_proposal(session, actor=current_user, edition=edition).id
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash(_("草稿已创建，可以随时保存，稍后继续填写。"), "success")
            return redirect(url_for(".edit", proposal_id=proposal_id))
    return render_template(
        "proposals/apply.html",
        edition=edition,
        existing=existing,
        form=form,
        is_open=service.submission_open(edition, now()),
        budget_categories=service.budget_categories(db.session, edition.id) or service.default_budget_categories(),
    )


def _proposal_form(proposal) -> ProposalForm:
    form = ProposalForm()
    if request.method == "GET":
        form.fill_from(proposal)
    form.set_choices(
        proposal.edition.categories,
        service.communities_in_district(db.session, proposal.edition.district_id),
        service.budget_categories(db.session, proposal.edition_id),
        proposal_groups.eligible_groups(db.session, user_id=current_user.id, district_id=proposal.edition.district_id),
    )
    if request.method == "GET":
        form.add_blank_rows()
    return form


def _save(form: ProposalForm, proposal, submit: bool) -> list[str]:
    """Save (and submit); the messages to show, empty on success."""
    try:
        data = form.to_data()
    except ValidationError as err:
        return [str(err)]
    try:
        with unit_of_work() as session:
            service.save_draft(session, actor=current_user, proposal=proposal, data=data)
    except service.BudgetRuleError as err:
        return err.messages
    except DomainError as err:
        return [] if apply_domain_error(form, err) else [str(err)]
    if not submit:
        return []
    fresh = service.get_proposal(db.session, proposal.id)
    if missing := service.missing_for_submission(fresh):
        return [_("草稿已保存，但还不能提交："), *missing]
    try:
        with unit_of_work() as session:
            service.submit_proposal(session, actor=current_user, proposal=fresh)
    except DomainError as err:
        return [_("草稿已保存，但还不能提交："), str(err)]
    return []


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(proposal_id: int):
    proposal = load_visible(proposal_id)
    if current_user.id != proposal.applicant_id:
        abort(403)
    if not policy.can_edit(current_user, proposal):
        flash(_("这份申报书已提交，不能再修改。"), "info")
        return redirect(url_for(".detail", proposal_id=proposal_id))
    form = _proposal_form(proposal)
    messages: list[str] = []
    action = request.form.get("action", "save")
    if form.validate_on_submit():
        messages = _save(form, proposal, submit=action == "submit")
        if not messages and not form.errors:
            if action == "submit":
                flash(_("申报书已提交。提交后不能再修改，请留意审查结果。"), "success")
                return redirect(url_for(".detail", proposal_id=proposal_id))
            flash(_("草稿已保存。"), "success")
            anchor = {"more_team": "team", "more_activities": "activities", "more_budget": "budget"}.get(action, "")
            return redirect(url_for(".edit", proposal_id=proposal_id, _anchor=anchor or None))
    if request.method == "POST" and len(form.budget_lines) + len(form.team) + len(form.activities) < 40:
        form.add_blank_rows(1)
    status = 400 if (messages or form.errors) else 200
    return render_template("proposals/form.html", form=form, proposal=proposal, messages=messages), status


@bp.get("/proposals/<int:proposal_id>")
@login_required
def detail(proposal_id: int):
    proposal = load_visible(proposal_id)
    where = standing.standing_of(db.session, proposal)
    return render_template(
        "proposals/detail.html",
        proposal=proposal,
        standing=where,
        missing=service.missing_for_submission(proposal) if policy.can_edit(current_user, proposal) else [],
        can_withdraw=service.can_withdraw_now(db.session, current_user, proposal),
        comments=where.comments,
        version_at=service.version_submitted_at(db.session, proposal),
    )


@bp.post("/proposals/<int:proposal_id>/withdraw")
@login_required
def withdraw(proposal_id: int):
    proposal = load_visible(proposal_id)
    if not policy.can_withdraw(current_user, proposal):
        abort(403)
    try:
        with unit_of_work() as session:
            service.withdraw_proposal(session, actor=current_user, proposal=proposal)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("申报书已撤回。"), "success")
    return redirect(url_for(".detail", proposal_id=proposal_id))


@bp.get("/my/proposals")
@login_required
def mine():
    return render_template(
        "proposals/mine.html",
        standings=standing.standings_of_applicant(db.session, current_user.id),
        editions=service.open_editions(db.session),
    )
