"""Activity pages over HTTP: the leader logs from the form (photos, volunteers), bad input comes
back with a message and changes nothing, staff confirm from the community's list and only then
the group's figures change; every list costs the same number of queries for 10 and 1,000 rows."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from grants.incubation.models import Activity, VolunteerHours
from grants.timeutil import now
from tests.incubation.activity_helpers import (  # noqa: F401
    day,
    form,
    log,
    photo,
    run_photo_jobs,
    snapshot,
    team_fixture,
)


def _figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', html))


def test_the_leader_logs_an_activity_with_photos_and_volunteers(app, session, client, login_as, team):
    login_as(team.leader)
    page = client.get(f"/groups/{team.group.id}/activities/new").get_data(as_text=True)
    assert 'type="file"' in page and "multiple" in page and team.members[0].name in page
    data = form(team, photos=[(io.BytesIO(photo(gps=True)), "a.jpg"), (io.BytesIO(photo()), "b.jpg")])
    response = client.post(f"/groups/{team.group.id}/activities/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    activity = session.scalars(select(Activity)).one()
    assert response.headers["Location"].endswith(f"/groups/activities/{activity.id}")
    assert (activity.title, activity.status, activity.served) == ("周末义剪", "pending", 35)
    hours = session.execute(select(VolunteerHours.halves).order_by(VolunteerHours.id)).scalars().all()
    assert hours == [5, 4, 3]
    detail = client.get(f"/groups/activities/{activity.id}").get_data(as_text=True)
    # Stored, but not served until the job queue has re-encoded them: placeholders meanwhile.
    assert "活动已记录，等待社区核实。" in detail and detail.count("/photos/") == 0
    assert detail.count('data-photo-state="pending"') == 2 and "活动照片2正在处理" in detail
    run_photo_jobs(app, lambda: "/photos/" in client.get(f"/groups/activities/{activity.id}").get_data(as_text=True))
    detail = client.get(f"/groups/activities/{activity.id}").get_data(as_text=True)
    assert detail.count("/photos/") == 4 and "data-photo-state" not in detail  # two links, two images


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"day": (now() + timedelta(days=2)).date().isoformat()}, "不能晚于今天"),
        ({"day": day(45)}, "30天内"),
        ({"ends": "08:00"}, "结束时间应晚于开始时间"),
        ({"served": "-5"}, "受益人次"),
        ({"volunteer_hours": ["2.3", "2", "1.5", ""]}, "半小时"),
        ({"volunteer_hours": ["9", "2", "1.5", ""]}, "8小时"),
        ({"volunteer_hours": ["1e309", "2", "1.5", ""]}, "半小时"),
        ({"volunteer_hours": ["1", "", "1.5", ""]}, "第2位志愿者"),
        ({"volunteer_member": ["²", "", "", ""]}, "第1位志愿者：请选择成员"),
        ({"volunteer_member": [str(10**20), "", "", ""]}, "第1位志愿者：请选择成员"),
        ({"participants": "1" * 5000}, "参与人数"),  # past int()'s 4,300-digit limit
    ],
)
def test_bad_input_comes_back_with_a_message_and_changes_nothing(session, client, login_as, team, overrides, message):
    login_as(team.leader)
    before = snapshot(session)
    data = form(team, photos=[(io.BytesIO(photo()), "a.jpg")], **overrides)
    response = client.post(f"/groups/{team.group.id}/activities/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and 'value="周末义剪"' in body  # what was typed is kept
    assert snapshot(session) == before


def test_a_non_photo_upload_is_refused(session, client, login_as, team):
    login_as(team.leader)
    before = snapshot(session)
    data = form(team, photos=[(io.BytesIO(b"MZ\x90\x00 not an image"), "photo.jpg")])
    response = client.post(f"/groups/{team.group.id}/activities/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "photo.jpg" in response.get_data(as_text=True)
    assert snapshot(session) == before


def test_a_log_refused_in_its_transaction_leaves_no_photo_file(session, client, login_as, world, team):
    """The photos' files are written before the write transaction; a rule it refuses removes them."""
    from grants.incubation import service

    service.change_status(session, actor=world.staff_a, group=team.group, target="dissolved", reason="解散")
    session.commit()
    login_as(team.leader)
    before = snapshot(session)
    data = form(team, photos=[(io.BytesIO(photo()), "a.jpg"), (io.BytesIO(photo()), "b.jpg")])
    response = client.post(f"/groups/{team.group.id}/activities/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400 and "已注销的组织不能再记录活动" in response.get_data(as_text=True)
    assert snapshot(session) == before


def test_a_log_reads_the_signed_in_user_once(app, session, client, login_as, team):
    """The user is read when the request starts; its unit of work does not read them again."""
    from sqlalchemy import event

    from grants.db import db

    login_as(team.leader)
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_rest) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        data = form(team, photos=[(io.BytesIO(photo()), "a.jpg")])
        response = client.post(f"/groups/{team.group.id}/activities/new", data=data, content_type="multipart/form-data")
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert response.status_code == 302
    assert len([s for s in statements if "FROM users" in s]) == 1


def test_figures_change_only_when_staff_confirm(session, client, login_as, world, team):
    activity = log(session, team, served="30", volunteers=[(str(team.members[0].id), "2")])
    login_as(world.staff_a)
    group_page = client.get(f"/groups/{team.group.id}").get_data(as_text=True)
    assert _figures(group_page) == {"activities": "0", "served": "0", "hours": "0"}
    listing = client.get(f"/groups/communities/{world.community_a.id}/activities?status=pending")
    assert "楼道清洁" in listing.get_data(as_text=True)
    response = client.post(f"/groups/activities/{activity.id}/confirm", data={"next": "community"})
    assert response.status_code == 302 and "/activities?status=pending" in response.headers["Location"]
    group_page = client.get(f"/groups/{team.group.id}").get_data(as_text=True)
    assert _figures(group_page) == {"activities": "1", "served": "30", "hours": "2"}
    session.refresh(activity)
    assert activity.status == "confirmed" and activity.confirmed_by_id == world.staff_a.id


def test_a_return_without_reason_changes_nothing_and_with_one_reaches_the_leader(
    session, client, login_as, world, team
):
    activity = log(session, team)
    login_as(world.staff_a)
    before = snapshot(session)
    client.post(f"/groups/activities/{activity.id}/return", data={"reason": " "})
    assert snapshot(session) == before
    client.post(f"/groups/activities/{activity.id}/return", data={"reason": "请补充照片"})
    login_as(team.leader)
    page = client.get(f"/groups/activities/{activity.id}").get_data(as_text=True)
    assert "请补充照片" in page and f"/groups/activities/{activity.id}/edit" in page
    edit_page = client.get(f"/groups/activities/{activity.id}/edit").get_data(as_text=True)
    assert 'value="楼道清洁"' in edit_page
    response = client.post(f"/groups/activities/{activity.id}/edit", data=form(team, title="楼道清洁（补照片）"))
    assert response.status_code == 302
    session.refresh(activity)
    assert (activity.status, activity.title) == ("pending", "楼道清洁（补照片）")


def test_logging_and_editing_run_in_units_that_read_committed_data(monkeypatch, session, client, login_as, world, team):
    # The group's row lock guards the activity rules (grants.db.unit_of_work): on PostgreSQL the
    # units read committed data, so SSI never aborts them for rows inserted side by side.
    from grants.db import reads_committed
    from grants.incubation import activities as service

    seen = []

    def spying(real):
        def spy(session, *args, **kwargs):
            seen.append(reads_committed(session))
            return real(session, *args, **kwargs)

        return spy

    for name in ("log_activity", "update_activity"):
        monkeypatch.setattr(service, name, spying(getattr(service, name)))
    login_as(team.leader)
    assert client.post(f"/groups/{team.group.id}/activities/new", data=form(team)).status_code == 302
    activity = session.scalars(select(Activity)).one()
    login_as(world.staff_a)
    client.post(f"/groups/activities/{activity.id}/return", data={"reason": "请补充照片"})
    login_as(team.leader)
    assert client.post(f"/groups/activities/{activity.id}/edit", data=form(team, title="补")).status_code == 302
    assert seen == [True, True]


def test_the_leaders_page_has_the_big_button(client, login_as, team):
    login_as(team.leader)
    page = client.get("/groups/mine").get_data(as_text=True)
    assert team.group.name in page and f"/groups/{team.group.id}/activities/new" in page and "button big" in page


def _bulk(session, team, n: int) -> None:
    start = now() - timedelta(days=2)
    rows = [
        {
            "group_id": team.group.id,
            "title": f"活动{i}",
            "kind": "service",
            "starts_at": start,
            "ends_at": start + timedelta(hours=1),
            "place": "活动室",
            "description": "",
            "participants": 3,
            "served": 5,
            "status": ("pending", "confirmed", "returned")[i % 3],
            "return_reason": "",
            "confirmed_by_id": team.leader.id if i % 3 == 1 else None,
            "logged_by_id": team.leader.id,
            "logged_at": start,
        }
        for i in range(n)
    ]
    session.execute(insert(Activity), rows)
    ids = session.scalars(select(Activity.id).order_by(Activity.id.desc()).limit(n)).all()
    session.execute(
        insert(VolunteerHours), [{"activity_id": i, "member_id": team.members[0].id, "halves": 1} for i in ids]
    )
    session.commit()


@pytest.mark.parametrize(
    "url",
    ["/groups/{group}/activities", "/groups/communities/{community}/activities", "/groups/{group}", "/groups/mine"],
)
def test_lists_cost_the_same_queries_for_10_and_1000_activities(
    session, client, login_as, world, team, query_counter, url
):
    url = url.format(group=team.group.id, community=world.community_a.id)
    login_as(team.leader if url == "/groups/mine" else world.staff_a)
    counts = []
    for n in (10, 990):
        _bulk(session, team, n)
        with query_counter() as statements:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert session.scalar(select(Activity.id).order_by(Activity.id.desc()).limit(1)) == 1000


def test_long_lists_come_a_page_at_a_time_keeping_their_filters(session, client, login_as, world, team):
    """93 activities (31 of each status) make four pages of the community's list, whose waiting
    ones come first; the pager keeps the status filter; a page past the end shows the last one and a
    page number that is not one is refused with a message."""
    from grants.incubation.activity_queries import PER_PAGE

    _bulk(session, team, 93)
    login_as(world.staff_a)
    url = f"/groups/communities/{world.community_a.id}/activities"
    first = client.get(url).get_data(as_text=True)
    assert "共93次活动" in first and "第 1 / 4 页" in first
    assert first.count('class="card-title"') == PER_PAGE == 30
    assert set(re.findall(r'class="badge status-(\w+)"', first)) == {"pending"}
    assert f'href="{url}?page=2" rel="next"' in first and 'rel="prev"' not in first
    second = client.get(url + "?page=2").get_data(as_text=True)
    assert re.findall(r'class="badge status-(\w+)"', second)[0] == "pending"  # the 31st waiting one
    assert "pending" not in re.findall(r'class="badge status-(\w+)"', second)[1:]
    last = client.get(url + "?page=4").get_data(as_text=True)
    assert last.count('class="card-title"') == 3 and 'rel="next"' not in last
    assert f'href="{url}?page=3" rel="prev"' in last
    assert client.get(url + "?page=99").get_data(as_text=True).count('class="card-title"') == 3

    waiting = client.get(url + "?status=pending").get_data(as_text=True)
    assert "共31次活动" in waiting and "第 1 / 2 页" in waiting
    assert f'href="{url}?status=pending&amp;page=2" rel="next"' in waiting
    rest = client.get(url + "?status=pending&page=2").get_data(as_text=True)
    assert rest.count('class="card-title"') == 1 and set(re.findall(r'class="badge status-(\w+)"', rest)) == {"pending"}

    bad = client.get(url + "?page=0")
    assert bad.status_code == 400 and "页码应为1到" in bad.get_data(as_text=True)

    login_as(team.leader)
    own = client.get(f"/groups/{team.group.id}/activities?page=2").get_data(as_text=True)
    assert "共93次活动" in own and "第 2 / 4 页" in own and own.count('class="card-title"') == PER_PAGE
    assert f'href="/groups/{team.group.id}/activities?page=3" rel="next"' in own


def test_an_upload_cut_short_is_refused_with_a_message_and_changes_nothing(client, login_as, session, team):
    login_as(team.leader)
    token = client.csrf_token()
    body = (
        f'--b0undary\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        '--b0undary\r\nContent-Disposition: form-data; name="title"\r\n\r\n周末义剪'  # the connection broke here
    ).encode()
    response = client.post(
        f"/groups/{team.group.id}/activities/new", data=body, content_type="multipart/form-data; boundary=b0undary"
    )
    assert response.status_code == 400
    assert "请刷新页面后重新提交" in response.get_data(as_text=True)  # the form came through empty
    assert session.scalars(select(Activity)).all() == []
