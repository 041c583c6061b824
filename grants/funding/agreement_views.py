"""The agreement pages: its PDF, signing with the scan, the scan's download, and a change of the
receiving unit or account (requested by the organizer, decided by another person in finance)."""

from __future__ import annotations

from pathlib import Path

from flask import Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.db import db, get_or_404, unit_of_work
from grants.errors import DomainError
from grants.forms import apply_domain_error
from grants.funding import agreement, plan, policy
from grants.funding.agreement_forms import AccountChangeForm, DecisionForm, SignForm
from grants.funding.models import AccountChange, GrantStatus
from grants.funding.views import bp, grant_or_404
from grants.proposals.attachments import file_path
from grants.reports.pdf import render_pdf
from grants.reports.responses import attachment_headers
from grants.timeutil import now
from grants.uploads import checked_upload


@bp.record_once
def _agreement_labels(state) -> None:
    state.app.jinja_env.globals.update({"account_change_status_label": agreement.account_change_status_label})


def _fail(form, err: DomainError) -> None:
    if not apply_domain_error(form, err):
        form.form_errors.append(str(err))


@bp.get("/grants/<int:grant_id>/agreement.pdf")
@login_required
def agreement_pdf(grant_id: int):
    grant = grant_or_404(grant_id)
    terms = agreement.terms_of(db.session, grant)
    html = render_template("pdf/agreement.html", terms=terms, conditions=plan.condition_labels(), printed_at=now())
    document = render_pdf(html, base_url=request.url_root)
    name = _("资助协议-%(number)s.pdf", number=terms.number)
    return Response(document, headers=attachment_headers(name, "application/pdf", ascii_name=f"{terms.number}.pdf"))


@bp.route("/grants/<int:grant_id>/sign", methods=["GET", "POST"])
@login_required
def sign(grant_id: int):
    grant = grant_or_404(grant_id)
    if not policy.can_manage(current_user, grant):
        abort(403)
    if grant.status != GrantStatus.APPROVED.value:
        flash(
            _("这份资助协议已经登记签订。") if grant.signed_on else _("只有待签协议的资助项目可以登记签订。"), "error"
        )
        return redirect(url_for(".grant", grant_id=grant_id))
    form = SignForm()
    if request.method == "GET":
        form.receiving_unit.data = form.account_name.data = agreement.suggested_receiving_unit(grant)
    elif form.validate():
        try:
            scan = checked_upload("scan")
            with unit_of_work() as session:
                agreement.sign_agreement(
                    session,
                    actor=current_user,
                    grant=grant,
                    signed_on=form.signed_on.data,
                    **{name: form[name].data or "" for name in agreement.ACCOUNT_FIELDS},
                    upload=scan,
                    upload_dir=Path(current_app.config["UPLOAD_DIR"]),
                )
        except DomainError as err:
            _fail(form, err)
        else:
            flash(_("资助协议已登记签订，各期拨付金额已确定。"), "success")
            return redirect(url_for(".grant", grant_id=grant_id))
    status = 400 if request.method == "POST" else 200
    return render_template("funding/sign.html", grant=grant, form=form), status


@bp.get("/grants/<int:grant_id>/agreement-scan")
@login_required
def agreement_scan(grant_id: int):
    grant = grant_or_404(grant_id)
    scan = agreement.agreement_scan(db.session, grant)
    path = file_path(Path(current_app.config["UPLOAD_DIR"]), scan) if scan else None
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=scan.mime, conditional=False, etag=False, max_age=0)
    response.headers.update(attachment_headers(scan.original_name, scan.mime, inline=scan.mime != "application/pdf"))
    return response


@bp.route("/grants/<int:grant_id>/account-change", methods=["GET", "POST"])
@login_required
def request_account_change(grant_id: int):
    grant = grant_or_404(grant_id)
    if not policy.can_manage(current_user, grant):
        abort(403)
    form = AccountChangeForm()
    if request.method == "GET":
        form.process(obj=grant)
    elif form.validate():
        try:
            with unit_of_work() as session:
                agreement.request_account_change(
                    session,
                    actor=current_user,
                    grant=grant,
                    **{name: form[name].data or "" for name in agreement.ACCOUNT_FIELDS},
                    reason=form.reason.data or "",
                )
        except DomainError as err:
            _fail(form, err)
        else:
            flash(_("收款账户变更已提交，财务审批同意后生效。"), "success")
            return redirect(url_for(".grant", grant_id=grant_id))
    status = 400 if request.method == "POST" else 200
    return render_template("funding/account_change.html", grant=grant, form=form), status


@bp.route("/grants/<int:grant_id>/account-changes/<int:change_id>", methods=["GET", "POST"])
@login_required
def account_change(grant_id: int, change_id: int):
    grant = grant_or_404(grant_id)
    change = get_or_404(AccountChange, change_id)
    if change.grant_id != grant.id:
        abort(404)
    may_decide = policy.is_finance(current_user, grant)
    if request.method == "POST" and not may_decide:
        abort(403)
    form = DecisionForm()
    if request.method == "POST" and form.validate():
        try:
            with unit_of_work() as session:
                agreement.decide_account_change(
                    session,
                    actor=current_user,
                    grant=grant,
                    change=change,
                    approve=form.outcome.data == "approve",
                    note=form.note.data or "",
                )
        except DomainError as err:
            _fail(form, err)
        else:
            flash(_("已审批收款账户变更。"), "success")
            return redirect(url_for(".grant", grant_id=grant_id))
    return render_template(
        "funding/account_change_decision.html", grant=grant, change=change, form=form, may_decide=may_decide
    ), (400 if request.method == "POST" else 200)
