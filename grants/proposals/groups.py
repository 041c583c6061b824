"""The resident group a proposal is made for: a group its applicant leads applies through its leader.

Groups belong to incubation, a layer above proposals; proposals do not import it. Incubation
registers the one function that says which groups a user may apply for in a district, and the
form's choices and save_draft's check both ask it (the same rule in both places).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

# eligible(session, user_id, district_id) -> [(group id, group name)]
_eligible: list[Callable[[Session, int, int], list[tuple[int, str]]]] = []


def register_eligible_groups(source: Callable[[Session, int, int], list[tuple[int, str]]]) -> None:
    if source not in _eligible:
        _eligible.append(source)


def eligible_groups(session: Session, *, user_id: int, district_id: int) -> list[tuple[int, str]]:
    """The groups this user may name on a proposal of an edition of this district (none if none registered)."""
    return [choice for source in _eligible for choice in source(session, user_id, district_id)]
