"""Fixtures for publication tests: an edition whose final round is closed and awarded, and its
list published with the objection window open."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from grants.editions.states import edition_machine
from grants.judging import awards
from grants.results import service
from tests.judging.conftest import final_closed, scoring  # noqa: F401  (fixtures used here)


@pytest.fixture
def awarded(session, world, final_closed, chained):  # noqa: F811
    """The final round closed with 一等奖 ×1 and 二等奖 ×2; amounts default to the requests."""
    return chained("awarded", lambda: _awarded(session, world, final_closed))


def _awarded(session, world, final_closed):  # noqa: F811
    edition, final, proposals = final_closed
    awards.set_tiers(
        session,
        actor=world.organizer_a,
        edition=edition,
        rows=[awards.TierInput("一等奖", "1"), awards.TierInput("二等奖", "2")],
    )
    awards.assign_tiers(session, actor=world.organizer_a, edition=edition)
    if edition.status == "open":
        edition_machine.transition(session, edition, "reviewing", actor=None)
    session.commit()
    return edition, final, proposals


@pytest.fixture
def published(session, world, awarded, chained):
    """The awards list published now (window of 5 working days, open)."""
    return chained("published", lambda: _published(session, world, awarded))


def _published(session, world, awarded):
    edition, final, proposals = awarded
    publication = service.prepare(
        session,
        actor=world.organizer_a,
        edition=edition,
        rnd=final,
        settings=service.Settings(title="甲区第一届公益微创投获奖项目公示", list_judges=True),
    )
    service.publish(session, actor=world.organizer_a, publication=publication)
    session.commit()
    return publication, proposals


def after_window(publication) -> datetime:
    return publication.closes_at + timedelta(minutes=1)


def move_window_into_the_past(session, publication) -> None:
    """Let the publication's objection window have ended (for requests, which use the real clock)."""
    publication.opens_at = publication.opens_at - timedelta(days=400)
    publication.closes_at = publication.opens_at + timedelta(days=7)
    session.commit()


def publish_correction(session, world, publication, title: str = "更正"):
    """Publish, now, a correction of ``publication`` (an unchanged copy of its list)."""
    correction = service.prepare(
        session,
        actor=world.organizer_a,
        edition=publication.edition,
        rnd=publication.round,
        settings=service.Settings(title=title),
    )
    service.publish(session, actor=world.organizer_a, publication=correction)
    session.commit()
    return correction
