"""The order of a journey's steps (pure): the application and its review in the order of the rounds,
then what followed by day (a step without a day stays after the one before it), then what is to come."""

from __future__ import annotations

from datetime import UTC, date, datetime

from grants.journey.timeline import Step, StepKind, in_time_order, local_day


def _kinds(steps):
    return [s.item for s in in_time_order(steps)]


def test_review_keeps_the_rounds_order_whatever_the_days_stored():
    steps = [
        Step(StepKind.PROPOSAL, date(2025, 8, 1), "proposal"),
        Step(StepKind.ROUND, date(2026, 12, 1), "screening"),  # decided late (a re-decision)
        Step(StepKind.NOTICE, date(2025, 12, 1), "notice"),
        Step(StepKind.AWARD, date(2025, 12, 20), "award"),
    ]
    assert _kinds(steps) == ["proposal", "screening", "notice", "award"]


def test_what_followed_is_by_day_and_an_undated_step_stays_after_its_predecessor():
    steps = [
        Step(StepKind.AWARD, date(2025, 12, 20), "award"),
        Step(StepKind.REPORT, date(2026, 11, 4), "midterm"),
        Step(StepKind.GROUP, date(2026, 1, 28), "group"),
        Step(StepKind.ACTIVITIES, None, "activities"),
        Step(StepKind.TRANCHE, None, "last tranche", done=False),
        Step(StepKind.STARS, date(2026, 11, 20), "stars"),
    ]
    assert _kinds(steps) == ["award", "group", "activities", "midterm", "stars", "last tranche"]


def test_a_stored_time_is_shown_as_its_day_in_beijing():
    assert local_day(datetime(2026, 1, 31, 17, 0, tzinfo=UTC)) == date(2026, 2, 1)
    assert local_day(date(2026, 1, 31)) == date(2026, 1, 31)
    assert local_day(None) is None
