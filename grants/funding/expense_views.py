"""Expense pages: the lead records an expense with its receipt; reviewers accept or reject it;
the receipt is served to those who may see the grant (every route checks this grant)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.db import db, get_or_404, unit_of_work
from grants.errors import DomainError
from grants.funding import expenses, policy
from grants.funding.models import Expense, Grant
from grants.funding.views import bp, grant_or_404
from grants.money import yuan_to_fen
from grants.params import whole_number
from grants.proposals import attachments
from grants.reports.responses import attachment_headers
from grants.uploads import checked_upload

FIELDS = ("spent_on", "item_id", "payee", "amount", "purpose", "unit_price", "quantity", "invoice_no")


def _fen(text: str, field: str, *, optional: bool = False) -> int | None:
    """Raises: DomainError when the text is not an amount in yuan."""
    if optional and not text:
        return None
    try:
        return yuan_to_fen(text)
    except ValueError:
        raise DomainError(_("金额请填写数字（元），最多两位小数。"), field=field) from None


def _data_from_form(form: dict[str, str]) -> expenses.ExpenseData:
    """The typed expense, parsed (the service checks the rules).

    Raises: DomainError naming the field that is not a date, an amount or a number.
    """
    try:
        spent_on = date.fromisoformat(form["spent_on"]) if form["spent_on"] else None
    except ValueError:
        raise DomainError(_("支出日期格式应为年-月-日。"), field="spent_on") from None
    quantity = form["quantity"]
    if quantity and not (quantity.isascii() and quantity.isdigit() and len(quantity) <= 6):
        raise DomainError(_("数量请填写正整数。"), field="quantity")
    receipt = checked_upload("receipt")  # before the write transaction
    return expenses.ExpenseData(
        spent_on=spent_on,
        item_id=whole_number(form["item_id"]),
        payee=form["payee"],
        amount_fen=_fen(form["amount"], "amount") or 0,
        purpose=form["purpose"],
        invoice_no=form["invoice_no"],
        unit_price_fen=_fen(form["unit_price"], "unit_price", optional=True),
        quantity=int(quantity) if quantity else None,
        receipt=receipt,
    )


@bp.route("/grants/<int:grant_id>/expenses/new", methods=["GET", "POST"])
@login_required
def new_expense(grant_id: int):
    grant = grant_or_404(grant_id)
    if not policy.can_report(current_user, grant):
        abort(403)
    form = {name: request.form.get(name, "").strip()[:200] for name in FIELDS}
    error = None
    if request.method == "POST":  # CSRFProtect has checked the token
        try:
            data = _data_from_form(form)
            with unit_of_work() as session:
                expenses.record_expense(
                    session,
                    actor=current_user,
                    grant=grant,
                    data=data,
                    upload_dir=Path(current_app.config["UPLOAD_DIR"]),
                )
        except DomainError as err:
            error = err
        else:
            flash(_("支出已登记，等待审核。"), "success")
            return redirect(url_for(".grant", grant_id=grant_id, _anchor="expenses-heading"))
    lines = [line for line in expenses.line_figures(db.session, grant.id) if line.budget_fen > 0]
    return render_template(
        "funding/expense_form.html",
        grant=grant,
        lines=lines,
        form=form,
        error=error,
        refusal=expenses.spending_refusal(grant),
    ), (400 if error else 200)


def expense_or_404(expense_id: int) -> tuple[Expense, Grant]:
    """The expense and its grant, if this user may see the grant (else a 404 as for no expense)."""
    expense = get_or_404(Expense, expense_id)
    return expense, grant_or_404(expense.grant_id)


@bp.post("/expenses/<int:expense_id>/review")
@login_required
def review_expense(expense_id: int):
    expense, grant = expense_or_404(expense_id)
    if not policy.can_review_expenses(current_user, grant):
        abort(403)
    decision = request.form.get("decision", "")
    if decision not in ("accept", "reject"):
        abort(400)
    try:
        with unit_of_work() as session:
            expenses.review_expense(
                session,
                actor=current_user,
                expense=expense,
                accept=decision == "accept",
                reason=request.form.get("reason", ""),
            )
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("已认可这笔支出。") if decision == "accept" else _("已不予认可这笔支出。"), "success")
    return redirect(url_for(".grant", grant_id=grant.id, _anchor=f"expense-{expense_id}"))


@bp.get("/expenses/<int:expense_id>/receipt")
@login_required
def expense_receipt(expense_id: int):
    expense, _grant = expense_or_404(expense_id)
    receipt = expenses.receipt_of(db.session, expense)
    path = attachments.file_path(Path(current_app.config["UPLOAD_DIR"]), receipt) if receipt else None
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=receipt.mime, conditional=False, etag=False)
    response.headers.update(
        attachment_headers(receipt.original_name, receipt.mime, inline=receipt.mime.startswith("image/"))
    )
    return response
