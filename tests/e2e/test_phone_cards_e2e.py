"""Cards on a 390 px phone, measured in Chromium on the demo: a table row shown as a card keeps each
value at the right of its label, also a value that wraps or has a second line (the grant's edition
under its title in 拨款待办); a page's cards open with their heading, not with the page's space above
headings, and stand apart from each other."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.e2e.pages import sign_in

pytestmark = pytest.mark.e2e

PASSWORD = "demo12345"


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, locator
    return box


def _right(box: dict) -> float:
    return box["x"] + box["width"]


def test_a_disbursement_card_keeps_every_value_at_the_right(demo_data, live_server, phone):
    sign_in(phone, live_server, "finance", PASSWORD)
    phone.goto(live_server + "/funding/queue")
    card = phone.locator("#approval-heading ~ div table.cards-on-phone tbody tr").first
    title = card.locator("td.card-title a")
    edition = card.locator("td.card-title .muted")
    amount = card.locator("td.num")
    requested = card.locator("td").nth(3)  # 申请人 · time: plain text, two lines on a phone
    title_box, edition_box, amount_box = _box(title), _box(edition), _box(amount)
    # The edition stands under the grant's title, both ending at the card's right edge with the amount.
    assert edition_box["y"] >= title_box["y"] + title_box["height"] - 1
    assert abs(_right(title_box) - _right(amount_box)) <= 2
    assert abs(_right(edition_box) - _right(amount_box)) <= 2
    # Bare text that wraps is right-aligned too, and the label keeps the left.
    lines = requested.evaluate(
        """td => {
            const range = document.createRange();
            range.selectNodeContents(td);
            return Array.from(range.getClientRects(), r => [r.left, r.right]);
        }"""
    )
    assert len(lines) >= 2, lines
    assert all(abs(right - _right(amount_box)) <= 2 for _left, right in lines), (lines, _right(amount_box))
    label_left = requested.evaluate("td => td.getBoundingClientRect().left")
    assert label_left < min(left for left, _right_edge in lines) - 40


def test_a_groups_cards_open_with_their_heading_and_stand_apart(demo_data, session, live_server, phone):
    from grants.incubation.models import Group
    from grants.org.models import Community

    group_id = session.scalar(
        select(Group.id)
        .join(Community, Community.id == Group.community_id)
        .where(Community.name == "桂花社区")
        .limit(1)
    )
    sign_in(phone, live_server, "staff1", PASSWORD)
    phone.goto(f"{live_server}/groups/{group_id}")
    cards = phone.locator("main section.card")
    assert cards.count() >= 2
    first, second = _box(cards.nth(0)), _box(cards.nth(1))
    heading = _box(cards.nth(0).locator("h2").first)
    # border + padding + a small margin: not the 24 px a heading keeps above it elsewhere on a page
    assert heading["y"] - first["y"] <= 20, (heading, first)
    assert second["y"] - (first["y"] + first["height"]) >= 8, (first, second)
