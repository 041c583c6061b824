"""Who may see or change a proposal."""

from __future__ import annotations

from collections.abc import Callable

from grants.auth import policy

EDITABLE = ("draft", "returned")


def _reviews(user, *, district_id: int, community_id: int | None, street_id: int | None) -> bool:
    """Organizer of the edition's district, or staff of the proposal's community or its street."""
    if policy.is_organizer(user, district_id):
        return True
    if community_id is None:
        return False
    return community_id in policy.staff_community_ids(user) or street_id in policy.staff_street_ids(user)


def _reviews_community(user, proposal) -> bool:
    community = proposal.community
    return _reviews(
        user,
        district_id=proposal.edition.district_id,
        community_id=community.id if community is not None else None,
        street_id=community.street_id if community is not None else None,
    )


def may_view(
    user, *, applicant_id: int, version: int, district_id: int, community_id: int | None, street_id: int | None
) -> bool:
    """The applicant always; reviewers once it has been submitted (drafts stay private). From a
    proposal's columns, for pages that select columns rather than load proposals."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.id == applicant_id:
        return True
    return version > 0 and _reviews(user, district_id=district_id, community_id=community_id, street_id=street_id)


def can_view(user, proposal) -> bool:
    """The applicant always; reviewers once it has been submitted (drafts stay private)."""
    community = proposal.community
    return may_view(
        user,
        applicant_id=proposal.applicant_id,
        version=proposal.version,
        district_id=proposal.edition.district_id,
        community_id=community.id if community is not None else None,
        street_id=community.street_id if community is not None else None,
    )


def can_edit(user, proposal) -> bool:
    return (
        getattr(user, "is_authenticated", False) and user.id == proposal.applicant_id and (proposal.status in EDITABLE)
    )


def can_return(user, proposal) -> bool:
    """Round-1 reviewers: the community's staff (or its street's) and the organizer."""
    return getattr(user, "is_authenticated", False) and _reviews_community(user, proposal)


def can_withdraw(user, proposal) -> bool:
    return getattr(user, "is_authenticated", False) and user.id == proposal.applicant_id


def can_list_edition(user, edition) -> bool:
    """Sees the edition's proposal list (each row still filtered to what the user reviews)."""
    return policy.is_organizer(user, edition.district_id) or edition.district_id in policy.staff_district_ids(user)


# Readers another domain adds (judging: a judge assigned to the proposal); proposals does not
# import the domains above it. Each reader is called as reader(user, proposal, named=...).
_readers: list[Callable[..., bool]] = []


def register_reader(reader: Callable[..., bool]) -> None:
    if reader not in _readers:
        _readers.append(reader)


def can_read(user, proposal, *, named: bool = True) -> bool:
    """Read the whole proposal with its attachments (``named``: also the 申报书 PDF, which names
    the applicant): whoever may view it, or a reader another domain registered."""
    if can_view(user, proposal):
        return True
    return getattr(user, "is_authenticated", False) and any(r(user, proposal, named=named) for r in _readers)
