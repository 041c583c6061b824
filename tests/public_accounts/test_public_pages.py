"""The public accounts page, its PDF and the open-data answers: what they show, what they never
show, how they are cached, who sees them, and that their cost does not grow with the edition."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from grants.auth.models import User
from grants.extensions import limiter
from grants.funding import public_accounts
from grants.money import format_fen
from grants.proposals.models import TeamMember
from tests.proposals.test_pdf import _compact, _pdf_text
from tests.public_accounts.conftest import ACCOUNT_NO, PAYEE

PUBLIC = "public, max-age=60"
MOBILE = re.compile(r"1[3-9]\d{9}")


def _urls(edition_id: int) -> dict[str, str]:
    return {
        "page": f"/results/{edition_id}/accounts",
        "pdf": f"/results/{edition_id}/accounts.pdf",
        "api": f"/api/v1/editions/{edition_id}/accounts",
        "projects": f"/api/v1/editions/{edition_id}/funded-projects",
    }


def test_the_page_shows_each_project_and_the_totals(client, session, funded):
    books = funded(4)
    accounts = public_accounts.edition_accounts(session, books.edition.id)
    html = client.get(_urls(books.edition.id)["page"]).get_data(as_text=True)
    totals = accounts.totals
    for fid, fen in [
        ("acc-approved", totals.approved_fen),
        ("acc-disbursed", totals.disbursed_fen),
        ("acc-spent", totals.spent_fen),
        ("acc-returned", totals.returned_fen),
        ("acc-held", totals.held_fen),
    ]:
        assert f'id="{fid}">{format_fen(fen)}<' in html, fid
    for project in accounts.projects:
        assert project.title in html and f"/results/projects/{project.entry_id}" in html
    for name in accounts.categories:
        assert name in html
    assert 'class="cards-on-phone public-accounts"' in html  # cards on a phone


def test_the_results_page_links_the_accounts_only_once_results_are_final(client, funded):
    final = funded(1, seed=1)
    publicizing = funded(1, status="published", seed=2)
    assert f"/results/{final.edition.id}/accounts" in client.get(f"/results/{final.edition.id}").get_data(as_text=True)
    page = client.get(f"/results/{publicizing.edition.id}").get_data(as_text=True)
    assert "/accounts" not in page


def test_accounts_of_an_edition_whose_results_are_not_final_are_not_found(client, funded, world):
    books = funded(2, status="published")
    missing = [*_urls(books.edition.id).values(), *_urls(world.edition_b.id).values(), *_urls(999_999).values()]
    for url in missing:
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.headers["Cache-Control"] == "no-store", url


def test_the_api_answers_the_same_figures_as_the_page(client, session, funded):
    books = funded(3)
    accounts = public_accounts.edition_accounts(session, books.edition.id)
    data = client.get(_urls(books.edition.id)["api"]).get_json()
    assert data["totals"]["spent_fen"] == accounts.totals.spent_fen
    assert data["totals"]["returned_yuan"] == f"{accounts.totals.returned_fen / 100:.2f}"
    assert [(p["title"], p["disbursed_fen"], p["spent_fen"], p["returned_fen"]) for p in data["projects"]] == [
        (p.title, p.disbursed_fen, p.spent_fen, p.returned_fen) for p in accounts.projects
    ]
    assert data["categories"] == accounts.categories and data["edition"]["results_status"] == "final"
    projects = client.get(_urls(books.edition.id)["projects"]).get_json()["projects"]
    assert [(p["title"], p["approved_fen"]) for p in projects] == [(g.title, g.approved_fen) for g in accounts.projects]


def _private_values(session, books) -> list[str]:
    """Everything about the people and the money's paper trail that must never be public."""
    proposal_ids = [p.id for p in books.proposals]
    members = session.scalars(select(TeamMember.name).where(TeamMember.proposal_id.in_(proposal_ids))).all()
    applicants = session.scalars(
        select(User.display_name).where(User.id.in_([p.applicant_id for p in books.proposals]))
    )
    return [*members, *applicants, ACCOUNT_NO, "6228 4800", PAYEE, *books.invoices]


def test_no_private_field_on_the_page_the_pdf_or_the_api(client, session, funded, tmp_path):
    books = funded(5)
    private = _private_values(session, books)
    assert len(private) > 8 and books.invoices
    urls = _urls(books.edition.id)
    texts = {name: client.get(url).get_data(as_text=name != "pdf") for name, url in urls.items()}
    texts["pdf"] = _compact(_pdf_text(texts["pdf"], tmp_path))
    assert "项目1号" in texts["pdf"]  # the PDF is readable text, so the crawl below means something
    for name, body in texts.items():
        assert not MOBILE.search(body), name
        for value in private:
            assert value not in body, (name, value)


def test_anonymous_answers_are_cacheable_without_a_session(client, funded):
    books = funded(2)
    for name, url in _urls(books.edition.id).items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
        assert response.headers["Cache-Control"] == PUBLIC, url
        assert response.headers["ETag"], url
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.get_data() == b"", url
        vary = set(response.headers.get("Vary", "").replace(" ", "").split(","))
        # the HTML page greets a signed-in visitor, so it varies on cookies; data never does
        assert ("Cookie" in vary) == (name == "page"), (url, vary)
    assert client.get_cookie("session") is None


def test_signed_in_visitors_get_a_private_page(client, login_as, funded, world):
    books = funded(1)
    login_as(world.resident)
    response = client.get(_urls(books.edition.id)["page"])
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in response.headers and world.resident.display_name in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["page", "api", "projects"])
def test_the_number_of_queries_does_not_grow_with_the_projects(client, funded, query_counter, name):
    counts = []
    for n, seed in ((2, 3), (40, 4)):
        books = funded(n, seed=seed)
        url = _urls(books.edition.id)[name]
        limiter.reset()
        with query_counter() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


def test_the_answers_match_the_openapi_description(app, funded):
    import schemathesis

    books = funded(3)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    statuses = []
    for path in ("/editions/{edition_id}/accounts", "/editions/{edition_id}/funded-projects"):
        operation = schema[path]["GET"]
        for edition_id in (books.edition.id, 999_999):
            limiter.reset()
            statuses.append(operation.Case(path_parameters={"edition_id": edition_id}).call_and_validate().status_code)
    assert statuses == [200, 404, 200, 404]


def test_the_pdf_follows_the_records_though_it_is_rendered_once_per_version(client, session, funded, world, tmp_path):
    from grants.funding import ledger

    books = funded(2, money=False)
    url = _urls(books.edition.id)["pdf"]
    first = client.get(url).get_data()
    assert client.get(url).get_data() == first  # the same version: the stored rendering
    ledger.record(
        session, grant=books.grants[0], kind="disbursement", amount_fen=123_456, ref="PZ", actor=world.organizer_a
    )
    session.commit()
    text = _compact(_pdf_text(client.get(url).get_data(), tmp_path))
    assert "¥1,234.56" in text
