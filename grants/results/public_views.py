"""Public pages (no login): published results, project pages, statistics.

Only publications in a public status are ever shown here, to everyone alike: the organizer
previews a draft on the organizer's own pages, never through these URLs.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user

from grants import http_cache, jobs
from grants.db import db
from grants.editions.models import Edition
from grants.funding import public_accounts
from grants.incubation.ratings import decisions as rating_decisions
from grants.incubation.ratings import queries as rating_queries
from grants.results import documents, objections, policy, queries, statistics
from grants.results.queries import applicant_id_of, entries_of, window_is_open
from grants.results.states import objection_status_label

bp = Blueprint("public", __name__, url_prefix="/results")
# The same pages for every anonymous visitor: no session, cacheable by shared caches (grants/http_cache.py).
bp.before_request(http_cache.public_page)


def objection_url(entry_id: int) -> str:
    return url_for("results.object", entry_id=entry_id)


def _public_edition(edition_id: int) -> Edition:
    edition = statistics.edition_by_id(db.session, edition_id)
    if edition is None:
        abort(404)
    return edition


@bp.get("/")
def index():
    campaigns = rating_queries.public_campaigns(db.session)
    return render_template(
        "public/index.html",
        editions=statistics.public_editions(db.session),
        campaigns=campaigns,
        open_notices={c.id for c in campaigns if rating_decisions.notice_is_open(c)},
    )


def _render_notice(edition: Edition, publication, history):
    replaced_by = queries.replacements(history)
    window_open = window_is_open(publication)
    can_object = window_open and current_user.is_authenticated
    return render_template(
        "public/notice.html",
        edition=edition,
        publication=publication,
        entries=entries_of(db.session, publication),
        history=history,
        replaced_by=replaced_by,
        current=queries.current_of(history),
        window_open=window_open,
        objection_url=objection_url if can_object else None,
    )


@bp.get("/<int:edition_id>")
def edition(edition_id: int):
    edition = _public_edition(edition_id)
    history = statistics.public_history(db.session, edition.id)
    publication = queries.current_of(history)
    if publication is None:
        abort(404)
    return _render_notice(edition, publication, history)


@bp.get("/<int:edition_id>/notices/<int:publication_id>")
def notice(edition_id: int, publication_id: int):
    edition = _public_edition(edition_id)
    history = statistics.public_history(db.session, edition.id)
    publication = next((p for p in history if p.id == publication_id), None)
    if publication is None:
        abort(404)
    return _render_notice(edition, publication, history)


@bp.get("/projects/<int:entry_id>")
def project(entry_id: int):
    found = statistics.public_entry(db.session, entry_id)
    if found is None:
        abort(404)
    entry, publication = found
    answered = objections.answered_for_entries(db.session, [entry.proposal_id], publication.edition_id)
    window_open = window_is_open(publication)
    return render_template(
        "public/project.html",
        entry=entry,
        publication=publication,
        edition=publication.edition,
        replacement=queries.successor_of(db.session, publication),
        appearances=statistics.appearances(db.session, publication.edition_id, entry.proposal_id),
        replies=answered.get(entry.proposal_id, []),
        objection_status_label=objection_status_label,
        window_open=window_open,
        object_link=objection_url(entry.id) if window_open and current_user.is_authenticated else None,
        certificate_link=_certificate_link(entry, publication),
    )


def _certificate_link(entry, publication) -> str | None:
    """The award certificate, for the project's applicant and the edition's organizer."""
    if not current_user.is_authenticated or not documents.has_certificate(entry, publication):
        return None
    applicant_id = applicant_id_of(db.session, entry.proposal_id)
    if not policy.can_download_certificate(current_user, publication, applicant_id):
        return None
    return url_for("documents.certificate", entry_id=entry.id)


@bp.get("/<int:edition_id>/statistics")
def edition_statistics(edition_id: int):
    edition = _public_edition(edition_id)
    stats = statistics.edition_statistics(db.session, edition)
    if stats is None:
        abort(404)
    return render_template("public/statistics.html", edition=edition, stats=stats)


def _edition_accounts(edition_id: int) -> public_accounts.EditionAccounts:
    """The edition's public accounts; 404 until its results are final."""
    found = public_accounts.edition_accounts(db.session, edition_id)
    if found is None:
        abort(404)
    return found


@bp.get("/<int:edition_id>/accounts")
def accounts(edition_id: int):
    found = _edition_accounts(edition_id)
    return render_template("public/accounts.html", accounts=found, edition=found.edition)


@bp.get("/<int:edition_id>/accounts.pdf")
def accounts_pdf(edition_id: int):
    # Inline and without a file-name header: the same bytes for everyone, kept by shared caches.
    cache = jobs.documents_dir() / "accounts"
    body = documents.accounts_pdf(_edition_accounts(edition_id), request.url_root, cache)
    return Response(body, mimetype="application/pdf")
