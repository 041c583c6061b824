"""The screening list counts only the proposals its viewer may act on (issue 12, item 8)."""

from __future__ import annotations

from grants.editions import service as edition_service
from grants.editions.states import edition_machine
from grants.judging import eligibility


def test_staff_see_the_count_of_their_own_community_not_the_district(session, world, make, login_as):
    edition = world.edition_a
    edition_machine.transition(session, edition, "open", actor=None)
    session.commit()
    make.proposal(edition, world.resident, submit=True, community_id=world.community_a.id)
    for _ in range(2):
        make.proposal(edition, submit=True, community_id=world.community_a2.id)
    rnd = edition_service.rounds_of(session, edition.id)[0]
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()

    page = login_as(world.staff_a).get(f"/review/rounds/{rnd.id}/eligibility").get_data(as_text=True)
    assert "还有1份申报书等待决定或补正" in page
    assert "还有3份" not in page

    page = login_as(world.street_staff_a).get(f"/review/rounds/{rnd.id}/eligibility").get_data(as_text=True)
    assert "还有3份申报书等待决定或补正" in page
    page = login_as(world.organizer_a).get(f"/review/rounds/{rnd.id}/eligibility").get_data(as_text=True)
    assert "还有3份申报书等待决定或补正" in page
