"""Funding pages of reports, evaluations and settlement: the edition's evaluation rubric, a
grant's reports (submit, evaluate, return, photos) and the refund finance records."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.db import db, get_or_404, unit_of_work
from grants.editions.models import Edition
from grants.errors import DomainError
from grants.funding import evaluations, policy, reports, rubrics, settlement
from grants.funding.models import GrantReport
from grants.funding.views import bp, grant_or_404
from grants.params import form_ids
from grants.proposals.attachments import file_path
from grants.reports.responses import attachment_headers
from grants.uploads import uploaded_all

RUBRIC_ROWS = rubrics.MAX_INDICATORS


def _day(value: str, field: str, *, optional: bool = False) -> date | None:
    value = (value or "").strip()
    if optional and not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(_("请按“年-月-日”填写日期。"), field=field) from None


def _whole(value: str, message: str) -> int:
    value = (value or "").strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 6):
        raise DomainError(message)
    return int(value)


def _indicators_from_form() -> list[rubrics.Indicator]:
    found = []
    for i in range(RUBRIC_ROWS):
        name = request.form.get(f"ind-{i}-name", "").strip()
        points = request.form.get(f"ind-{i}-points", "").strip()
        if not (name or points):
            continue
        message = _("第%(n)d行：满分应为1到%(max)d之间的整数。", n=i + 1, max=rubrics.MAX_POINTS)
        found.append(rubrics.Indicator(name, _whole(points, message)))
    return found


@bp.route("/editions/<int:edition_id>/evaluation", methods=["GET", "POST"])
@login_required
def evaluation_rubric(edition_id: int):
    edition = get_or_404(Edition, edition_id)
    if not policy.can_edit_tranche_plan(current_user, edition):
        abort(404)
    status = 200
    if request.method == "POST":
        kind = request.form.get("kind", "")
        try:
            pass_mark = _whole(request.form.get("pass_mark", ""), _("合格分请填写整数。"))
            indicators = _indicators_from_form()
            due_on = _day(request.form.get("due_on", ""), "due_on", optional=True)
            with unit_of_work() as session:
                rubrics.replace_rubric(
                    session,
                    actor=current_user,
                    edition=edition,
                    kind=kind,
                    indicators=indicators,
                    pass_mark=pass_mark,
                    due_on=due_on,
                )
        except DomainError as err:
            flash(str(err), "error")
            status = 400
        else:
            flash(_("评估指标已保存。"), "success")
            return redirect(url_for(".evaluation_rubric", edition_id=edition_id))
    session = db.session
    return render_template(
        "funding/evaluation_rubric.html",
        edition=edition,
        rubric_list=[rubrics.current(session, edition.id, kind) for kind in rubrics.KINDS],
        locked={kind: rubrics.locked(session, edition.id, kind) for kind in rubrics.KINDS},
        kinds=rubrics.kind_labels(),
        rows=RUBRIC_ROWS,
    ), status


@bp.route("/grants/<int:grant_id>/reports/new", methods=["GET", "POST"])
@login_required
def new_report(grant_id: int):
    grant = grant_or_404(grant_id)
    if not policy.can_report(current_user, grant):
        abort(403)
    kind = request.values.get("kind", reports.KINDS[0])
    if kind not in reports.KINDS:
        abort(404)
    status = 200
    if request.method == "POST":
        try:
            photos = reports.check_photos(uploaded_all("photos"))  # before the write transaction
            with unit_of_work() as session:
                report = reports.submit_report(
                    session,
                    actor=current_user,
                    grant=grant,
                    kind=kind,
                    summary=request.form.get("summary", ""),
                    beneficiaries=request.form.get("beneficiaries", ""),
                    activities_count=request.form.get("activities_count", ""),
                    photos=photos,
                    upload_dir=Path(current_app.config["UPLOAD_DIR"]),
                )
        except DomainError as err:
            flash(str(err), "error")
            status = 400
        else:
            flash(_("%(kind)s已提交。", kind=reports.kind_label(kind)), "success")
            return redirect(url_for(".report", report_id=report.id))
    return render_template(
        "funding/report_form.html",
        grant=grant,
        kind=kind,
        kind_label=reports.kind_label(kind),
        refusal=reports.refusal(db.session, grant, kind),
        expense_lines=reports.expense_list(db.session, grant.id),
        max_photos=reports.MAX_PHOTOS,
        period=reports.period_of(db.session, grant, kind),
    ), status


def _report_or_404(report_id: int) -> tuple[GrantReport, object]:
    report = get_or_404(GrantReport, report_id)
    return report, grant_or_404(report.grant_id)


@bp.get("/reports/<int:report_id>")
@login_required
def report(report_id: int):
    report, grant = _report_or_404(report_id)
    session = db.session
    return render_template(
        "funding/report.html",
        report=report,
        grant=grant,
        kind_label=reports.kind_label(report.kind),
        photos=reports.photos_of(session, [report.id])[report.id],
        evaluation=reports.evaluations_by_report(session, grant.id).get(report.id),
        returned=reports.return_reasons(session, [report.id]).get(report.id),
        rubric=rubrics.current(session, grant.edition_id, report.kind),
        expense_lines=reports.expense_list(session, grant.id),
        period=reports.period_of(session, grant, report.kind, report),
        may_manage=policy.can_manage(current_user, grant),
    )


@bp.post("/reports/<int:report_id>/evaluation")
@login_required
def evaluate_report(report_id: int):
    report, grant = _report_or_404(report_id)
    if not policy.can_manage(current_user, grant):
        abort(403)
    scores = form_ids("score-")
    try:
        with unit_of_work() as session:
            evaluation = evaluations.evaluate_report(
                session, actor=current_user, report=report, scores=scores, comment=request.form.get("comment", "")
            )
    except DomainError as err:
        flash(str(err), "error")
    else:
        if evaluation.passed:
            flash(_("评估已记录：通过（%(total)d分）。", total=evaluation.total_points), "success")
        else:
            flash(_("评估已记录：未通过（%(total)d分）。", total=evaluation.total_points), "warning")
    return redirect(url_for(".report", report_id=report_id))


@bp.post("/reports/<int:report_id>/return")
@login_required
def return_report(report_id: int):
    report, grant = _report_or_404(report_id)
    if not policy.can_manage(current_user, grant):
        abort(403)
    try:
        with unit_of_work() as session:
            reports.return_report(session, actor=current_user, report=report, reason=request.form.get("reason", ""))
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("报告已退回，项目负责人可修改后重新提交。"), "success")
    return redirect(url_for(".report", report_id=report_id))


@bp.get("/reports/<int:report_id>/photos/<int:attachment_id>")
@login_required
def report_photo(report_id: int, attachment_id: int):
    report, _grant = _report_or_404(report_id)
    attachment = reports.report_photo(db.session, report, attachment_id)
    if attachment is None:
        abort(404)
    path = file_path(Path(current_app.config["UPLOAD_DIR"]), attachment)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.mime, max_age=0)
    response.headers.update(attachment_headers(attachment.original_name, attachment.mime, inline=True))
    return response


@bp.post("/grants/<int:grant_id>/refunds")
@login_required
def record_refund(grant_id: int):
    grant = grant_or_404(grant_id)
    if not policy.is_finance(current_user, grant):
        abort(403)
    try:
        returned_on = _day(request.form.get("returned_on", ""), "returned_on")
        with unit_of_work() as session:
            settlement.record_refund(
                session,
                actor=current_user,
                grant=grant,
                returned_on=returned_on,
                amount=request.form.get("amount", ""),
                ref=request.form.get("ref", ""),
            )
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("结余退回已登记。"), "success")
    return redirect(url_for(".grant", grant_id=grant_id) + "#settlement-heading")
