"""Health check, security headers, CSRF, error pages, language choice, secret key."""

from __future__ import annotations

import io
import os
import stat

import pytest
from sqlalchemy import func, select

from grants import create_app
from grants.auth.models import User
from grants.config import load_config


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=1",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_every_page_carries_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_pages_contain_no_inline_script_or_style(client):
    for path in ("/", "/login", "/register"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "<style" not in html


def test_session_cookie_is_http_only_and_same_site(client):
    client.get("/login")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_post_without_csrf_token_is_rejected_and_changes_nothing(client, session):
    response = client.post(
        "/register",
        csrf=False,
        data={
            "login": "li.hua",
            "display_name": "李华",
            "community_id": 0,
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    )
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_post_with_a_forged_csrf_token_is_rejected(client):
    response = client.post("/login", data={"login": "x", "password": "y", "csrf_token": "forged"})
    assert response.status_code == 400


def test_unknown_page_gets_a_friendly_404_in_chinese_and_english(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)
    response = client.get("/no-such-page", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_wrong_method_gets_405_page(client):
    assert client.get("/logout").status_code == 405


def test_oversized_request_gets_a_friendly_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"login": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "文件太大" in response.get_data(as_text=True)


def test_unexpected_error_gets_a_500_page_without_details(app):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get("/boom-for-test")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "系统出错了" in body and "secret internal detail" not in body


def test_language_is_chosen_by_cookie_then_browser_then_chinese(client):
    assert 'lang="zh-CN"' in client.get("/").get_data(as_text=True)
    assert 'lang="en"' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    client.post("/language", data={"lang": "zh_Hans_CN"})
    assert 'lang="zh-CN"' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "/\\evil"])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.post("/language", data={"lang": "en", "next": target})
    assert response.headers["Location"] == "/"


def test_unknown_language_is_ignored(client):
    client.post("/language", data={"lang": "fr"})
    assert client.get_cookie("lang") is None


def test_secret_key_is_generated_once_into_instance_with_private_permissions(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    assert len(first) >= 64
    assert load_config(tmp_path)["SECRET_KEY"] == first
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert load_config(tmp_path)["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_form_values_with_nul_characters_are_refused_and_change_nothing(client, session):
    response = client.post(
        "/register",
        data={
            "login": "li\x00hua",
            "display_name": "李华",
            "community_id": 0,
            "password": "long-enough-pw",
            "confirm": "long-enough-pw",
        },
    )
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_a_view_keeps_a_security_header_of_its_own_and_secure_cookies_bring_hsts(app):
    @app.get("/framed-by-us")
    def framed_by_us():
        return "x", 200, {"x-frame-options": "SAMEORIGIN"}

    headers = app.test_client().get("/framed-by-us").headers
    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert headers["X-Content-Type-Options"] == "nosniff" and "Strict-Transport-Security" not in headers
    app.config["SESSION_COOKIE_SECURE"] = True
    assert app.test_client().get("/").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_nul_character_in_a_query_string_or_a_multipart_form_is_refused(client):
    assert client.get("/results/?q=a%00b").status_code == 400
    response = client.post(
        "/register", data={"login": "a\x00b", "file": (io.BytesIO(b"x"), "x.txt")}, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert client.get("/results/?q=ab").status_code == 200
