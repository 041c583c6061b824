"""The edition's grants (organizer and finance), its reconciliation, and the finance exports."""

from __future__ import annotations

import io

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.auth import policy as auth_policy
from grants.db import db, get_or_404, unit_of_work
from grants.editions.models import Edition
from grants.errors import DomainError, NotAllowed
from grants.funding import exports, overview, policy, reconcile
from grants.funding.models import GrantStatus
from grants.funding.states import GRANT_STATUS_LABELS
from grants.funding.views import bp, grant_or_404
from grants.reports.models import DocumentJob
from grants.reports.responses import attachment_headers
from grants.results import documents

MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}


def edition_for_finance_or_403(edition_id: int) -> Edition:
    edition = get_or_404(Edition, edition_id)
    if not policy.can_view_edition_grants(current_user, edition):
        abort(403)
    return edition


@bp.get("/editions")
@login_required
def editions():
    """The editions whose grants this organizer or finance officer may see."""
    districts = auth_policy.organizer_district_ids(current_user) | auth_policy.finance_district_ids(current_user)
    if not districts:
        abort(403)
    return render_template("funding/editions.html", editions=overview.editions_of(db.session, districts))


@bp.get("/editions/<int:edition_id>/grants")
@login_required
def edition_grants(edition_id: int):
    edition = edition_for_finance_or_403(edition_id)
    filters = overview.Filters.parse(request.args)
    return render_template(
        "funding/edition_grants.html",
        edition=edition,
        filters=filters,
        view=overview.edition_grants(db.session, edition.id, filters),
        statuses=[(s.value, GRANT_STATUS_LABELS[s]) for s in GrantStatus],
        formats=exports.FORMATS,
    )


@bp.get("/editions/<int:edition_id>/reconcile")
@login_required
def edition_reconcile(edition_id: int):
    edition = edition_for_finance_or_403(edition_id)
    return render_template(
        "funding/reconcile.html", edition=edition, summary=reconcile.reconcile(db.session, edition.id)
    )


def _file(body: bytes, name: str, fmt: str, ascii_name: str) -> Response:
    return Response(body, headers=attachment_headers(name, MIMETYPES[fmt], ascii_name=f"{ascii_name}.{fmt}"))


@bp.post("/editions/<int:edition_id>/exports/<any(disbursements, expenses):kind>.<any(xlsx, csv, pdf):fmt>")
@login_required
def edition_export(edition_id: int, kind: str, fmt: str):
    """A short table comes back at once; a long one is made by the job queue (its progress page)."""
    edition = edition_for_finance_or_403(edition_id)
    export = exports.edition_export(db.session, edition, kind)
    back = url_for(".edition_grants", edition_id=edition_id)
    try:
        if not exports.runs_in_background(export, fmt):
            return _download(export, fmt)
        with unit_of_work() as session:
            job = exports.request_export(
                session, actor=current_user, edition=edition, kind=kind, fmt=fmt, total=export.count
            )
    except NotAllowed:
        abort(403)
    except DomainError as err:
        flash(str(err), "error")
        return redirect(back)
    _enqueue(job)
    return redirect(url_for(".export_job", export_job_id=job.id))


def _download(export: exports.Export, fmt: str) -> Response:
    """The export written now, as a download. Raises: DomainError (a PDF too long)."""
    out = io.BytesIO()
    exports.write(export, fmt, out, base_url=request.url_root)
    return _file(out.getvalue(), exports.filename(export, fmt), fmt, export.ascii_name)


def _enqueue(job: DocumentJob) -> None:
    from grants import jobs

    try:
        jobs.queue_for(current_app).funding_export(job.id)
    except Exception:  # the queue is down: the job fails visibly, the log says why
        current_app.logger.exception("could not enqueue funding export job %s", job.id)
        with unit_of_work() as session:
            documents.fail_job(
                session, job=session.get(DocumentJob, job.id), message=_("任务队列暂时不可用，请稍后重试。")
            )


@bp.get("/grants/<int:grant_id>/usage.<any(xlsx, csv, pdf):fmt>")
@login_required
def grant_usage(grant_id: int, fmt: str):
    """资金使用情况表 of one grant for a period (?start=&end=, ISO dates)."""
    grant = grant_or_404(grant_id)
    try:
        first, last = exports.parse_period(request.args.get("start", ""), request.args.get("end", ""))
        return _download(exports.usage(db.session, grant, first, last), fmt)
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for(".grant", grant_id=grant_id))


# --- export jobs ------------------------------------------------------------------------------


def _job_or_404(job_id: int) -> tuple[DocumentJob, str]:
    job = get_or_404(DocumentJob, job_id)
    parsed = exports.parse_job_kind(job.kind)
    edition = db.session.get(Edition, job.edition_id) if job.edition_id else None
    if parsed is None or edition is None:
        abort(404)
    if not policy.can_view_edition_grants(current_user, edition):
        abort(403)
    return job, parsed[1]


def _state(job: DocumentJob) -> dict:
    return {
        "status": job.status,
        "label": documents.job_status_label(job.status),
        "done": job.done,
        "total": job.total,
        "count": _("已导出%(done)d行，共%(total)d行", done=job.done, total=job.total),
        "download_url": url_for(".export_download", export_job_id=job.id) if job.status == "done" else None,
        "error": job.error if job.status == "failed" else None,
    }


@bp.get("/export-jobs/<int:export_job_id>")
@login_required
def export_job(export_job_id: int):
    job, _fmt = _job_or_404(export_job_id)
    edition = db.session.get(Edition, job.edition_id)
    return render_template("funding/export_job.html", job=job, state=_state(job), edition=edition)


@bp.get("/export-jobs/<int:export_job_id>.json")
@login_required
def export_job_status(export_job_id: int):
    job, _fmt = _job_or_404(export_job_id)
    response = jsonify(_state(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export-jobs/<int:export_job_id>/download")
@login_required
def export_download(export_job_id: int):
    from grants import jobs

    job, fmt = _job_or_404(export_job_id)
    path = jobs.stored_path(job) if job.status == "done" else None
    if path is None:
        abort(404)
    response = send_file(path, mimetype=MIMETYPES[fmt], conditional=False, max_age=0)
    response.headers.update(
        attachment_headers(job.filename or f"export.{fmt}", MIMETYPES[fmt], ascii_name=f"export-{job.id}.{fmt}")
    )
    return response
