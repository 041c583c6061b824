"""Funding pages: the organizer's tranche plan of an edition, and the page of one grant."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.db import db, get_or_404, unit_of_work
from grants.editions.forms import TransitionForm
from grants.editions.models import Edition
from grants.errors import DomainError
from grants.funding import (
    agreement,
    balances,
    budget_changes,
    disbursement_queries,
    expenses,
    plan,
    policy,
    reports,
    service,
    settlement,
    tranches,
)
from grants.funding.models import Grant
from grants.funding.states import grant_machine, grant_status_label, report_status_label
from grants.funding.tranches import Part

bp = Blueprint("funding", __name__, url_prefix="/funding")

EXTRA_ROWS = 2  # blank rows offered for new parts
MAX_ROWS = tranches.MAX_PARTS + EXTRA_ROWS


@dataclass
class Row:
    """One row of the plan form as typed (kept to show it again when refused)."""

    name: str
    percent: str
    condition: str
    order: str
    remove: bool = False


def _rows_from_form() -> list[Row]:
    return [
        Row(
            name=request.form.get(f"parts-{i}-name", "").strip(),
            percent=request.form.get(f"parts-{i}-percent", "").strip(),
            condition=request.form.get(f"parts-{i}-condition", ""),
            order=request.form.get(f"parts-{i}-order", "").strip(),
            remove=bool(request.form.get(f"parts-{i}-remove")),
        )
        for i in range(MAX_ROWS)
    ]


def _parts(rows: list[Row]) -> list[Part]:
    """The parts the organizer kept, in the order they asked for.

    Raises: DomainError naming the row whose share or order is not a number.
    """
    kept: list[tuple[int, int, Part]] = []
    for i, row in enumerate(rows, start=1):
        if row.remove or not (row.name or row.percent):
            continue  # removed, or a blank row left blank
        try:
            bp_value = tranches.percent_to_bp(row.percent)
        except ValueError:
            raise DomainError(_("第%(n)d行：比例请填写0.01到100之间、最多两位小数的数字。", n=i)) from None
        if row.order and not (row.order.isascii() and row.order.isdigit() and len(row.order) <= 3):
            raise DomainError(_("第%(n)d行：顺序请填写整数。", n=i))
        kept.append((int(row.order) if row.order else i, i, Part(row.name, bp_value, row.condition)))
    return [part for _order, _i, part in sorted(kept, key=lambda item: (item[0], item[1]))]


def _rows_for(parts: list[Part]) -> list[Row]:
    rows = [Row(p.name, tranches.bp_to_percent(p.percent_bp), p.condition, str(i)) for i, p in enumerate(parts, 1)]
    blank = [Row("", "", tranches.Condition.AFTER_FINAL_PASSED.value, "") for _ in range(EXTRA_ROWS)]
    return (rows + blank)[:MAX_ROWS]


@bp.route("/editions/<int:edition_id>/tranche-plan", methods=["GET", "POST"])
@login_required
def tranche_plan(edition_id: int):
    edition = get_or_404(Edition, edition_id)
    if not policy.can_edit_tranche_plan(current_user, edition):
        abort(403)
    rows = None
    if request.method == "POST":  # CSRFProtect has checked the token
        rows = _rows_from_form()
        try:
            parts = _parts(rows)
            with unit_of_work() as session:
                plan.replace_plan(session, actor=current_user, edition=edition, parts=parts)
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash(_("拨付计划已保存。"), "success")
            return redirect(url_for(".tranche_plan", edition_id=edition_id))
    current = plan.as_parts(plan.plan_of(db.session, edition.id)) or plan.default_parts()
    return render_template(
        "funding/tranche_plan.html",
        edition=edition,
        rows=rows if rows is not None else _rows_for(current),
        parts=current,
        example=tranches.split(edition.cap_fen, current),
        conditions=plan.condition_labels(),
        percent=tranches.bp_to_percent,
        locked=plan.locked(db.session, edition.id),
    ), (400 if rows is not None else 200)


# --- one grant ---------------------------------------------------------------------------------


def grant_or_404(grant_id: int) -> Grant:
    """The grant, if this user may see it: others get the same 404 as for a grant that does not
    exist (a team must not learn which other grants exist)."""
    grant = get_or_404(Grant, grant_id)
    if not policy.can_view(current_user, grant):
        abort(404)
    return grant


@bp.record_once
def _grant_labels(state) -> None:
    state.app.jinja_env.globals.update(
        {"grant_status_label": grant_status_label, "report_status_label": report_status_label}
    )


@bp.get("/grants/<int:grant_id>")
@login_required
def grant(grant_id: int):
    grant = grant_or_404(grant_id)
    session = db.session
    figures = balances.of_grant(session, grant.id)
    return render_template(
        "funding/grant.html",
        grant=grant,
        proposal=grant.proposal,
        figures=figures,
        reporting=reports.section(session, grant),
        settlement=settlement.section(session, grant, figures),
        options=grant_machine.options(grant, current_user),
        steps=grant_machine.pending_steps(grant),
        conditions=plan.condition_labels(),
        may_manage=policy.can_manage(current_user, grant),
        account_change=agreement.open_account_change(session, grant.id),
        may_report=policy.can_report(current_user, grant),
        is_finance=policy.is_finance(current_user, grant),
        tranche_rows=disbursement_queries.tranche_rows(session, grant),
        expense_view=expenses.section(session, grant, current_user),
        budget_view=budget_changes.section(session, grant, current_user),
    )


@bp.post("/grants/<int:grant_id>/status")
@login_required
def change_grant_status(grant_id: int):
    grant = grant_or_404(grant_id)
    if not policy.can_manage(current_user, grant):
        abort(403)
    form = TransitionForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.change_status(
                    session, actor=current_user, grant=grant, target=form.target.data or "", reason=form.reason.data
                )
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash(_("状态已更新为“%(status)s”。", status=grant_status_label(grant.status)), "success")
    else:
        flash(_("请求无效，请重试。"), "error")
    return redirect(url_for(".grant", grant_id=grant_id))


from grants.funding import (  # noqa: E402,F401  (their routes register on bp)
    agreement_views,
    budget_change_views,
    disbursement_views,
    expense_views,
    overview_views,
    report_views,
)
