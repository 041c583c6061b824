"""A correction of a published notice is prepared, previewed and published through the pages
(the draft page once failed on a lazy load of the notice it corrects)."""

from __future__ import annotations

from sqlalchemy import select

from grants.results.models import Publication


def test_a_correction_is_prepared_previewed_and_published_from_the_pages(client, login_as, session, world, published):
    publication, proposals = published
    login_as(world.organizer_a)
    edition_id = publication.edition_id
    page = client.get(f"/editions/{edition_id}/publications")
    assert page.status_code == 200
    response = client.post(
        f"/editions/{edition_id}/publications",
        data={
            "round_id": publication.round_id,
            "title": "获奖项目公示（更正）",
            "office_name": "甲区社区办",
            "window_days": "5",
        },
    )
    assert response.status_code == 302
    correction = session.scalar(select(Publication).where(Publication.id != publication.id))
    assert correction.supersedes_id == publication.id and correction.status == "draft"
    draft_page = client.get(response.headers["Location"])
    body = draft_page.get_data(as_text=True)
    assert draft_page.status_code == 200
    assert f"将更正（取代）第{publication.number}号公示" in body and proposals[0].title in body
    preview = client.get(f"/results/notices/{correction.id}/notice.pdf")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    published_response = client.post(f"/publications/{correction.id}/publish", follow_redirects=True)
    assert published_response.status_code == 200 and "公示已发布" in published_response.get_data(as_text=True)
    session.refresh(publication)
    session.refresh(correction)
    assert correction.status == "published" and publication.status == "superseded"
    # Both pages of the chain still open for the organizer.
    assert client.get(f"/publications/{publication.id}").status_code == 200
    assert client.get(f"/publications/{correction.id}").status_code == 200


def test_another_organizer_cannot_open_the_correction_draft(client, login_as, session, world, published):
    publication, _proposals = published
    login_as(world.organizer_a)
    client.post(
        f"/editions/{publication.edition_id}/publications",
        data={"round_id": publication.round_id, "title": "更正", "office_name": "甲区社区办", "window_days": "5"},
    )
    correction = session.scalar(select(Publication).where(Publication.id != publication.id))
    login_as(world.organizer_b)
    assert client.get(f"/publications/{correction.id}").status_code in (403, 404)
    assert client.get(f"/results/notices/{correction.id}/notice.pdf").status_code == 404
