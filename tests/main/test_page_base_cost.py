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
    assert 'href="/static/css/app.css"' in plain and 'href="/results/"' in plain
    assert 'href="/grants/static/css/app.css"' in mounted and 'href="/grants/results/"' in mounted
    again = client.get("/").get_data(as_text=True)
    assert 'href="/grants/' not in again
