"""The clock: now()/today() answer a past moment inside as_of() (the demo replays a year), and only there."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from grants import audit, timeutil
from grants.audit.models import AuditEntry

MOMENT = datetime(2025, 6, 30, 17, 30, tzinfo=UTC)  # 01:30 on 1 July in Beijing


def test_as_of_sets_now_and_the_local_today_and_restores_the_real_clock_after():
    with timeutil.as_of(MOMENT):
        assert timeutil.now() == MOMENT
        assert timeutil.today() == date(2025, 7, 1)
        with timeutil.as_of(MOMENT + timedelta(days=3)):
            assert timeutil.today() == date(2025, 7, 4)
        assert timeutil.now() == MOMENT
    assert abs(timeutil.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_rows_stamped_inside_as_of_carry_that_moment(session, world):
    with timeutil.as_of(MOMENT):
        audit.record(session, actor=world.organizer_a, action="street.update", obj=world.street_a, after={})
        session.commit()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "street.update")).one()
    assert entry.at == MOMENT
