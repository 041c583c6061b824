"""Organisation hierarchy: service rules, CSV import, pages, and who may use them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.auth.models import Role
from grants.errors import Conflict, DomainError, NotAllowed
from grants.org import csvimport, service
from grants.org.models import Community, District, Street


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


# --- service -------------------------------------------------------------------------------------


def test_street_and_community_names_are_unique_in_their_parent(session, world):
    with pytest.raises(Conflict):
        service.create_street(session, actor=world.organizer_a, district=world.district_a, name="甲街道")
    with pytest.raises(Conflict):
        service.create_community(session, actor=world.organizer_a, street=world.street_a, name="甲一社区")
    # The same name is fine in another district.
    service.create_street(session, actor=world.organizer_b, district=world.district_b, name="甲街道")


@pytest.mark.parametrize("name", ["", "   ", "x" * 61])
def test_empty_or_long_names_are_refused(session, world, name):
    with pytest.raises(DomainError):
        service.create_street(session, actor=world.organizer_a, district=world.district_a, name=name)


def test_organizer_of_another_district_cannot_change_anything(session, world):
    with pytest.raises(NotAllowed):
        service.create_street(session, actor=world.organizer_b, district=world.district_a, name="新街道")
    with pytest.raises(NotAllowed):
        service.rename_street(session, actor=world.organizer_b, street=world.street_a, name="改名")
    with pytest.raises(NotAllowed):
        service.delete_community(session, actor=world.organizer_b, community=world.community_a2)
    with pytest.raises(NotAllowed):
        service.update_community(
            session, actor=world.organizer_b, community=world.community_b, name="x", street=world.street_a
        )


def test_community_moves_only_within_its_district(session, world):
    other = service.create_street(session, actor=world.organizer_a, district=world.district_a, name="甲二街道")
    service.update_community(
        session, actor=world.organizer_a, community=world.community_a2, name="甲二社区", street=other
    )
    assert world.community_a2.street_id == other.id
    with pytest.raises(NotAllowed):
        service.update_community(
            session, actor=world.organizer_a, community=world.community_a2, name="甲二社区", street=world.street_b
        )


def test_delete_is_refused_while_something_refers_to_it(session, world):
    with pytest.raises(Conflict, match="还有2个社区"):
        service.delete_street(session, actor=world.organizer_a, street=world.street_a)
    with pytest.raises(Conflict, match="居民"):
        service.delete_community(session, actor=world.organizer_a, community=world.community_a)  # staff_a lives there
    service.delete_community(session, actor=world.organizer_a, community=world.community_a2)
    assert session.get(Community, world.community_a2.id) is None
    assert _count(session, AuditEntry, AuditEntry.action == "community.delete") == 1


def test_changes_are_audited_with_the_district(session, world):
    service.rename_street(session, actor=world.organizer_a, street=world.street_a, name="甲新街道")
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "street.update"))
    assert entry.district_id == world.district_a.id
    assert entry.before == {"name": "甲街道"} and entry.after == {"name": "甲新街道"}


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_in_utf8_with_bom_and_in_gbk_with_english_headers():
    utf8 = "\ufeff街道,社区\n东湖街道,桂花社区\n".encode()
    gbk = "district,street,community\n东湖区,西岭街道,枫林社区\n".encode("gbk")
    assert csvimport.parse(utf8).rows[0].community == "桂花社区"
    row = csvimport.parse(gbk).rows[0]
    assert (row.district, row.street, row.community) == ("东湖区", "西岭街道", "枫林社区")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        ("街道,社区\n".encode(), "empty"),
        ("名称,地址\n东湖,1号\n".encode(), "header"),
        ("街道,社区\n,桂花社区\n".encode(), "no_street"),
        ("街道,社区\n东湖街道,\n".encode(), "no_community"),
        (("街道,社区\n东湖街道," + "长" * 61 + "\n").encode(), "too_long"),
        ("街道,社区\n东湖街道,桂花社区\n东湖街道,桂花社区\n".encode(), "duplicate"),
        (b"\xff\xfe\x00\x00garbage\x00", "encoding"),
    ],
)
def test_csv_errors_are_reported_with_their_kind(data, code):
    assert code in [e[1] for e in csvimport.parse(data).errors]


def test_csv_row_limit():
    data = ("街道,社区\n" + "".join(f"街道,社区{i}\n" for i in range(csvimport.MAX_ROWS + 1))).encode()
    assert "too_many" in [e[1] for e in csvimport.parse(data).errors]


def test_import_is_all_or_nothing_and_idempotent(session, world):
    bad = "街道,社区\n甲街道,甲三社区\n,没有街道\n".encode()
    with pytest.raises(service.ImportRowsError) as err:
        service.import_orgs(session, actor=world.organizer_a, data=bad, district=world.district_a)
    assert err.value.messages == ["第3行：缺少街道名称。"]
    session.rollback()
    assert _count(session, Community, Community.name == "甲三社区") == 0

    good = "街道,社区\n甲街道,甲三社区\n新街道,新一社区\n甲街道,甲一社区\n".encode()
    report = service.import_orgs(session, actor=world.organizer_a, data=good, district=world.district_a)
    assert (report.streets_created, report.communities_created, report.already_present) == (1, 2, 1)
    again = service.import_orgs(session, actor=world.organizer_a, data=good, district=world.district_a)
    assert (again.streets_created, again.communities_created, again.already_present) == (0, 0, 3)


def test_import_refuses_rows_of_another_district(session, world):
    data = "区,街道,社区\n乙区,乙街道,乙二社区\n".encode()
    with pytest.raises(service.ImportRowsError, match="不一致"):
        service.import_orgs(session, actor=world.organizer_a, data=data, district=world.district_a)


def test_import_orgs_command(app, session, world, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_bytes("区,街道,社区\n甲区,甲街道,甲九社区\n丙区,丙街道,丙一社区\n".encode("gbk"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-orgs", str(path)])
    assert result.exit_code == 1 and "丙区" in result.output
    result = runner.invoke(args=["import-orgs", str(path), "--create-districts"])
    assert result.exit_code == 0, result.output
    assert "communities created: 2" in result.output
    session.commit()
    assert _count(session, Street, Street.name == "丙街道") == 1


# --- pages ---------------------------------------------------------------------------------------


def test_organizer_adds_renames_and_deletes_through_the_pages(client, login_as, world, session):
    login_as(world.organizer_a)
    page = client.get("/admin/org/").get_data(as_text=True)
    assert "甲一社区" in page and "乙一社区" not in page
    response = client.post(f"/admin/org/districts/{world.district_a.id}/streets/new", data={"name": "新街道"})
    assert response.status_code == 302
    street = session.scalar(select(Street).where(Street.name == "新街道"))
    response = client.post(
        f"/admin/org/streets/{street.id}/communities/new", data={"name": "新社区", "street_id": street.id}
    )
    assert response.status_code == 302
    response = client.post(
        f"/admin/org/streets/{street.id}/communities/new", data={"name": "新社区", "street_id": street.id}
    )
    assert response.status_code == 400 and "已经存在" in response.get_data(as_text=True)
    response = client.post(f"/admin/org/streets/{street.id}/delete", follow_redirects=True)
    assert "还有1个社区" in response.get_data(as_text=True)
    response = client.post(
        f"/admin/org/districts/{world.district_a.id}/edit",
        data={"office_name": "甲区民政局", "activity_log_days": "30", "daily_hours_cap": "8"},
    )
    assert response.status_code == 302
    session.refresh(world.district_a)
    assert world.district_a.office_name == "甲区民政局"


def test_community_form_refuses_a_street_of_another_district(client, login_as, world, session):
    login_as(world.organizer_a)
    response = client.post(
        f"/admin/org/communities/{world.community_a2.id}/edit",
        data={"name": "甲二社区", "street_id": world.street_b.id},
    )
    assert response.status_code == 400
    session.refresh(world.community_a2)
    assert world.community_a2.street_id == world.street_a.id


def test_import_page_lists_every_bad_row_and_imports_nothing(client, login_as, world, session):
    login_as(world.organizer_a)
    data = "街道,社区\n,甲五社区\n甲街道,\n".encode()
    from io import BytesIO

    response = client.post(
        f"/admin/org/districts/{world.district_a.id}/import",
        data={"file": (BytesIO(data), "orgs.csv")},
        content_type="multipart/form-data",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "第2行" in body and "第3行" in body
    response = client.post(
        f"/admin/org/districts/{world.district_a.id}/import",
        data={"file": (BytesIO("街道,社区\n甲街道,甲五社区\n".encode()), "orgs.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert _count(session, Community, Community.name == "甲五社区") == 1


def test_sample_csv_opens_in_excel(client, login_as, world):
    login_as(world.organizer_a)
    response = client.get("/admin/org/import-sample.csv")
    assert response.data.startswith(b"\xef\xbb\xbf") and "街道,社区" in response.get_data(as_text=True)


def test_org_page_issues_the_same_number_of_queries_for_3_and_60_communities(
    client, login_as, make, session, query_counter
):
    district = make.district("计数区")
    organizer = make.user("org_count", roles=[(Role.ORGANIZER, district)])
    street = make.street(district, "计数街道")
    for i in range(3):
        make.community(street, f"社区{i}")
    session.commit()
    login_as(organizer)
    with query_counter() as few:
        assert client.get("/admin/org/").status_code == 200
    for i in range(3, 60):
        make.community(street, f"社区{i}")
    session.commit()
    with query_counter() as many:
        assert client.get("/admin/org/").status_code == 200
    assert len(few) == len(many)


# --- who may do what -----------------------------------------------------------------------------

ROUTES = [
    ("GET", "/admin/org/", {}),
    ("GET", "/admin/org/districts/{district}/edit", {}),
    (
        "POST",
        "/admin/org/districts/{district}/edit",
        {"office_name": "改", "activity_log_days": "30", "daily_hours_cap": "8"},
    ),
    ("GET", "/admin/org/districts/{district}/streets/new", {}),
    ("POST", "/admin/org/districts/{district}/streets/new", {"name": "入侵街道"}),
    ("GET", "/admin/org/streets/{street}/edit", {}),
    ("POST", "/admin/org/streets/{street}/edit", {"name": "入侵"}),
    ("POST", "/admin/org/streets/{street}/delete", {}),
    ("GET", "/admin/org/streets/{street}/communities/new", {}),
    ("POST", "/admin/org/streets/{street}/communities/new", {"name": "入侵社区", "street_id": "{street}"}),
    ("GET", "/admin/org/communities/{community}/edit", {}),
    ("POST", "/admin/org/communities/{community}/edit", {"name": "入侵", "street_id": "{street}"}),
    ("POST", "/admin/org/communities/{community}/delete", {}),
    ("GET", "/admin/org/districts/{district}/import", {}),
    ("GET", "/admin/org/import-sample.csv", {}),
]


def _fill(text: str, world) -> str:
    return text.format(district=world.district_a.id, street=world.street_a.id, community=world.community_a2.id)


def _snapshot(session):
    session.commit()
    return (
        sorted((s.id, s.name) for s in session.scalars(select(Street))),
        sorted((c.id, c.name, c.street_id) for c in session.scalars(select(Community))),
        sorted((d.id, d.office_name) for d in session.scalars(select(District))),
    )


@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
@pytest.mark.parametrize(
    "who", ["organizer_b", "staff_a", "street_staff_a", "judge_a", "finance_a", "resident", "anonymous"]
)
def test_only_the_districts_organizer_may_use_its_org_pages(client, login_as, world, session, method, url, data, who):
    if who != "anonymous":
        login_as(getattr(world, who))
    before = _snapshot(session)
    url = _fill(url, world)
    data = {k: _fill(v, world) for k, v in data.items()}
    response = client.get(url) if method == "GET" else client.post(url, data=data)
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif who == "organizer_b" and url == "/admin/org/":
        assert response.status_code == 200 and "甲街道" not in response.get_data(as_text=True)
    elif who == "organizer_b" and url.endswith("sample.csv"):
        assert response.status_code == 200
    else:
        assert response.status_code == 403
    assert _snapshot(session) == before


def test_post_without_csrf_is_refused(client, login_as, world, session):
    login_as(world.organizer_a)
    response = client.post(
        f"/admin/org/districts/{world.district_a.id}/streets/new", data={"name": "x街道"}, csrf=False
    )
    assert response.status_code == 400
    assert _count(session, Street, Street.name == "x街道") == 0


def test_the_organizer_sets_the_groups_activity_rules_and_they_are_audited(client, login_as, world, session):
    login_as(world.organizer_a)
    url = f"/admin/org/districts/{world.district_a.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="30"' in page and 'value="8"' in page  # the defaults: 30 days, 8 hours
    response = client.post(url, data={"office_name": "", "activity_log_days": "45", "daily_hours_cap": "7.5"})
    assert response.status_code == 302
    session.refresh(world.district_a)
    assert (world.district_a.activity_log_days, world.district_a.daily_hours_cap_halves) == (45, 15)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "district.update")).one()
    assert entry.before == {"activity_log_days": 30, "daily_hours_cap_halves": 16}
    assert entry.after == {"activity_log_days": 45, "daily_hours_cap_halves": 15}


@pytest.mark.parametrize(
    ("days", "cap", "message"),
    [
        ("0", "8", "1"),
        ("400", "8", "365"),
        ("30", "8.3", "按半小时计"),
        ("30", "25", "按半小时计"),
        ("30", "0", "按半小时计"),
        ("30", "八", "按半小时计"),
        ("30", "nan", "按半小时计"),
    ],
)
def test_bad_activity_rules_are_refused_with_a_message_and_change_nothing(
    client, login_as, world, session, days, cap, message
):
    login_as(world.organizer_a)
    response = client.post(
        f"/admin/org/districts/{world.district_a.id}/edit",
        data={"office_name": "新名", "activity_log_days": days, "daily_hours_cap": cap},
    )
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    session.refresh(world.district_a)
    assert (world.district_a.office_name, world.district_a.activity_log_days) == ("", 30)
    assert world.district_a.daily_hours_cap_halves == 16
