"""Issue 12 item 1: during the objection window the edition page offers no 进入资助实施; the
edition reaches funding only by finalizing the results, with its grants."""

from __future__ import annotations

from sqlalchemy import func, select

from grants.funding.models import Grant
from grants.results import service
from tests.results.conftest import move_window_into_the_past


def test_funding_is_reached_only_by_finalizing_the_results(client, login_as, session, world, published):
    publication, _proposals = published
    edition = publication.edition
    assert edition.status == "publicizing"
    login_as(world.organizer_a)
    body = client.get(f"/admin/editions/{edition.id}").get_data(as_text=True)
    assert "进入资助实施" not in body.split("评审轮次")[0].replace("自动进入“资助实施中”", "")
    assert 'value="funding"' not in body
    assert "公示期满后确定结果后，本届自动进入“资助实施中”" in body
    response = client.post(f"/admin/editions/{edition.id}/status", data={"target": "funding"}, follow_redirects=True)
    assert "只能通过" in response.get_data(as_text=True)
    session.refresh(edition)
    assert edition.status == "publicizing"
    assert session.scalar(select(func.count()).select_from(Grant)) == 0

    move_window_into_the_past(session, publication)
    grants = service.finalize(session, actor=world.organizer_a, publication=publication)
    session.commit()
    assert grants and edition.status == "funding"
