"""Round 1 pages: the screening list, the decision form, opening and closing the round."""

from __future__ import annotations

from functools import cache

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import bindparam, select
from sqlalchemy.orm import defaultload, joinedload

from grants.db import db, get_or_404, unit_of_work
from grants.editions import labels
from grants.editions import policy as edition_policy
from grants.editions.models import Edition, Round, RoundKind
from grants.errors import DomainError
from grants.forms import apply_domain_error, posted_text
from grants.judging import closing, eligibility, integrity, policy, reading, scoring, sheets
from grants.judging.forms import EligibilityForm
from grants.judging.models import Assignment
from grants.judging.states import SheetStatus
from grants.proposals import policy as proposal_policy
from grants.proposals import queries
from grants.proposals.views.drafts import load_visible

bp = Blueprint("judging", __name__, url_prefix="/review")


@bp.record_once
def _judging_labels(state) -> None:
    from grants.judging.states import sheet_status_label, withdrawal_cause_label

    state.app.jinja_env.globals.update(
        {
            "sheet_status_label": sheet_status_label,
            "withdrawal_cause_label": withdrawal_cause_label,
            "aggregation_label": aggregation_label,
            "entered_total": lambda values, criteria: scoring.entered_total(values.get(c.id, "") for c in criteria),
        }
    )


@bp.app_template_filter("points")
def points_filter(value) -> str:
    """A score with two decimals (exact fractions, floats and decimals alike)."""
    return scoring.format_points(value)


def aggregation_label(rnd: Round) -> str:
    text = labels.label(labels.AGGREGATION_LABELS, rnd.aggregation)
    if rnd.aggregation == "trimmed_mean":
        text = _("%(method)s（%(n)d位及以上评委时）", method=text, n=rnd.trim_min_judges)
    if rnd.normalize:
        text = _("%(method)s，评委打分先标准化", method=text)
    return text


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
        waiting=queries.count_in_scope(db.session, current_user, rnd.edition, eligibility.WAITING),
        decidable={p.id for p in rows if eligibility.decidable(p)},
        close_refusal=eligibility.close_refusal(db.session, rnd) if rnd.status == "open" else None,
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
    rnd = get_or_404(Round, round_id)
    if not edition_policy.can_manage_round(current_user, rnd):
        abort(403)
    try:
        with unit_of_work() as session:
            closing.close_round(session, actor=current_user, rnd=rnd)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("本轮已结束。"), "success")
    if rnd.kind == RoundKind.ELIGIBILITY:
        return redirect(url_for(".eligibility_list", round_id=round_id))
    return redirect(url_for(".results", round_id=round_id))


# --- scoring rounds -------------------------------------------------------------------------------


# The round with its criteria, its edition and district in one statement built once; the round
# pages never list the edition's categories.
@cache
def _scoring_round():
    return (
        select(Round)
        .where(Round.id == bindparam("round_id"))
        .options(joinedload(Round.criteria), defaultload(Round.edition).lazyload(Edition.categories))
    )


def scoring_round_for_organizer(round_id: int) -> Round:
    rnd = db.session.execute(_scoring_round(), {"round_id": round_id}).unique().scalar_one_or_none()
    if rnd is None:
        abort(404)
    if rnd.kind != RoundKind.SCORING:
        abort(404)
    if not edition_policy.can_manage_round(current_user, rnd):
        abort(403)
    return rnd


@bp.get("/rounds/<int:round_id>/sheets")
@login_required
def round_sheets(round_id: int):
    rnd = scoring_round_for_organizer(round_id)
    held, withdrawn = integrity.blocking_sheets(db.session, rnd)
    return render_template(
        "judging/round_sheets.html",
        rnd=rnd,
        progress=sheets.progress_by_judge(db.session, rnd),
        held=held,
        withdrawn=withdrawn,
    )


@bp.post("/rounds/<int:round_id>/assign")
@login_required
def assign_round(round_id: int):
    rnd = scoring_round_for_organizer(round_id)
    try:
        with unit_of_work() as session:
            created = sheets.assign_round(session, actor=current_user, rnd=rnd)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("已分配%(n)d张评分表。", n=created), "success")
    return redirect(url_for(".round_sheets", round_id=round_id))


@bp.post("/rounds/<int:round_id>/start")
@login_required
def start_scoring(round_id: int):
    rnd = scoring_round_for_organizer(round_id)
    try:
        with unit_of_work() as session:
            eligibility.open_round(session, actor=current_user, rnd=rnd)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("本轮已开始。"), "success")
    return redirect(url_for(".round_sheets", round_id=round_id))


@bp.get("/queue")
@login_required
def queue():
    assignments = sheets.judge_queue(db.session, current_user)
    done = sum(1 for a in assignments if a.status == "submitted")
    return render_template(
        "judging/queue.html",
        assignments=assignments,
        done=done,
        reminders=sheets.reminders_for(db.session, current_user.id),
    )


def _own_sheet(assignment_id: int) -> Assignment | reading.SheetView:
    """The judge's own sheet: to show, the page's read model (GET); to save, the assignment (POST)."""
    load = reading.sheet_view if request.method == "GET" else reading.sheet_page
    assignment = load(db.session, assignment_id) or abort(404)
    if not policy.can_open_sheet(current_user, assignment):
        abort(403)
    return assignment


def sheet_form(assignment: Assignment, *, on_behalf: bool, done):
    """Show and save a score sheet: the judge's own, or the organizer's proxy entry.

    ``done(assignment)`` gives (flash message, redirect URL) after a successful save.
    """
    raw = {c.id: request.form.get(f"c{c.id}", "") for c in assignment.round.criteria}
    errors: list[str] = []
    if request.method == "POST":  # CSRFProtect has checked the token
        try:
            with unit_of_work() as session:
                sheets.save_sheet(
                    session,
                    actor=current_user,
                    assignment=assignment,
                    raw_points=raw,
                    comment=posted_text("comment", _("评语")),
                    submit=request.form.get("action") == "submit",
                    on_behalf=on_behalf,
                )
        except DomainError as err:
            errors = [str(err)]
        else:
            message, target = done(assignment)
            flash(message, "success")
            return redirect(target)
    values = raw if request.method == "POST" else {k: str(v) for k, v in assignment.points_by_criterion().items()}
    return render_template(
        "judging/sheet.html",
        assignment=assignment,
        proposal=load_visible_for_judge(assignment),
        values=values,
        errors=errors,
        proxy=on_behalf,
        # The read model carries its declared-conflict check; the assignment asks for it.
        blocked=integrity.sheet_block(
            db.session,
            assignment,
            conflicts=assignment.conflicts if isinstance(assignment, reading.SheetView) else None,
        ),
    ), 400 if errors else 200


@bp.route("/assignments/<int:assignment_id>", methods=["GET", "POST"])
@login_required
def sheet(assignment_id: int):
    def done(assignment):
        if assignment.status != SheetStatus.SUBMITTED:
            return _("评分已保存。"), url_for(".sheet", assignment_id=assignment_id)
        # A judge scoring an evening's sheets goes on to the next one still to score.
        following, left = sheets.next_to_score(sheets.judge_queue(db.session, current_user), assignment_id)
        if following is None:
            return _("评分已提交。您的评分表已全部提交。"), url_for(".queue")
        message = _("评分已提交。这是下一份待评分的项目（还有%(n)d份）。", n=left)
        return message, url_for(".sheet", assignment_id=following.id)

    return sheet_form(_own_sheet(assignment_id), on_behalf=False, done=done)


@bp.post("/assignments/<int:assignment_id>/unlock")
@login_required
def unlock(assignment_id: int):
    assignment = get_or_404(Assignment, assignment_id)
    if not edition_policy.can_manage_round(current_user, assignment.round):
        abort(403)
    try:
        with unit_of_work() as session:
            sheets.unlock_sheet(
                session, actor=current_user, assignment=assignment, reason=posted_text("reason", _("原因"))
            )
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("评分表已解锁。"), "success")
    return redirect(url_for(".round_sheets", round_id=assignment.round_id))


def load_visible_for_judge(assignment: Assignment):
    """The proposal as the sheet shows it (the judge reaches it only through the assignment,
    loaded with it by ``reading.sheet_page``)."""
    return assignment.proposal


from grants.judging import panel_views, results_views  # noqa: E402,F401  (register their pages on bp)
