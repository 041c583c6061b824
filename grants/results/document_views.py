"""The notice as PDF/CSV/XLSX, certificates, and batch documents made by the job queue."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from grants import jobs
from grants.db import db, get_or_404, unit_of_work
from grants.editions.models import Edition
from grants.errors import DomainError, NotAllowed
from grants.reports import jobpages, tables
from grants.reports.models import DocumentJob
from grants.reports.responses import attachment_headers
from grants.results import documents, policy
from grants.results.models import Publication, PublicationEntry
from grants.results.queries import applicant_id_of, entries_of

bp = Blueprint("documents", __name__)


@bp.record_once
def _document_helpers(state) -> None:
    state.app.jinja_env.globals.update({"issues_certificates": documents.issues_certificates})


@bp.get("/results/notices/<int:publication_id>/notice.<any(pdf, csv, xlsx):fmt>")
def notice(publication_id: int, fmt: str):
    """Anyone may download a public notice; a draft only its organizer (as a preview)."""
    publication = db.session.get(Publication, publication_id)
    if publication is None or not policy.can_view_publication(current_user, publication):
        abort(404)
    entries = entries_of(db.session, publication)
    name, ascii_name = documents.notice_filename(publication)
    if fmt == "pdf":
        cache = jobs.documents_dir() / "notices"
        body = documents.cached_notice_pdf(publication, entries, request.url_root, cache)
        headers = attachment_headers(f"{name}.pdf", "application/pdf", ascii_name=f"{ascii_name}.pdf")
    else:
        body, headers = tables.download(documents.notice_table(publication, entries), fmt, name, ascii_name)
    return Response(body, headers=headers)


@bp.get("/results/entries/<int:entry_id>/certificate.pdf")
@login_required
def certificate(entry_id: int):
    entry = get_or_404(PublicationEntry, entry_id)
    publication = db.session.get(Publication, entry.publication_id)
    applicant_id = applicant_id_of(db.session, entry.proposal_id)
    if not policy.can_download_certificate(current_user, publication, applicant_id):
        abort(403)
    if not documents.has_certificate(entry, publication):
        abort(404)
    body = documents.certificate_pdf(entry, publication, request.url_root)
    name = documents.certificate_filename(entry.position, entry)
    headers = attachment_headers(name, "application/pdf", ascii_name=f"certificate-{entry.id}.pdf")
    return Response(body, headers=headers)


@bp.post("/publications/<int:publication_id>/certificates")
@login_required
def request_certificates(publication_id: int):
    """Queue the zip of every winner's certificate and show its progress at once."""
    publication = get_or_404(Publication, publication_id)
    if not policy.can_manage(current_user, publication.edition):
        abort(403)
    try:
        with unit_of_work() as session:
            job = documents.request_certificates(session, actor=current_user, publication=publication)
    except NotAllowed:
        abort(403)
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for("results.publication", publication_id=publication_id))
    try:
        jobs.queue_for(current_app).certificates(job.id)
    except Exception:  # the queue is down (e.g. Redis): the job fails visibly, the log says why
        current_app.logger.exception("could not enqueue certificates job %s", job.id)
        with unit_of_work() as session:
            documents.fail_job(session, job=job, message=_("任务队列暂时不可用，请稍后重试。"))
    return redirect(url_for(".job", job_id=job.id))


def _certificates_text(job: DocumentJob) -> jobpages.JobText:
    publication = db.session.get(Publication, job.publication_id) if job.publication_id else None
    if publication is None:
        return jobpages.JobText(_("批量生成获奖证书"))
    return jobpages.JobText(
        _("批量生成获奖证书"),
        subtitle=" · ".join([publication.edition.name, _("第%(n)d号公示", n=publication.number), publication.title]),
        back_url=url_for("results.publication", publication_id=publication.id),
        back_label=_("返回公示"),
    )


def _may_view_certificates(user, job: DocumentJob) -> bool:
    edition = db.session.get(Edition, job.edition_id) if job.edition_id else None
    return policy.can_view_job(user, job, edition)


jobpages.register(
    documents.CERTIFICATES_JOB,
    jobpages.JobKind(
        may_view=_may_view_certificates,
        text=_certificates_text,
        count=lambda job: _("已生成%(done)d份，共%(total)d份", done=job.done, total=job.total),
        pending=lambda: _("证书正在后台生成，可以离开本页，稍后回来刷新查看。"),
        files=(jobpages.JobFile("zip", _l("下载证书压缩包"), "application/zip"),),
    ),
)


def _job_for_viewer(job_id: int) -> tuple[DocumentJob, jobpages.JobKind]:
    """The job and how the page shows it, when this user may see it. Raises: 404, 403."""
    job = get_or_404(DocumentJob, job_id)
    kind = jobpages.kind_of(job)
    if kind is None:
        abort(404)
    if not kind.may_view(current_user, job):
        abort(403)
    return job, kind


def _download_url(job: DocumentJob, kind: jobpages.JobKind, file: jobpages.JobFile) -> str:
    if kind.stored_suffix(file) is None:
        return url_for(".download", job_id=job.id)
    return url_for(".download", job_id=job.id, file=file.suffix)


def _job_state(job: DocumentJob, kind: jobpages.JobKind) -> dict:
    return {
        "status": job.status,
        "label": documents.job_status_label(job.status),
        "done": job.done,
        "total": job.total,
        "count": kind.count(job),
        "download_url": _download_url(job, kind, kind.files[0]) if job.status == "done" else None,
        "error": job.error if job.status == "failed" else None,
    }


@bp.get("/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    job, kind = _job_for_viewer(job_id)
    downloads = [(file.label, _download_url(job, kind, file)) for file in kind.files]
    return render_template(
        "results/job.html",
        job=job,
        state=_job_state(job, kind),
        text=kind.text(job),
        pending=kind.pending(),
        downloads=downloads,
    )


@bp.get("/jobs/<int:job_id>.json")
@login_required
def job_status(job_id: int):
    response = jsonify(_job_state(*_job_for_viewer(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<int:job_id>/download")
@login_required
def download(job_id: int):
    """A finished job's file (?file=pdf|xlsx names one when the job makes several)."""
    job, kind = _job_for_viewer(job_id)
    file = kind.file(request.args.get("file"))
    path = jobs.stored_path(job, kind.stored_suffix(file)) if file is not None and job.status == "done" else None
    if path is None:
        abort(404)
    name = job.filename if kind.stored_suffix(file) is None else f"{job.filename}.{file.suffix}"
    response = send_file(path, mimetype=file.mimetype, conditional=False, max_age=0)
    response.headers.update(
        attachment_headers(
            name or f"documents.{file.suffix}", file.mimetype, ascii_name=f"documents-{job.id}.{file.suffix}"
        )
    )
    return response
