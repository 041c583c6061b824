"""The publication's documents: the notice (公示名单) as a table (CSV/XLSX) and as an official PDF,
and award certificates (获奖证书) for the winners of a final list.

Only the entries' public fields are printed (the applicant's name is stored masked); nothing here
reads a proposal, a user or a score sheet. Rendering needs an application context, not a request,
so the job queue uses the same functions.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from pathlib import Path

from flask import current_app, render_template
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from grants import audit, timeutil
from grants.errors import DomainError, NotAllowed
from grants.judging import exports
from grants.reports.models import DocumentJob
from grants.reports.pdf import render_pdf
from grants.reports.responses import safe_filename
from grants.reports.tables import AMOUNT, INTEGER, POINTS, Table
from grants.results import policy
from grants.results.holidays import last_day
from grants.results.models import Publication, PublicationEntry
from grants.results.queries import successor_of
from grants.results.states import PublicationStatus
from grants.text import inner_quotes

# Applied by the renderer (parsed once per process), not linked from the documents.
STYLESHEETS = ("css/pdf-documents.css",)

# Lists whose certificates may be printed: the valid public awards list (a superseded list's
# winners may have changed, so its certificates are not issued).
CERTIFICATE_STATUSES = (PublicationStatus.PUBLISHED.value, PublicationStatus.FINAL.value)


def default_office(edition) -> str:
    """Who issues an edition's notices unless the notice says: the district office, else the district."""
    return edition.district.office_name or edition.district.name


def office_name(publication: Publication) -> str:
    """Who issues the notice: as written on it, else the edition's default."""
    return publication.office_name or default_office(publication.edition)


def _has_scores(entries: list[PublicationEntry]) -> bool:
    return any(e.score is not None for e in entries)


def _has_ranks(entries: list[PublicationEntry]) -> bool:
    return any(e.rank is not None for e in entries)


def notice_columns(publication: Publication, entries: list[PublicationEntry]) -> list[str]:
    """The notice's columns (keys the PDF stylesheet sizes them by), in notice_table's order."""
    columns = ["number", "title", "applicant", "community", "category"]
    if _has_scores(entries):
        columns.append("score")
    if publication.final:
        columns += ["tier", "amount"]
    return columns


def notice_table(publication: Publication, entries: list[PublicationEntry]) -> Table:
    """The list as a table: rank (or number), title, masked applicant, community, category, and
    the score, tier and approved amount (yuan, as in the round's exports) where the list has them."""
    columns = notice_columns(publication, entries)
    with_score, with_awards = "score" in columns, "tier" in columns
    headers = [_("排名") if _has_ranks(entries) else _("序号"), _("项目名称"), _("申报人"), _("社区"), _("服务领域")]
    if with_score:
        headers.append(_("得分"))
    formats = {0: INTEGER}
    if with_score:
        formats[len(headers) - 1] = POINTS
    if with_awards:
        formats[len(headers) + 1] = AMOUNT
        headers += [_("奖项"), _("核定金额（元）")]
    table = Table(title=_("公示名单"), headers=headers, formats=formats)
    for entry in entries:
        row = [
            entry.rank if entry.rank is not None else entry.position,
            entry.title,
            entry.applicant,
            entry.community,
            entry.category,
        ]
        if with_score:
            row.append(exports.points(entry.score))
        if with_awards:
            row += [entry.tier or "", exports.yuan(entry.approved_fen)]
        table.rows.append(row)
    return table


def long_date(value) -> str:
    """A date as an official document writes it: 2026年12月1日 (1 December 2026 in English)."""
    return format_date(value, "long") if value is not None else ""


def window_text(publication: Publication) -> str:
    """公示期：2026年12月1日至2026年12月8日 — the window's last day, not the midnight it closes at."""
    if publication.opens_at is None or publication.closes_at is None:
        return ""
    return _(
        "公示期：%(start)s至%(end)s",
        start=long_date(timeutil.to_local(publication.opens_at).date()),
        end=long_date(last_day(publication.closes_at)),
    )


def _page_counter_css() -> str:
    """The footer "第 X 页 / 共 Y 页" as a CSS content value (the numbers are page counters)."""
    text = _("第 %(page)s 页 / 共 %(pages)s 页", page="\x00page\x00", pages="\x00pages\x00")
    parts = []
    for index, piece in enumerate(text.split("\x00")):
        if index % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append('"' + piece.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"')
    return " ".join(parts) or '""'


def _published_on(publication: Publication) -> str:
    return long_date(timeutil.to_local(publication.opens_at).date()) if publication.opens_at else ""


def notice_html(publication: Publication, entries: list[PublicationEntry], base_url: str) -> str:
    """The notice as HTML for the PDF renderer (a draft is marked as a preview). The HTML names no
    asset: the renderer applies STYLESHEETS and serves them against ``base_url`` itself."""
    session = object_session(publication)
    successor = successor_of(session, publication) if session is not None else None
    return render_template(
        "pdf/notice.html",
        publication=publication,
        edition=publication.edition,
        entries=entries,
        table=notice_table(publication, entries),
        columns=notice_columns(publication, entries),
        office=office_name(publication),
        window=window_text(publication),
        published_on=_published_on(publication),
        draft=publication.status == PublicationStatus.DRAFT.value,
        successor=successor,
        page_counter=_page_counter_css(),
    )


def notice_pdf(publication: Publication, entries: list[PublicationEntry], base_url: str) -> bytes:
    return render_pdf(notice_html(publication, entries, base_url), base_url=base_url, stylesheets=STYLESHEETS)


def cached_notice_pdf(
    publication: Publication, entries: list[PublicationEntry], base_url: str, cache_dir: Path
) -> bytes:
    """The notice PDF, rendered once per version for a public list (anyone may ask for it, and a
    long list costs seconds of CPU). A draft is always rendered."""
    html = notice_html(publication, entries, base_url)
    if not policy.is_public(publication):
        return render_pdf(html, base_url=base_url, stylesheets=STYLESHEETS)
    return cached_pdf(html, f"notice-{publication.id}", base_url, cache_dir)


def cached_pdf(html: str, key: str, base_url: str, cache_dir: Path) -> bytes:
    """A public document's PDF, rendered once per version: the version is the document's HTML
    (its data, status and language) with the stylesheet and fonts it is printed with."""
    digest = hashlib.sha256(html.encode())
    static = Path(current_app.static_folder)
    for asset in [static / name for name in STYLESHEETS] + sorted((static / "fonts").glob("*.otf")):
        digest.update(f"{asset.name}:{asset.stat().st_mtime_ns}".encode())
    locale = str(get_locale() or "")
    stem = f"{key}-{locale}"
    path = cache_dir / f"{stem}-{digest.hexdigest()[:32]}.pdf"
    if path.is_file():
        return path.read_bytes()
    pdf = render_pdf(html, base_url=base_url, stylesheets=STYLESHEETS)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for old in cache_dir.glob(f"{stem}-*.pdf"):
        old.unlink(missing_ok=True)
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    partial.write_bytes(pdf)
    partial.replace(path)
    return pdf


def notice_filename(publication: Publication) -> tuple[str, str]:
    """(file name without extension, its ASCII fallback)."""
    name = _("公示名单-%(edition)s-第%(n)d号", edition=publication.edition.name, n=publication.number)
    return safe_filename(name), f"notice-{publication.edition_id}-{publication.number}"


# --- public accounts (资金使用公开) ------------------------------------------------------------


def accounts_html(accounts, base_url: str) -> str:
    """An edition's public accounts (grants/funding/public_accounts.py) as HTML for the renderer."""
    return render_template(
        "pdf/public_accounts.html",
        accounts=accounts,
        edition=accounts.edition,
        office=default_office(accounts.edition),
        last_change=long_date(timeutil.to_local(accounts.last_change).date()) if accounts.last_change else "",
        page_counter=_page_counter_css(),
    )


def accounts_pdf(accounts, base_url: str, cache_dir: Path) -> bytes:
    """Rendered once per version of the figures (anyone may ask for it; see cached_pdf)."""
    return cached_pdf(accounts_html(accounts, base_url), f"accounts-{accounts.edition.id}", base_url, cache_dir)


# --- certificates -----------------------------------------------------------------------------


def issues_certificates(publication: Publication) -> bool:
    """A final-type list that is public and still valid has certificates for its winners."""
    return publication.final and policy.is_public(publication) and publication.status in CERTIFICATE_STATUSES


def has_certificate(entry: PublicationEntry, publication: Publication) -> bool:
    return entry.publication_id == publication.id and bool(entry.tier) and issues_certificates(publication)


def winners(session: Session, publication: Publication) -> list[PublicationEntry]:
    """The entries that have a certificate, in the list's order (empty if the list has none)."""
    if not issues_certificates(publication):
        return []
    return list(
        session.scalars(
            select(PublicationEntry)
            .where(PublicationEntry.publication_id == publication.id, PublicationEntry.tier.is_not(None))
            .where(PublicationEntry.tier != "")
            .order_by(PublicationEntry.position)
        )
    )


def certificate_html(entry: PublicationEntry, publication: Publication, base_url: str) -> str:
    issued = publication.finalized_at or publication.opens_at
    return render_template(
        "pdf/certificate.html",
        entry=entry,
        quoted_title=inner_quotes(entry.title),
        publication=publication,
        edition=publication.edition,
        office=office_name(publication),
        issued_on=long_date(timeutil.to_local(issued).date()) if issued else "",
        number=f"{publication.edition.number:02d}-{publication.number:02d}-{entry.position:03d}",
    )


def certificate_pdf(entry: PublicationEntry, publication: Publication, base_url: str) -> bytes:
    """One winner's certificate. Raises: ValueError when the entry has no certificate."""
    if not has_certificate(entry, publication):
        raise ValueError("this entry has no certificate")
    return render_pdf(certificate_html(entry, publication, base_url), base_url=base_url, stylesheets=STYLESHEETS)


def certificate_filename(index: int, entry: PublicationEntry, width: int = 2) -> str:
    """01-一等奖-项目名称.pdf: the list's order first, so the zip sorts like the notice."""
    return safe_filename(f"{index:0{width}d}-{entry.tier or ''}-{entry.title}.pdf", limit=100)


def certificate_names(entries: Iterable[PublicationEntry]) -> list[str]:
    """File names of a batch, unique (a repeated name gets its list number appended)."""
    entries = list(entries)
    width = max(2, len(str(len(entries))))
    names, seen = [], set()
    for index, entry in enumerate(entries, start=1):
        name = certificate_filename(index, entry, width)
        if name in seen:
            name = safe_filename(f"{index:0{width}d}-{entry.id}.pdf")
        seen.add(name)
        names.append(name)
    return names


# --- batch of certificates (made by the job queue, grants/jobs.py) ----------------------------

CERTIFICATES_JOB = "certificates"

JOB_STATUS_LABELS = {
    "queued": lambda: _("排队中"),
    "running": lambda: _("正在生成"),
    "done": lambda: _("已完成"),
    "failed": lambda: _("失败"),
}


def job_status_label(status: str) -> str:
    label = JOB_STATUS_LABELS.get(status)
    return label() if label else status


def fail_job(session: Session, *, job: DocumentJob, message: str) -> None:
    """Mark a job that cannot run as failed, with a message the requester may read."""
    job.status, job.error, job.finished_at = "failed", message, timeutil.now()
    session.flush()


def request_certificates(session: Session, *, actor, publication: Publication) -> DocumentJob:
    """A queued job making every winner's certificate of the list into one zip (the caller
    enqueues it after the commit).

    Raises: NotAllowed (not the edition's organizer); DomainError (the list has no certificates).
    """
    if not policy.can_manage(actor, publication.edition):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if not issues_certificates(publication):
        raise DomainError(_("只有已发布且有效的获奖名单才能打印获奖证书。"))
    total = len(winners(session, publication))
    if not total:
        raise DomainError(_("这份公示没有可打印证书的获奖项目。"))
    job = DocumentJob(
        kind=CERTIFICATES_JOB,
        edition_id=publication.edition_id,
        publication_id=publication.id,
        requested_by_id=actor.id,
        status="queued",
        done=0,
        total=total,
        filename=safe_filename(
            _("获奖证书-%(edition)s-第%(n)d号公示.zip", edition=publication.edition.name, n=publication.number)
        ),
    )
    session.add(job)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="document_job.certificates",
        obj=job,
        district_id=publication.edition.district_id,
        after={"publication_id": publication.id, "number": publication.number, "total": total},
    )
    return job
