"""The organizer's edition page loads what it shows once (issue 12 item 9)."""

from __future__ import annotations

from grants.editions import service as edition_service


def test_the_edition_page_loads_the_categories_and_the_rounds_once_however_many_rounds(
    client, login_as, session, world, query_counter
):
    edition = world.edition_a
    url = f"/admin/editions/{edition.id}"
    client = login_as(world.organizer_a)
    client.get(url)
    with query_counter() as statements:
        body = client.get(url).get_data(as_text=True)
    names = [c.name for c in edition.categories]
    assert names and all(name in body for name in names)
    rounds = edition_service.rounds_of(session, edition.id)
    assert rounds and all(r.name in body for r in rounds)
    categories = [s for s in statements if "edition_categories" in s]
    assert len(categories) == 1, categories
    # The rounds come with their criteria in one statement (cards, not the object graph).
    assert len([s for s in statements if "FROM rounds" in s or "JOIN rounds" in s]) == 1
    assert len([s for s in statements if "criteria" in s]) == 1
