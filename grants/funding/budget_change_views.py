"""Budget change pages: the lead's request form, the organizer's decision, the lead's withdrawal,
and the list of every approved version (every route checks this grant)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.db import db, get_or_404, unit_of_work
from grants.errors import DomainError
from grants.funding import budget_changes, policy
from grants.funding.models import BudgetChange, Grant
from grants.funding.views import bp, grant_or_404
from grants.money import fen_to_yuan_input, yuan_to_fen
from grants.params import whole_number
from grants.proposals.service import ensure_budget_categories

EXTRA_ROWS = 2  # blank rows offered for new lines


@dataclass
class Row:
    """One row of the form as typed (kept to show it again when refused)."""

    item_id: str
    label: str
    category_id: str
    item: str
    unit_price: str
    quantity: str


def _rows_for(session, grant: Grant) -> list[Row]:
    """The current budget's lines with money, then blank rows for new lines."""
    section = budget_changes.section(session, grant, current_user)
    rows = [
        Row(str(line.item_id), label, "", "", fen_to_yuan_input(line.unit_price_fen), str(line.quantity))
        for label, line in section.lines
    ]
    return rows + [Row("", "", "", "", "", "") for _ in range(EXTRA_ROWS)]


def _rows_from_form(offered: list[Row]) -> list[Row]:
    """The rows as typed; which existing line a row is comes from what was offered, not the form."""
    field = lambda i, name: request.form.get(f"lines-{i}-{name}", "").strip()[:100]  # noqa: E731
    return [
        Row(
            row.item_id,
            row.label,
            field(i, "category_id"),
            field(i, "item"),
            field(i, "unit_price"),
            field(i, "quantity"),
        )
        for i, row in enumerate(offered)
    ]


def _number(text: str, n: int, *, money: bool) -> int:
    """Raises: DomainError naming the row whose figure is not a number."""
    try:
        if money:
            return yuan_to_fen(text or "0")
        if not (text or "0").isascii() or not (text or "0").isdigit() or len(text) > 6:
            raise ValueError(text)
        return int(text or "0")
    except ValueError:
        raise DomainError(_("第%(n)d行：单价请填写金额（元），数量请填写整数。", n=n)) from None


def _lines(rows: list[Row]) -> list[budget_changes.ProposedLine]:
    """The proposed lines (blank new rows left out).

    Raises: DomainError naming a row with a figure that is not a number.
    """
    lines = []
    for n, row in enumerate(rows, start=1):
        if not row.item_id and not (row.item or row.unit_price or row.quantity):
            continue
        lines.append(
            budget_changes.ProposedLine(
                item_id=whole_number(row.item_id),
                category_id=whole_number(row.category_id),
                item=row.item,
                unit_price_fen=_number(row.unit_price, n, money=True),
                quantity=_number(row.quantity, n, money=False),
            )
        )
    return lines


@bp.route("/grants/<int:grant_id>/budget-changes/new", methods=["GET", "POST"])
@login_required
def new_budget_change(grant_id: int):
    grant = grant_or_404(grant_id)
    if not policy.can_report(current_user, grant):
        abort(403)
    rows = _rows_for(db.session, grant)
    reason, error = request.form.get("reason", "").strip(), None
    if request.method == "POST":  # CSRFProtect has checked the token
        rows = _rows_from_form(rows)
        try:
            lines = _lines(rows)
            with unit_of_work() as session:
                budget_changes.request_change(session, actor=current_user, grant=grant, lines=lines, reason=reason)
        except DomainError as err:
            error = err
        else:
            flash(_("预算调整申请已提交，等待主办方审批。"), "success")
            return redirect(url_for(".grant", grant_id=grant_id, _anchor="budget-heading"))
    return render_template(
        "funding/budget_change_form.html",
        grant=grant,
        rows=rows,
        reason=reason,
        error=error,
        categories=ensure_budget_categories(db.session, grant.edition),
    ), (400 if error else 200)


def change_or_404(change_id: int) -> tuple[BudgetChange, Grant]:
    """The request and its grant, if this user may see the grant (else the same 404 as for none)."""
    change = get_or_404(BudgetChange, change_id)
    return change, grant_or_404(change.grant_id)


@bp.post("/budget-changes/<int:change_id>/decide")
@login_required
def decide_budget_change(change_id: int):
    change, grant = change_or_404(change_id)
    if not policy.can_manage(current_user, grant):
        abort(403)
    decision = request.form.get("decision", "")
    if decision not in ("approve", "reject"):
        abort(400)
    try:
        with unit_of_work() as session:
            budget_changes.decide_change(
                session,
                actor=current_user,
                change=change,
                approve=decision == "approve",
                note=request.form.get("note", ""),
            )
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("已批准预算调整，新预算已生效。") if decision == "approve" else _("已驳回预算调整。"), "success")
    return redirect(url_for(".grant", grant_id=grant.id, _anchor="budget-heading"))


@bp.post("/budget-changes/<int:change_id>/withdraw")
@login_required
def withdraw_budget_change(change_id: int):
    change, grant = change_or_404(change_id)
    if not policy.can_report(current_user, grant):
        abort(403)
    try:
        with unit_of_work() as session:
            budget_changes.withdraw_change(session, actor=current_user, change=change)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("预算调整申请已撤回。"), "success")
    return redirect(url_for(".grant", grant_id=grant.id, _anchor="budget-heading"))


@bp.get("/grants/<int:grant_id>/budget-versions")
@login_required
def budget_versions(grant_id: int):
    grant = grant_or_404(grant_id)
    return render_template(
        "funding/budget_versions.html", grant=grant, versions=budget_changes.versions(db.session, grant.id)
    )
