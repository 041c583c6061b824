"""A group applies in a new edition through its leader: which groups a user may name on a proposal.

grants/proposals asks this through the function registered below (proposals sit below incubation
and do not import it): the form offers these groups and save_draft refuses any other id.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants.incubation.models import Group, GroupStatus
from grants.org.models import Community, Street
from grants.proposals import groups as proposal_groups


def groups_to_apply_for(session: Session, user_id: int, district_id: int) -> list[tuple[int, str]]:
    """One query: the groups of this district the user leads, unless dissolved (注销)."""
    rows = session.execute(
        select(Group.id, Group.name)
        .join(Community, Community.id == Group.community_id)
        .join(Street, Street.id == Community.street_id)
        .where(
            Group.leader_id == user_id,
            Group.status != GroupStatus.DISSOLVED.value,
            Street.district_id == district_id,
        )
        .order_by(Group.name, Group.id)
    )
    return [(group_id, name) for group_id, name in rows]


proposal_groups.register_eligible_groups(groups_to_apply_for)
