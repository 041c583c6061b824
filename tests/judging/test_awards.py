"""Award tiers in ranking order and approved amounts within the request and the pool."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grants.audit.models import AuditEntry
from grants.errors import DomainError, NotAllowed
from grants.judging import awards, closing
from grants.judging.models import RoundResult


def _tiers(session, world, edition, *rows):
    return awards.set_tiers(
        session, actor=world.organizer_a, edition=edition, rows=[awards.TierInput(n, c) for n, c in rows]
    )


def test_tiers_follow_the_ranking_and_amounts_default_to_the_request(session, world, final_closed):
    edition, final, proposals = final_closed
    _tiers(session, world, edition, ("一等奖", "1"), ("二等奖", "2"), ("", ""))
    assert awards.assign_tiers(session, actor=world.organizer_a, edition=edition) == 3
    results = closing.stored_results(session, final, with_proposals=True)
    assert [r.proposal_id for r in results] == [p.id for p in proposals[:4]]
    assert [r.tier for r in results] == ["一等奖", "二等奖", "二等奖", None]
    assert [r.approved_fen for r in results[:3]] == [p.requested_fen for p in proposals[:3]]
    assert results[3].approved_fen is None
    # Fewer places: the third project loses its tier and its amount.
    _tiers(session, world, edition, ("资助", "2"))
    assert awards.assign_tiers(session, actor=world.organizer_a, edition=edition) == 2
    assert [r.tier for r in closing.stored_results(session, final)] == ["资助", "资助", None, None]


def test_amounts_are_checked_all_or_nothing(session, world, final_closed):
    edition, final, proposals = final_closed
    _tiers(session, world, edition, ("资助", "3"))
    awards.assign_tiers(session, actor=world.organizer_a, edition=edition)
    session.commit()
    first, second, _third = [r for r in closing.stored_results(session, final) if r.tier]
    requested = proposals[0].requested_fen
    for bad, message in (("abc", "有效"), ("0", "大于0"), (str(requested / 100 + 1), "不能高于")):
        with pytest.raises(DomainError, match=message):
            awards.set_amounts(
                session, actor=world.organizer_a, edition=edition, amounts={second.id: "100", first.id: bad}
            )
        session.rollback()
    assert session.get(RoundResult, second.id).approved_fen == proposals[1].requested_fen  # nothing stored
    total = awards.set_amounts(session, actor=world.organizer_a, edition=edition, amounts={first.id: "1,000.50"})
    assert session.get(RoundResult, first.id).approved_fen == 100_050
    assert total == 100_050 + proposals[1].requested_fen + proposals[2].requested_fen
    session.commit()
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "round.approve_amounts")) is not None
    edition.cap_fen, edition.pool_fen = 100_000, 200_000  # a pool smaller than the three winners together
    with pytest.raises(DomainError, match="超过了本届资金池"):
        awards.set_amounts(session, actor=world.organizer_a, edition=edition, amounts={})
    session.rollback()
    with pytest.raises(NotAllowed):
        awards.set_amounts(session, actor=world.organizer_b, edition=edition, amounts={})


def test_tier_input_and_order_of_rounds_are_checked(session, world, scoring):
    edition = world.edition_a
    for rows, message in (
        ((), "至少"),
        ([("一等奖", "x")], "名额"),
        ([("一等奖", "²")], "名额"),  # a digit to str.isdigit(), not to int()
        ([("一等奖", "10001")], "名额"),
        ([("一等奖", "1"), ("一等奖", "2")], "重复"),
        ([("", "3")], "名称"),
    ):
        with pytest.raises(DomainError, match=message):
            _tiers(session, world, edition, *rows)
    _tiers(session, world, edition, ("资助", "5"))
    with pytest.raises(DomainError, match="终评结束后"):
        awards.assign_tiers(session, actor=world.organizer_a, edition=edition)
    with pytest.raises(NotAllowed):
        awards.set_tiers(session, actor=world.organizer_b, edition=edition, rows=[awards.TierInput("资助", "1")])


def test_awards_page(client, login_as, session, world, final_closed):
    edition, _final, proposals = final_closed
    url = f"/review/editions/{edition.id}/awards"
    login_as(world.organizer_b)
    assert client.get(url).status_code == 403
    assert client.post(url, data={"action": "assign"}).status_code == 403
    login_as(world.organizer_a)
    response = client.post(url, data={"action": "tiers", "tier_name_1": "一等奖", "tier_count_1": "-1"})
    assert response.status_code == 400 and "名额" in response.get_data(as_text=True)
    client.post(
        url,
        data={
            "action": "tiers",
            "tier_name_1": "一等奖",
            "tier_count_1": "1",
            "tier_name_2": "优秀奖",
            "tier_count_2": "1",
        },
    )
    body = client.post(url, data={"action": "assign"}, follow_redirects=True).get_data(as_text=True)
    assert "2个获奖项目" in body and "优秀奖" in body and proposals[0].title in body
    winner = session.scalar(select(RoundResult).where(RoundResult.tier == "一等奖"))
    response = client.post(url, data={"action": "amounts", f"r{winner.id}": "999999"})
    assert response.status_code == 400 and "不能高于" in response.get_data(as_text=True)
    client.post(url, data={"action": "amounts", f"r{winner.id}": "1000"})
    session.refresh(winner)
    assert winner.approved_fen == 100_000
