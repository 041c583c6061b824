"""Who sees which version of a project's journey (项目全程).

Three versions, decided from the proposal's columns (no object loaded):

- the organizer's (everything): whoever may open both the proposal (grants/proposals/policy.py:
  the organizer of the edition's district, its community's and street's staff, once submitted)
  and its grant (grants/funding/policy.py: the organizer and finance of the district, the
  community's staff). That is the organizer and the staff of the project's own community; street
  staff (no grant) and finance (no proposal) get the public version, like anyone else.
- the applicant's: the proposal's applicant, always (drafts too), as on their own pages: their
  money, reports and round outcomes, but no score or rank the judges gave that was not published.
- the public one: anyone, but only for a project named in a public notice (grants/results).

Anyone else — another resident, another community's staff — is refused a project that was never
public (the view answers 404, as for any object one may not see).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from grants.auth import policy


class Audience(StrEnum):
    ORGANIZER = "organizer"
    APPLICANT = "applicant"
    PUBLIC = "public"


@dataclass(frozen=True)
class Facts:
    """The columns of a proposal a decision needs."""

    applicant_id: int
    version: int  # 0: never submitted (a draft, private to its applicant)
    district_id: int
    community_id: int | None


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def sees_all(user, facts: Facts) -> bool:
    """The organizer's version, once the proposal was submitted (drafts stay private): the district's
    organizer and the staff of the project's community (the readers both of the proposal and of its grant)."""
    if not _signed_in(user) or facts.version <= 0:
        return False
    return policy.is_organizer(user, facts.district_id) or (
        facts.community_id is not None and facts.community_id in policy.staff_community_ids(user)
    )


def is_applicant(user, facts: Facts) -> bool:
    return _signed_in(user) and user.id == facts.applicant_id


def audience(user, facts: Facts, *, listed: bool) -> Audience | None:
    """The version this user sees; None when they may see none (``listed``: named in a public notice)."""
    if sees_all(user, facts):
        return Audience.ORGANIZER
    if is_applicant(user, facts):
        return Audience.APPLICANT
    if listed:
        return Audience.PUBLIC
    return None
