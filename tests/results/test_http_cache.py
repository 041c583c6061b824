"""Anonymous public pages and the open-data API carry no session and can be cached (issue 12 item 9)."""

from __future__ import annotations

from grants.results import queries

PUBLIC = "public, max-age=60"


def _public_urls(session, edition_id: int, publication) -> list[str]:
    entry = queries.entries_of(session, publication)[0]
    return [
        f"/results/{edition_id}",
        f"/results/{edition_id}/notices/{publication.id}",
        f"/results/{edition_id}/statistics",
        f"/results/projects/{entry.id}",
        "/results/",
        "/",
        "/api/v1/editions",
        f"/api/v1/editions/{edition_id}/results",
    ]


def test_anonymous_public_pages_set_no_cookie_and_are_cacheable(client, session, world, published):
    publication, _proposals = published
    for url in _public_urls(session, world.edition_a.id, publication):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
        assert response.headers["Cache-Control"] == PUBLIC, url
        etag = response.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b"", url
        assert "Set-Cookie" not in again.headers and again.headers["ETag"] == etag
        assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.get_cookie("session") is None


def test_pages_vary_on_what_changes_them(client, session, world, published):
    page = client.get(f"/results/{world.edition_a.id}")
    # a signed-in visitor's copy shows their name: caches keep one copy for requests without cookies
    assert {"Cookie", "Accept-Language"} <= set(page.headers["Vary"].replace(" ", "").split(","))
    english = client.get(f"/results/{world.edition_a.id}", headers={"Accept-Language": "en"})
    assert english.headers["ETag"] != page.headers["ETag"]


def test_signed_in_visitors_get_private_pages(client, login_as, session, world, published):
    publication, _proposals = published
    login_as(world.resident)
    for url in _public_urls(session, world.edition_a.id, publication)[:4]:
        response = client.get(url)
        assert response.headers["Cache-Control"] == "private, no-store", url
        assert "ETag" not in response.headers
    assert client.get("/account").headers["Cache-Control"] == "no-store"


def test_errors_and_other_pages_stay_uncached(client, world, published):
    assert client.get("/results/999999").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/editions/999/results").headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_the_language_switch_works_from_a_page_without_a_session(client, world, published):
    url = f"/results/{world.edition_a.id}"
    assert 'name="csrf_token"' not in client.get(url).get_data(as_text=True)
    response = client.post("/language", data={"lang": "en", "next": url}, csrf=False)
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert client.get_cookie("lang").value == "en"
    assert 'lang="en"' in client.get(url).get_data(as_text=True)


def test_a_worker_keeps_anonymous_pages_for_a_few_seconds(app, client, login_as, world, published, query_counter):
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 10
    url = f"/results/{world.edition_a.id}"
    first = client.get(url)
    with query_counter() as statements:
        again = client.get(url)
    assert statements == [] and again.get_data() == first.get_data()
    assert again.headers["Cache-Control"] == PUBLIC and again.headers["ETag"] == first.headers["ETag"]
    assert "Set-Cookie" not in again.headers
    english = client.get(url, headers={"Accept-Language": "en"})  # each language has its own copy
    assert english.get_data() != first.get_data()
    login_as(world.resident)  # a signed-in visitor always gets a page made for them
    with query_counter() as statements:
        mine = client.get(url)
    assert statements and world.resident.display_name in mine.get_data(as_text=True)
    assert mine.headers["Cache-Control"] == "private, no-store"


def test_the_home_page_is_public_for_strangers_and_private_for_the_signed_in(client, login_as, world):
    stranger = client.get("/")
    assert stranger.headers["Cache-Control"] == PUBLIC and "Set-Cookie" not in stranger.headers
    assert 'name="csrf_token"' not in stranger.get_data(as_text=True)
    login_as(world.resident)
    mine = client.get("/")
    assert mine.headers["Cache-Control"] == "private, no-store"
    assert world.resident.display_name in mine.get_data(as_text=True)


def test_open_data_answers_do_not_vary_on_cookies(client, world, published):
    for url in ("/api/v1/editions", f"/api/v1/editions/{world.edition_a.id}/results", "/api/v1/openapi.json"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == PUBLIC, url
        assert "Cookie" not in response.headers.get("Vary", ""), url
