"""Who may see or change funding data. Every funding route asks one of these for *this* grant.

Roles: the organizer of the edition's district manages grants and requests disbursements;
a *different* person with the finance role of that district approves and pays them; the
grant's community staff review its expenses (as the organizer may); the team's lead (the
proposal's applicant) records expenses, reports and budget changes. Nobody else sees a grant.
"""

from __future__ import annotations

from grants.auth import policy


def _district_id(grant) -> int:
    return grant.edition.district_id


def can_edit_tranche_plan(user, edition) -> bool:
    """Only an organizer of the edition's district: the plan is part of what the edition offers."""
    return policy.is_organizer(user, edition.district_id)


def is_team_lead(user, grant) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and grant.proposal.applicant_id == user.id


def is_community_staff(user, grant) -> bool:
    return grant.proposal.community_id in policy.staff_community_ids(user)


def can_manage(user, grant) -> bool:
    """Sign, suspend, resume, evaluate, settle, terminate; request a disbursement."""
    return policy.is_organizer(user, _district_id(grant))


def is_finance(user, grant) -> bool:
    """Approve and pay disbursements, record refunds, approve account changes."""
    return policy.is_finance(user, _district_id(grant))


def can_view(user, grant) -> bool:
    """Its district's organizer and finance, its community's staff, the team's lead."""
    return may_view(
        user,
        district_id=_district_id(grant),
        community_id=grant.proposal.community_id,
        applicant_id=grant.proposal.applicant_id,
    )


def may_view(user, *, district_id: int, community_id: int | None, applicant_id: int) -> bool:
    """can_view from a grant's columns (its edition's district, its proposal's community and applicant),
    for pages that select columns rather than load grants."""
    return (
        policy.is_organizer(user, district_id)
        or policy.is_finance(user, district_id)
        or community_id in policy.staff_community_ids(user)
        or (bool(getattr(user, "is_authenticated", False)) and applicant_id == user.id)
    )


def can_view_edition_grants(user, edition) -> bool:
    """The edition's list of grants and its exports: organizer and finance of the district."""
    return policy.is_organizer(user, edition.district_id) or policy.is_finance(user, edition.district_id)


def can_review_expenses(user, grant) -> bool:
    return is_community_staff(user, grant) or can_manage(user, grant)


def can_report(user, grant) -> bool:
    """Record expenses, submit reports, ask for budget changes: the team's lead."""
    return is_team_lead(user, grant)
