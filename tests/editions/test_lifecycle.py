"""Issue 12 item 1: an edition moves only forward, one step at a time, and the moves that follow
from a substantive step (publishing the awards, finalizing them) happen only through that step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from grants.audit.models import AuditEntry
from grants.editions import service
from grants.editions.states import edition_machine
from grants.errors import DomainError, InvalidTransition
from grants.timeutil import now


def _status_buttons(body: str) -> list[str]:
    import re

    return re.findall(r'name="target" value="(\w+)"', body)


def test_review_starts_only_after_the_submission_deadline(client, login_as, session, world):
    edition = world.edition_a
    service.change_edition_status(session, actor=world.organizer_a, edition=edition, target="open")
    session.commit()
    login_as(world.organizer_a)
    body = client.get(f"/admin/editions/{edition.id}").get_data(as_text=True)
    assert "reviewing" not in _status_buttons(body) and "过后才能进入评审" in body
    client.post(f"/admin/editions/{edition.id}/status", data={"target": "reviewing"})
    session.refresh(edition)
    assert edition.status == "open"
    edition.submission_closes_at = now() - timedelta(minutes=1)
    session.commit()
    assert "reviewing" in _status_buttons(client.get(f"/admin/editions/{edition.id}").get_data(as_text=True))
    client.post(f"/admin/editions/{edition.id}/status", data={"target": "reviewing"})
    session.refresh(edition)
    assert edition.status == "reviewing"


def test_back_to_draft_is_refused_once_a_proposal_is_submitted(client, login_as, session, world, make):
    edition = world.edition_a
    make.proposal(edition, submit=True, community_id=world.community_a.id)
    login_as(world.organizer_a)
    body = client.get(f"/admin/editions/{edition.id}").get_data(as_text=True)
    assert "draft" not in _status_buttons(body) and "不能退回筹备" in body
    with pytest.raises(DomainError, match="不能退回筹备"):
        service.change_edition_status(session, actor=world.organizer_a, edition=edition, target="draft", reason="x")
    assert edition.status == "open"


@pytest.mark.parametrize(("source", "target"), [("reviewing", "publicizing"), ("publicizing", "funding")])
def test_moves_that_follow_from_the_results_cannot_be_made_by_hand(session, world, source, target):
    edition = world.edition_a
    edition.status = source  # where the edition stands; only the attempted move matters here
    session.commit()
    with pytest.raises(InvalidTransition, match="只能通过"):
        service.change_edition_status(session, actor=world.organizer_a, edition=edition, target=target)
    assert edition.status == source
    assert target not in {t.target for t in edition_machine.available(edition, world.organizer_a)}
    with pytest.raises(DomainError):  # even a step cannot make it without its substance
        edition_machine.transition(session, edition, target, actor=world.organizer_a, by_step=True)
    assert edition.status == source


@pytest.mark.parametrize("target", ["draft", "open", "reviewing", "closed"])
def test_no_backwards_or_skipping_move_from_the_notice(session, world, target):
    edition = world.edition_a
    edition.status = "publicizing"
    session.commit()
    with pytest.raises(InvalidTransition):
        service.change_edition_status(session, actor=world.organizer_a, edition=edition, target=target, reason="r")
    assert edition.status == "publicizing"
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("edition.%"))).all()
    assert set(actions) == {"edition.create"}  # nothing moved, nothing recorded
