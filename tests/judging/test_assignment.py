"""Judge assignment: k per proposal, balanced load, no conflicts — also at 200 proposals × 25 judges."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grants.judging.assignment import AssignmentImpossible, assign


def _check(plan, proposals, judges, k, conflicts):
    for p in proposals:
        assigned = plan.by_proposal[p]
        assert len(assigned) == k and len(set(assigned)) == k
        assert not any((j, p) in conflicts for j in assigned)
    loads = plan.loads(judges)
    assert max(loads.values()) - min(loads.values()) <= 1


def test_200_proposals_25_judges_k3_with_conflicts():
    rng = random.Random(7)
    proposals, judges = list(range(1, 201)), list(range(1, 26))
    # About 8 % of pairs are conflicts (a judge living in the proposal's community, or declared).
    conflicts = {(j, p) for j in judges for p in proposals if rng.random() < 0.08}
    plan = assign(proposals, judges, 3, conflicts)
    _check(plan, proposals, judges, 3, conflicts)
    assert assign(proposals, judges, 3, conflicts) == plan  # deterministic


def test_existing_assignments_are_kept_and_counted():
    plan = assign([1, 2, 3], [10, 11, 12], 2, already={1: [12]})
    assert 12 in plan.by_proposal[1] and len(plan.by_proposal[1]) == 2
    assert max(plan.loads([10, 11, 12]).values()) - min(plan.loads([10, 11, 12]).values()) <= 1


def test_too_few_eligible_judges_is_reported():
    with pytest.raises(AssignmentImpossible) as err:
        assign([1, 2], [10, 11, 12], 3, conflicts={(10, 2)})
    assert err.value.proposal_id == 2 and err.value.available == 2


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(3, 12), st.integers(1, 3), st.floats(0, 0.2), st.randoms())
def test_any_feasible_instance_is_balanced_and_conflict_free(n_proposals, n_judges, k, density, rnd):
    proposals, judges = list(range(n_proposals)), list(range(100, 100 + n_judges))
    conflicts = {(j, p) for j in judges for p in proposals if rnd.random() < density}
    try:
        plan = assign(proposals, judges, k, conflicts)
    except AssignmentImpossible as err:
        assert len([j for j in judges if (j, err.proposal_id) not in conflicts]) < k
        return
    for p in proposals:
        assert len(set(plan.by_proposal[p])) == k
        assert not any((j, p) in conflicts for j in plan.by_proposal[p])
    loads = plan.loads(judges)
    if density == 0:
        assert max(loads.values()) - min(loads.values()) <= 1
