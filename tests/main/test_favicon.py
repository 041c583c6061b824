"""Issue 12 item 8: /favicon.ico, which browsers ask for whatever the page links, is the icon."""

from __future__ import annotations


def test_favicon_ico_leads_to_the_platforms_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and "/static/img/favicon.svg?v=" in response.headers["Location"]
    icon = client.get(response.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.get_data()
