"""Who may ask for a place's annual report, and who may see the job that makes it."""

from __future__ import annotations

from grants.auth import policy as auth_policy
from grants.figures import policy as figures_policy
from grants.reports.models import DocumentJob


def can_make(user, district, street=None) -> bool:
    """Whoever may read the place's figures: the organizer the district's and each street's of it,
    street staff their own street's."""
    if not getattr(user, "is_authenticated", False):
        return False
    if street is not None:
        return figures_policy.can_view_street(user, street)
    return figures_policy.can_view_district(user, district)


def can_view_job(user, job: DocumentJob) -> bool:
    """The district's organizers, and the user who asked for it while they still oversee its street."""
    if not getattr(user, "is_authenticated", False) or job.district_id is None:
        return False
    if auth_policy.is_organizer(user, job.district_id):
        return True
    return (
        user.id == job.requested_by_id
        and job.street_id is not None
        and job.street_id in auth_policy.staff_street_ids(user)
    )
