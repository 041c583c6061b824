"""The open data API (/api/v1): public lists only, private fields never, errors as JSON, bounded
queries, open-data headers and the rate limit."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from grants.auth.models import User
from grants.editions import service as edition_service
from grants.proposals.models import Proposal, TeamMember
from grants.results import queries, service
from grants.results.models import Publication, PublicationEntry
from grants.timeutil import now
from tests.results.conftest import after_window

NAMES = ("张三明", "李四光", "欧阳娜娜")


@pytest.fixture
def named(session, world, awarded):
    """The awards list published, its applicants with full Chinese names and mobile numbers."""
    edition, final, proposals = awarded
    for i, proposal in enumerate(proposals):
        applicant = session.get(User, proposal.applicant_id)
        applicant.display_name = NAMES[i % len(NAMES)] + str(i // len(NAMES) or "")
        applicant.mobile = f"1381234{i:04d}"
    session.commit()
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


def _correct(session, world, publication):
    """Publish a correction of ``publication`` (the first winner's amount lowered by ¥100)."""
    draft = service.prepare(
        session,
        actor=world.organizer_a,
        edition=publication.edition,
        rnd=publication.round,
        settings=service.Settings(title="更正公示"),
    )
    first = queries.entries_of(session, draft)[0]
    service.change_entry(
        session,
        actor=world.organizer_a,
        publication=draft,
        entry_id=first.id,
        tier=first.tier,
        approved=str((first.approved_fen - 10_000) / 100),
    )
    service.publish(session, actor=world.organizer_a, publication=draft)
    session.commit()
    return draft


def _get(client, url):
    response = client.get(url)
    assert response.mimetype == "application/json", (url, response.status_code)
    return response, json.loads(response.get_data(as_text=True))


def test_anonymous_visitor_reads_the_current_list_with_public_fields_only(client, session, world, named):
    publication, _proposals = named
    response, editions = _get(client, "/api/v1/editions")
    assert response.status_code == 200
    assert [e["id"] for e in editions] == [world.edition_a.id]  # edition B has nothing public
    edition = editions[0]
    assert edition["results_status"] == "publicizing"
    assert edition["current_publication_id"] == publication.id
    assert edition["district"] == "甲区"
    (listed,) = edition["publications"]
    assert listed["status"] == "published" and listed["final"] is True and listed["entry_count"] == 3
    assert listed["published_at"].endswith("+08:00") and listed["objection_window_open"] is True
    assert listed["links"]["results"] == f"/api/v1/editions/{world.edition_a.id}/results?publication={publication.id}"

    response, data = _get(client, edition["links"]["results"])
    assert response.status_code == 200
    assert data["publication"]["id"] == publication.id and data["publication"]["is_current"] is True
    assert data["edition"] == {k: v for k, v in edition.items() if k != "publications"}
    entries = data["entries"]
    assert [e["rank"] for e in entries] == [1, 2, 3]
    assert [e["tier"] for e in entries] == ["一等奖", "二等奖", "二等奖"]
    stored = queries.entries_of(session, publication)
    for entry, row in zip(entries, stored, strict=True):
        assert entry["approved_fen"] == row.approved_fen
        assert entry["approved_yuan"] == f"{row.approved_fen // 100}.{row.approved_fen % 100:02d}"
        assert entry["score"] == f"{row.score:.2f}"
        assert entry["applicant"] == row.applicant and "*" in entry["applicant"]

    # Nothing private anywhere: full names, mobiles (applicant and team), private proposal text.
    text = client.get("/api/v1/editions").get_data(as_text=True) + response.get_data(as_text=True)
    listed_ids = [row.proposal_id for row in stored]
    for proposal in session.scalars(select(Proposal).where(Proposal.id.in_(listed_ids))):
        applicant = session.get(User, proposal.applicant_id)
        assert applicant.display_name not in text and applicant.mobile not in text
        for field in ("need_analysis", "overall_objective", "specific_objectives", "risks", "sustainability"):
            assert getattr(proposal, field) and getattr(proposal, field) not in text
    mobiles = session.scalars(select(TeamMember.mobile).where(TeamMember.proposal_id.in_(listed_ids))).all()
    assert mobiles and not any(m in text for m in mobiles)
    assert "requested_fen" not in text and "proposal_id" not in text


def test_headers_are_those_of_open_data(client, session, make, world):
    edition_id = _public_edition(session, make, world.district_a, make.proposal(world.edition_a)).edition_id
    for url in ("/api/v1/editions", f"/api/v1/editions/{edition_id}/results", "/api/v1/openapi.json"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Cache-Control"] == "public, max-age=60"
        assert "公示" in response.get_data(as_text=True)  # UTF-8 text, not \\u escapes
    missing = client.get("/api/v1/editions/999/results")
    assert missing.status_code == 404 and missing.headers["Cache-Control"] == "no-store"
    assert missing.headers["Access-Control-Allow-Origin"] == "*"


def test_an_edition_with_only_a_draft_is_not_listed(client, session, make, world):
    edition = make.edition(world.district_a)
    rnd = edition_service.rounds_of(session, edition.id)[-1]
    proposal = make.proposal(world.edition_a)
    session.add(
        Publication(
            edition_id=edition.id,
            round_id=rnd.id,
            number=1,
            status="draft",
            title="草稿",
            entries=[PublicationEntry(proposal_id=proposal.id, position=1, title="楼道微花园", applicant="张*明")],
        )
    )
    session.commit()
    assert _get(client, "/api/v1/editions")[1] == []
    response, data = _get(client, f"/api/v1/editions/{edition.id}/results")
    assert response.status_code == 404 and data["message"]


def test_a_superseded_list_stays_public_and_can_be_fetched(client, session, world, named):
    old, _proposals = named
    new = _correct(session, world, old)
    _response, editions = _get(client, "/api/v1/editions")
    edition = editions[0]
    assert edition["current_publication_id"] == new.id and edition["results_status"] == "publicizing"
    assert queries.current_publication(session, world.edition_a.id).id == new.id  # the same rule
    newest, older = edition["publications"]
    assert (newest["id"], newest["status"], newest["supersedes_id"]) == (new.id, "published", old.id)
    assert (older["id"], older["status"], older["superseded_by_id"]) == (old.id, "superseded", new.id)
    assert older["superseded_at"] is not None and older["objection_window_open"] is False

    response, data = _get(client, older["links"]["results"])
    assert response.status_code == 200
    assert data["publication"]["status"] == "superseded" and data["publication"]["is_current"] is False
    assert data["edition"]["current_publication_id"] == new.id
    old_amount = data["entries"][0]["approved_fen"]
    _response, current = _get(client, f"/api/v1/editions/{world.edition_a.id}/results")
    assert current["publication"]["id"] == new.id
    assert current["entries"][0]["approved_fen"] == old_amount - 10_000

    # A draft (here: a further correction being prepared) never appears, not even by its id.
    draft = service.prepare(
        session,
        actor=world.organizer_a,
        edition=new.edition,
        rnd=new.round,
        settings=service.Settings(title="草稿标题"),
    )
    session.commit()
    _response, editions = _get(client, "/api/v1/editions")
    assert [p["id"] for p in editions[0]["publications"]] == [new.id, old.id]
    response, data = _get(client, f"/api/v1/editions/{world.edition_a.id}/results?publication={draft.id}")
    assert response.status_code == 404 and set(data) == {"error", "message"}
    for url in ("/api/v1/editions", f"/api/v1/editions/{world.edition_a.id}/results"):
        assert "草稿标题" not in client.get(url).get_data(as_text=True)


def test_finalized_results_are_final(client, session, world, named):
    publication, _proposals = named
    service.finalize(session, actor=world.organizer_a, publication=publication, now=after_window(publication))
    session.commit()
    _response, editions = _get(client, "/api/v1/editions")
    assert editions[0]["results_status"] == "final"
    assert editions[0]["publications"][0]["status"] == "final"
    assert editions[0]["publications"][0]["finalized_at"].endswith("+08:00")
    _response, data = _get(client, f"/api/v1/editions/{world.edition_a.id}/results")
    assert data["publication"]["status"] == "final" and data["edition"]["results_status"] == "final"


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?publication=abc", 400),
        ("?publication=", 400),
        ("?publication=0", 400),
        ("?publication=-3", 400),
        ("?publication=1.5", 400),
        ("?publication=%EF%BC%91", 400),  # a full-width digit
        ("?publication=99999999999999999999", 400),
        ("?publication=" + "9" * 5000, 400),
        ("?publication=2147483647", 404),
    ],
)
def test_bad_query_parameters_get_a_clear_json_error(client, query, status):
    response, data = _get(client, f"/api/v1/editions/1/results{query}")
    assert response.status_code == status
    assert set(data) == {"error", "message"} and data["message"]
    if status == 400:
        assert "publication" in data["message"]


def test_unknown_editions_and_foreign_publications_are_404(client, session, world, make):
    proposal = make.proposal(world.edition_a)
    publication = _public_edition(session, make, world.district_a, proposal)
    other = _public_edition(session, make, world.district_b, proposal)
    for url in (
        "/api/v1/editions/999/results",
        f"/api/v1/editions/{other.edition_id}/results?publication={publication.id}",
        f"/api/v1/editions/{publication.edition_id}/results?publication={other.id}",
        f"/api/v1/editions/{world.edition_b.id}/results",
        "/api/v1/editions/2147483647/results",
        "/api/v1/editions/2147483648/results",
        "/api/v1/editions/0/results",
        "/api/v1/editions/abc/results",
        "/api/v1/nothing",
    ):
        response, data = _get(client, url)
        assert response.status_code == 404, url
        assert set(data) == {"error", "message"}


def test_the_api_accepts_no_post(client):
    for url in ("/api/v1/editions", "/api/v1/editions/1/results", "/api/v1/openapi.json"):
        for send in (client.post, client.put, client.delete):
            response = send(url, data={})
            assert response.status_code == 405 and response.is_json, (send, url)
            assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_the_rate_limit_is_generous_but_real(client):
    statuses = [client.get("/api/v1/openapi.json").status_code for _ in range(121)]
    assert statuses[:120] == [200] * 120
    assert statuses[120] == 429
    response, data = _get(client, "/api/v1/editions")
    assert response.status_code == 429 and set(data) == {"error", "message"}
    assert client.get("/").status_code == 200  # the limit is the API's only


# --- bounded queries ----------------------------------------------------------------------------


def _public_edition(session, make, district, *proposals, edition=None):
    """A new edition (or ``edition``) with a superseded list, its correction (published) and a
    draft, written directly (the read side does not care how they were made)."""
    edition = edition or make.edition(district)
    rnd = edition_service.rounds_of(session, edition.id)[-1]
    opened = now() - timedelta(days=1)

    def listed():
        return [
            PublicationEntry(
                proposal_id=proposal.id,
                position=i,
                rank=i,
                title="楼道微花园",
                applicant="张*明",
                team_size=3,
                score=Decimal("88.5"),
                tier="一等奖",
                approved_fen=500_000,
            )
            for i, proposal in enumerate(proposals, start=1)
        ]

    common = {"edition_id": edition.id, "round_id": rnd.id, "final": True}
    old = Publication(
        **common,
        number=1,
        status="superseded",
        title="公示",
        opens_at=opened,
        closes_at=opened + timedelta(days=7),
        superseded_at=opened + timedelta(hours=2),
        entries=listed(),
    )
    session.add(old)
    session.flush()
    new = Publication(
        **common,
        number=2,
        status="published",
        title="更正公示",
        supersedes_id=old.id,
        opens_at=opened + timedelta(hours=2),
        closes_at=opened + timedelta(days=7),
        entries=listed(),
    )
    draft = Publication(**common, number=3, status="draft", title="草稿", entries=listed())
    session.add_all([new, draft])
    session.commit()
    return new


def _queries(client, query_counter, url):
    with query_counter() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements), json.loads(response.get_data(as_text=True))


def test_queries_do_not_grow_with_editions_or_publications(client, session, make, world, query_counter):
    proposals = [make.proposal(world.edition_a) for _ in range(3)]
    editions = [_public_edition(session, make, world.district_a, proposals[0]) for _ in range(2)]
    few, data = _queries(client, query_counter, "/api/v1/editions")
    assert len(data) == 2 and all(len(e["publications"]) == 2 for e in data)
    editions += [_public_edition(session, make, world.district_b, *proposals) for _ in range(8)]
    many, data = _queries(client, query_counter, "/api/v1/editions")
    assert len(data) == 10 and all(e["results_status"] == "publicizing" for e in data)
    assert many == few == 2  # the publications, their entry counts
    first, _data = _queries(client, query_counter, f"/api/v1/editions/{editions[0].edition_id}/results")
    last, data = _queries(client, query_counter, f"/api/v1/editions/{editions[-1].edition_id}/results")
    assert len(data["entries"]) == 3 and data["entries"][0]["score"] == "88.50"
    assert first == last == 2  # the edition's publications, the chosen one's entries
