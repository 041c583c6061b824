"""Disbursement pages: the actions on a grant's tranches (request, approve, reject, pay, failed,
returned) and finance's queue. Each POST checks the policy for this grant; CSRFProtect checks the
token; a broken rule is flashed and the user sent back to the grant page, never a 500."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants import timeutil
from grants.auth import policy as auth_policy
from grants.db import db, get_or_404, unit_of_work
from grants.errors import DomainError
from grants.funding import disbursement_queries, disbursements, policy
from grants.funding.models import Disbursement, Tranche
from grants.funding.views import bp, grant_or_404


@bp.record_once
def _payment_day(state) -> None:
    # The payment form's default date (Asia/Shanghai).
    state.app.jinja_env.globals.update({"local_today": timeutil.today})


def _act(grant_id: int, action: Callable[..., object], done: str, **values) -> object:
    """Run one disbursement service in a unit of work; flash its outcome; back to the grant page."""
    try:
        with unit_of_work() as session:
            action(session, actor=current_user, **values)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(done, "success")
    return redirect(url_for(".grant", grant_id=grant_id, _anchor="tranches-heading"))


def _disbursement_or_404(grant_id: int, disbursement_id: int) -> Disbursement:
    """The disbursement of this grant, if the user may see the grant (else 404), for finance (else 403)."""
    grant = grant_or_404(grant_id)
    disbursement = get_or_404(Disbursement, disbursement_id)
    if disbursement.grant_id != grant.id:
        abort(404)
    if not policy.is_finance(current_user, grant):
        abort(403)
    return disbursement


@bp.post("/grants/<int:grant_id>/tranches/<int:tranche_id>/request")
@login_required
def request_disbursement(grant_id: int, tranche_id: int):
    grant = grant_or_404(grant_id)
    tranche = get_or_404(Tranche, tranche_id)
    if tranche.grant_id != grant.id:
        abort(404)
    if not policy.can_manage(current_user, grant):
        abort(403)
    return _act(grant_id, disbursements.request, _("拨款申请已提交，等待财务审批。"), tranche=tranche)


@bp.post("/grants/<int:grant_id>/disbursements/<int:disbursement_id>/approve")
@login_required
def approve_disbursement(grant_id: int, disbursement_id: int):
    disbursement = _disbursement_or_404(grant_id, disbursement_id)
    return _act(grant_id, disbursements.approve, _("拨款已审批，等待登记拨付。"), disbursement=disbursement)


@bp.post("/grants/<int:grant_id>/disbursements/<int:disbursement_id>/reject")
@login_required
def reject_disbursement(grant_id: int, disbursement_id: int):
    disbursement = _disbursement_or_404(grant_id, disbursement_id)
    reason = request.form.get("reason", "")
    return _act(grant_id, disbursements.reject, _("拨款申请已驳回。"), disbursement=disbursement, reason=reason)


@bp.post("/grants/<int:grant_id>/disbursements/<int:disbursement_id>/pay")
@login_required
def pay_disbursement(grant_id: int, disbursement_id: int):
    disbursement = _disbursement_or_404(grant_id, disbursement_id)
    try:
        paid_on = disbursements.parse_paid_on(request.form.get("paid_on", ""))
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for(".grant", grant_id=grant_id, _anchor="tranches-heading"))
    voucher_ref = request.form.get("voucher_ref", "")
    return _act(
        grant_id,
        disbursements.record_payment,
        _("拨付已登记并记入资金台账。"),
        disbursement=disbursement,
        paid_on=paid_on,
        voucher_ref=voucher_ref,
    )


@bp.post("/grants/<int:grant_id>/disbursements/<int:disbursement_id>/failed")
@login_required
def fail_disbursement(grant_id: int, disbursement_id: int):
    disbursement = _disbursement_or_404(grant_id, disbursement_id)
    reason = request.form.get("reason", "")
    done = _("已登记拨付失败，该期可重新申请。")
    return _act(grant_id, disbursements.record_failure, done, disbursement=disbursement, reason=reason)


@bp.post("/grants/<int:grant_id>/disbursements/<int:disbursement_id>/returned")
@login_required
def return_disbursement(grant_id: int, disbursement_id: int):
    disbursement = _disbursement_or_404(grant_id, disbursement_id)
    reason = request.form.get("reason", "")
    done = _("已登记款项退回并记入资金台账，该期可重新申请。")
    return _act(grant_id, disbursements.record_returned, done, disbursement=disbursement, reason=reason)


@bp.get("/queue")
@login_required
def queue():
    """Finance's queue across their districts (others: 404, the page is not theirs to know)."""
    district_ids = auth_policy.finance_district_ids(current_user)
    if not district_ids:
        abort(404)
    return render_template("funding/queue.html", queue=disbursement_queries.queue(db.session, district_ids))
