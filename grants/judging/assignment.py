"""Assigning k judges to each proposal: balanced load, never a judge with a conflict of interest.

Pure functions (no Flask, no database). The greedy pass serves the most constrained proposals
first and gives each the least-loaded eligible judges (ties rotate, so judges are not always
picked in id order); a repair pass then moves single assignments from the busiest to the least
busy judges until every judge's load is within one of every other's, where conflicts allow it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


class AssignmentImpossible(ValueError):
    """Some proposal has fewer than k judges without a conflict."""

    def __init__(self, proposal_id: int, available: int, needed: int):
        super().__init__(f"proposal {proposal_id}: {available} eligible judges, {needed} needed")
        self.proposal_id = proposal_id
        self.available = available
        self.needed = needed


@dataclass(frozen=True)
class Plan:
    by_proposal: dict[int, list[int]]

    def loads(self, judges: Iterable[int]) -> dict[int, int]:
        loads = dict.fromkeys(judges, 0)
        for assigned in self.by_proposal.values():
            for judge in assigned:
                loads[judge] += 1
        return loads


def assign(
    proposals: Sequence[int],
    judges: Sequence[int],
    k: int,
    conflicts: Iterable[tuple[int, int]] = (),
    already: Mapping[int, Sequence[int]] | None = None,
) -> Plan:
    """Judges for every proposal: k each, balanced, conflict-free.

    ``conflicts`` holds (judge, proposal) pairs; ``already`` keeps assignments made before
    (e.g. manual ones), which count towards k and towards the judges' loads.

    Raises:
        AssignmentImpossible: a proposal has fewer than k eligible judges.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    blocked = set(conflicts)
    order = {judge: i for i, judge in enumerate(sorted(judges))}
    plan = {p: list((already or {}).get(p, [])) for p in proposals}
    loads = dict.fromkeys(judges, 0)
    for assigned in plan.values():
        for judge in assigned:
            loads[judge] = loads.get(judge, 0) + 1

    def eligible(p: int) -> list[int]:
        return [j for j in judges if (j, p) not in blocked and j not in plan[p]]

    for p in proposals:
        available = len(eligible(p)) + len(plan[p])
        if available < k:
            raise AssignmentImpossible(p, available, k)

    # Most constrained first; the position in the input list breaks ties deterministically.
    position = {p: i for i, p in enumerate(proposals)}
    for p in sorted(proposals, key=lambda p: (len(eligible(p)), position[p])):
        need = k - len(plan[p])
        if need <= 0:
            continue
        rotation = position[p] % max(len(judges), 1)
        candidates = sorted(eligible(p), key=lambda j: (loads[j], (order[j] - rotation) % len(judges)))
        for judge in candidates[:need]:
            plan[p].append(judge)
            loads[judge] += 1

    _rebalance(plan, loads, blocked, fixed=already or {})
    return Plan({p: sorted(js) for p, js in plan.items()})


def _rebalance(
    plan: dict[int, list[int]], loads: dict[int, int], blocked: set[tuple[int, int]], fixed: Mapping[int, Sequence[int]]
) -> None:
    """Move one assignment at a time from a busiest judge to a least busy one while it helps."""
    for _ in range(10 * sum(loads.values()) + 10):
        high = max(loads.values())
        low = min(loads.values())
        if high - low <= 1:
            return
        moved = False
        for busy in [j for j, n in loads.items() if n == high]:
            for idle in [j for j, n in loads.items() if n == low]:
                for p, assigned in plan.items():
                    if (
                        busy in assigned
                        and idle not in assigned
                        and (idle, p) not in blocked
                        and busy not in fixed.get(p, ())
                    ):
                        assigned[assigned.index(busy)] = idle
                        loads[busy] -= 1
                        loads[idle] += 1
                        moved = True
                        break
                if moved:
                    break
            if moved:
                break
        if not moved:
            return  # conflicts make a tighter balance impossible
