"""Templates translate through this request's catalog, looked up once (issue 12 item 9): each
request still gets its own language, and a forced locale is honoured."""

from __future__ import annotations


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


def test_template_texts_are_formatted_and_escaped_as_before(app, world):
    from flask import render_template_string

    with app.test_request_context("/", headers={"Accept-Language": "zh"}):
        assert render_template_string("{{ _('登录') }}%") == "登录%"
        assert render_template_string("{{ _('%(a)s和%(b)s', a='<i>', b=2) }}") == "&lt;i&gt;和2"
        assert render_template_string("{{ gettext('100%%') }}") == "100%"
