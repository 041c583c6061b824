"""Who may do what with publications, objections and grants."""

from __future__ import annotations

from grants.auth import policy
from grants.results.states import PUBLIC_STATUSES


def can_manage(user, edition) -> bool:
    """Prepare, publish and finalize the edition's publications; answer objections."""
    return policy.is_organizer(user, edition.district_id)


def is_public(publication) -> bool:
    return publication.status in PUBLIC_STATUSES


def can_view_publication(user, publication) -> bool:
    return is_public(publication) or can_manage(user, publication.edition)


def can_object(user) -> bool:
    """Any signed-in, active user may file an objection (the window is checked by the service)."""
    return bool(getattr(user, "is_authenticated", False)) and bool(getattr(user, "is_active", False))


def can_view_objection(user, objection) -> bool:
    return getattr(user, "id", None) == objection.author_id or can_manage(user, objection.publication.edition)


def can_download_certificate(user, publication, applicant_id: int) -> bool:
    """The edition's organizer, and the project's applicant."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.id == applicant_id or can_manage(user, publication.edition)


def can_view_job(user, job, edition) -> bool:
    """The user who asked for a batch document, and the edition's organizers."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.id == job.requested_by_id or (edition is not None and can_manage(user, edition))
