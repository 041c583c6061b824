"""The home page, opened by many at once (issue 12 item 9): the anonymous copy is the same for
everyone, carries no session and is kept briefly; a signed-in visitor's copy never is."""

from __future__ import annotations

from grants.editions.states import edition_machine

PUBLIC = "public, max-age=60"


def _open(session, edition):
    edition_machine.transition(session, edition, "open", actor=None)
    session.commit()


def test_the_anonymous_home_page_sets_no_cookie_and_is_cacheable(client, session, world):
    _open(session, world.edition_a)
    response = client.get("/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == PUBLIC
    assert world.edition_a.name in response.get_data(as_text=True)
    again = client.get("/", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get_cookie("session") is None


def test_a_worker_keeps_the_anonymous_home_page_but_not_a_signed_in_one(
    app, client, login_as, session, world, query_counter
):
    _open(session, world.edition_a)
    app.config["PUBLIC_PAGE_CACHE_SECONDS"] = 10
    first = client.get("/")
    with query_counter() as statements:
        again = client.get("/")
    assert statements == [] and again.get_data() == first.get_data()
    english = client.get("/", headers={"Accept-Language": "en"})  # each language has its own copy
    assert english.get_data() != first.get_data()

    login_as(world.resident)
    mine = client.get("/")
    assert mine.headers["Cache-Control"] == "private, no-store"
    assert world.resident.display_name in mine.get_data(as_text=True)
    assert mine.get_data() != first.get_data()
    with query_counter() as statements:
        client.get("/")
    assert statements, "a signed-in visitor's home page is rendered for them each time"


def test_templates_translate_each_request_in_its_own_language(client, world):
    chinese = client.get("/login").get_data(as_text=True)
    english = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "登录" in chinese and "Sign in" in english
    assert "登录" not in english.split("<main", 1)[1].split("</main>", 1)[0]
    assert "登录" in client.get("/login").get_data(as_text=True)  # the next request is Chinese again


def test_forced_locale_inside_a_request_is_honoured(app, world):
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context("/", headers={"Accept-Language": "zh"}):
        assert render_template_string("{{ _('登录') }}") == "登录"
        with force_locale("en"):
            assert render_template_string("{{ _('登录') }}") == "Sign in"
        assert render_template_string("{{ _('登录') }}") == "登录"
