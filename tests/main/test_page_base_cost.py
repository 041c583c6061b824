"""What every signed-in page costs before its own work, kept small without serving stale data (issue 12 item 9)."""

from __future__ import annotations

from sqlalchemy import select

from grants.auth.models import Role, RoleGrant
from grants.notifications import labels
from grants.notifications import service as notifications
from grants.notifications.models import Notification


def test_the_user_roles_and_unread_count_are_one_query(client, login_as, session, world, query_counter):
    notifications.send(session, notifications.Note(user_id=world.judge_a.id, kind=labels.REMINDER))
    session.commit()
    login_as(world.judge_a)
    with query_counter() as statements:
        body = client.get("/notifications").get_data(as_text=True)
    assert "消息（1条未读）" in body
    # The page itself lists the notifications (a count and a page); the menu's count adds nothing.
    loaded_with_user = [s for s in statements if "FROM users" in s and "notifications" in s]
    assert len(loaded_with_user) == 1
    assert not [s for s in statements if "FROM role_grants" in s and "FROM users" not in s]


def test_the_unread_count_and_roles_are_read_again_on_every_request(client, login_as, session, world):
    login_as(world.judge_a)
    assert "消息（" not in client.get("/").get_data(as_text=True)
    assert "评审任务" in client.get("/").get_data(as_text=True)
    notifications.send(session, notifications.Note(user_id=world.judge_a.id, kind=labels.REMINDER))
    session.execute(
        RoleGrant.__table__.delete().where(RoleGrant.user_id == world.judge_a.id, RoleGrant.role == Role.JUDGE.value)
    )
    session.commit()
    body = client.get("/").get_data(as_text=True)
    assert "消息（1条未读）" in body
    assert "评审任务" not in body  # the revoked role is gone from the menu on the next request
    assert session.scalar(select(Notification.read_at).where(Notification.user_id == world.judge_a.id)) is None


def test_urls_built_once_still_follow_the_script_root(client):
    plain = client.get("/").get_data(as_text=True)
    mounted = client.get("/", environ_overrides={"SCRIPT_NAME": "/grants"}).get_data(as_text=True)
    assert 'href="/static/css/app.css?v=' in plain and 'href="/results/"' in plain
    assert 'href="/grants/static/css/app.css?v=' in mounted and 'href="/grants/results/"' in mounted
    again = client.get("/").get_data(as_text=True)
    assert 'href="/grants/' not in again


def test_template_urls_with_numbers_and_words_are_the_urls_flask_builds(app):
    """The templates' url_for fills learnt patterns in: for every route, with ids, words, a query
    string, an anchor, and under another script root, it answers exactly what Flask builds."""
    from flask import url_for

    kept_url_for = app.jinja_env.globals["url_for"]
    checked = 0
    for root in ("", "/grants"):
        with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": root}):
            for rule in app.url_map.iter_rules():
                for numbers in ((1, 2, 3), (48213, 7, 2**31 - 1)):
                    values = {}
                    for i, name in enumerate(sorted(rule.arguments)):
                        converter = rule._converters[name]
                        if hasattr(converter, "items"):  # <any(…)>: one of its words
                            values[name] = sorted(converter.items)[i % len(converter.items)]
                        elif name == "filename":
                            values[name] = "css/app.css"
                        else:
                            values[name] = numbers[i % 3]
                    for extra in ({}, {"page": 2}, {"q": "a b"}, {"_anchor": "top"}, {"flag": True}):
                        assert kept_url_for(rule.endpoint, **values, **extra) == url_for(
                            rule.endpoint, **values, **extra
                        ), (rule.rule, values, extra)
                        checked += 1
    assert checked > 1000


def test_a_forced_locale_translates_python_texts_and_lazy_strings_then_the_request_language_returns(app, world):
    # The request's catalog is kept (grants/i18n.py), and given up while another locale is forced.
    from flask_babel import force_locale
    from flask_babel import gettext as _
    from flask_babel import lazy_gettext as _l

    lazy = _l("登录")
    with app.test_request_context("/", headers={"Accept-Language": "zh"}):
        assert (_("登录"), str(lazy)) == ("登录", "登录")
        with force_locale("en"):
            assert (_("登录"), str(lazy)) == ("Sign in", "Sign in")
        assert (_("登录"), str(lazy)) == ("登录", "登录")


def test_the_menu_follows_each_role_in_both_languages(client, login_as, world):
    login_as(world.organizer_a)
    chinese = client.get("/").get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "大赛届次" in chinese and "星级评定" in chinese and "评审任务" not in chinese
    assert 'href="/admin/editions/"' in english and "大赛届次" not in english.split("<main", 1)[0]
    login_as(world.judge_a)
    judge = client.get("/").get_data(as_text=True).split("<main", 1)[0]
    assert "评审任务" in judge and "大赛届次" not in judge and "星级评定" not in judge


def _menu(body: str) -> str:
    return body.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]


def test_each_menu_is_rendered_once_per_worker_and_marks_the_page_it_is_on(app, client, login_as, world):
    login_as(world.judge_a)
    queue = _menu(client.get("/review/queue").get_data(as_text=True))
    assert queue.count('aria-current="page"') == 1
    assert '<a href="/review/queue" aria-current="page">评审任务</a>' in queue
    home = _menu(client.get("/").get_data(as_text=True))
    assert '<a href="/" aria-current="page">' in home and 'href="/review/queue">评审任务' in home
    kept = dict(app.extensions["nav_menus"])
    assert len(kept) == 2  # the judge's menu on the queue and on the home page
    account = _menu(client.get("/account").get_data(as_text=True))  # a page off the menu: none marked
    assert 'aria-current="page"' not in account
    client.get("/review/queue")
    client.get("/")
    menus = app.extensions["nav_menus"]
    assert len(menus) == 3  # the account page's added one; the queue's and the home page's were reused
    assert all(menus[key] is menu for key, menu in kept.items())
