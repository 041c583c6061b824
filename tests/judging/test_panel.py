"""Judge pool (add, remove, CSV/XLSX import, CLI), conflicts of interest, reassignment, and importing
paper score sheets — all or nothing, audited, and refused to everyone but the edition's organizer."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.auth import service as auth_service
from grants.auth.passwords import verify_password
from grants.errors import DomainError, NotAllowed
from grants.judging import panel, sheets
from grants.judging.models import Assignment, ConflictOfInterest
from grants.judging.sheets import judges_of_edition


def _csv(text: str, encoding: str = "utf-8") -> panel.Table:
    return panel.read_table(text.encode(encoding), "judges.csv")


def test_import_judges_is_all_or_nothing_and_reads_gbk_and_bom(session, world, make):
    edition = world.edition_a
    make.user("13900001111", name="已注册专家")
    bad = "登录名,姓名,社区\n13900001111,已注册专家,\nnew_expert,新专家,不存在社区\n"
    with pytest.raises(panel.ImportRejected) as caught:
        panel.import_judges(session, actor=world.organizer_a, edition=edition, table=_csv(bad))
    assert caught.value.problems == ["第3行：本区没有名为“不存在社区”的社区。"]
    session.rollback()
    assert len(judges_of_edition(session, edition.id)) == 1  # only the world's judge_a
    good = f"登录名,姓名,社区\n13900001111,已注册专家,\nnew_expert,新专家,{world.community_a.name}\n"
    for table in (_csv(good, "gbk"), _csv("\ufeff" + good)):
        session.rollback()
        imported = panel.import_judges(session, actor=world.organizer_a, edition=edition, table=table)
        assert [(i.user.display_name, i.password is not None) for i in imported] == [
            ("已注册专家", False),
            ("新专家", True),
        ]
    new = auth_service.find_user_by_login(session, "new_expert")
    assert new.community_id == world.community_a.id
    assert verify_password(new.password_hash, imported[1].password)
    duplicate = "登录名,姓名\nnew_x,甲\nnew_x,乙\n,丙\n"
    with pytest.raises(panel.ImportRejected) as caught:
        panel.import_judges(session, actor=world.organizer_a, edition=edition, table=_csv(duplicate))
    assert len(caught.value.problems) == 2
    with pytest.raises(DomainError, match="表头"):
        panel.import_judges(session, actor=world.organizer_a, edition=edition, table=_csv("名字\n甲\n"))
    with pytest.raises(NotAllowed):
        panel.import_judges(session, actor=world.organizer_b, edition=edition, table=_csv(good))


def test_cli_import_judges(app, session, world, tmp_path):
    path = tmp_path / "评委.csv"
    path.write_text("登录名,姓名\ncli_judge,命令行专家\n", encoding="utf-8")
    edition_id = world.edition_a.id
    session.commit()
    result = app.test_cli_runner().invoke(args=["import-judges", "--edition", str(edition_id), str(path)])
    assert result.exit_code == 0 and "one-time password" in result.output
    path.write_text("登录名,姓名\n,无名\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import-judges", "--edition", str(edition_id), str(path)])
    assert result.exit_code != 0 and "第2行" in result.output


def test_pool_page_add_remove_and_bounded_queries(client, login_as, session, world, make, query_counter):
    edition = world.edition_a
    url = f"/review/editions/{edition.id}/judges"
    login_as(world.organizer_b)
    assert client.get(url).status_code == 403
    assert client.post(url, data={"login": world.resident.username}).status_code == 403
    login_as(world.organizer_a)
    response = client.post(url, data={"action": "add", "login": "nobody_here"})
    assert response.status_code == 400 and "没有找到" in response.get_data(as_text=True)
    client.post(url, data={"action": "add", "login": world.resident.username})
    assert world.resident.id in {j.id for j in judges_of_edition(session, edition.id)}
    client.post(f"/review/editions/{edition.id}/judges/{world.resident.id}/remove")
    assert world.resident.id not in {j.id for j in judges_of_edition(session, edition.id)}

    def count(n):
        for i in range(n):
            panel.add_judge(session, actor=world.organizer_a, edition=edition, login=make.user(f"pool{n}_{i}").username)
        session.commit()
        with query_counter() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    assert count(3) == count(30)


def test_import_page_shows_one_time_passwords(client, login_as, world):
    login_as(world.organizer_a)
    data = {"action": "import", "file": (io.BytesIO("登录名,姓名\npage_judge,页面专家\n".encode()), "j.csv")}
    response = client.post(
        f"/review/editions/{world.edition_a.id}/judges", data=data, content_type="multipart/form-data"
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "初始密码" in body and "页面专家" in body


def test_judge_declares_a_conflict_and_is_never_assigned_that_proposal_again(
    client, login_as, session, world, assigned
):
    rnd, _proposals, judges = assigned
    mine = session.scalars(select(Assignment).where(Assignment.judge_id == judges[0].id)).first()
    login_as(judges[1])
    assert client.post(f"/review/assignments/{mine.id}/conflict", data={"reason": "x"}).status_code == 403
    login_as(judges[0])
    response = client.post(f"/review/assignments/{mine.id}/conflict", data={"reason": " "})
    assert response.status_code == 400
    proposal_id, mine_id = mine.proposal_id, mine.id
    client.post(f"/review/assignments/{mine_id}/conflict", data={"reason": "申报人是我的亲属"})
    assert session.scalar(select(func.count()).select_from(Assignment).where(Assignment.id == mine_id)) == 0
    assert (
        session.scalar(select(ConflictOfInterest).where(ConflictOfInterest.judge_id == judges[0].id)).reason
        == "申报人是我的亲属"
    )
    sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)  # fills the gap with another judge
    holders = session.scalars(select(Assignment.judge_id).where(Assignment.proposal_id == proposal_id)).all()
    assert judges[0].id not in holders and len(holders) == 3
    scored = session.scalars(select(Assignment).where(Assignment.judge_id == judges[0].id)).first()
    sheets.save_sheet(
        session, actor=judges[0], assignment=scored, raw_points={rnd.criteria[0].id: "5"}, comment="", submit=False
    )
    with pytest.raises(DomainError, match="联系主办方"):
        panel.declare_own_conflict(session, actor=judges[0], assignment=scored, reason="后来发现")


def test_organizer_declares_and_reassigns(client, login_as, session, world, assigned, make):
    _rnd, _proposals, judges = assigned
    edition = world.edition_a
    login_as(world.organizer_b)
    assert client.get(f"/review/editions/{edition.id}/conflicts").status_code == 403
    login_as(world.organizer_a)
    target = session.scalars(select(Assignment).where(Assignment.judge_id == judges[1].id)).first()
    target_id = target.id
    client.post(
        f"/review/editions/{edition.id}/conflicts",
        data={"judge_id": judges[1].id, "proposal_id": target.proposal_id, "reason": "同一单位"},
    )
    assert session.scalar(select(func.count()).select_from(Assignment).where(Assignment.id == target_id)) == 0
    sheet = session.scalars(select(Assignment).where(Assignment.judge_id == judges[2].id)).first()
    others = session.scalars(select(Assignment.judge_id).where(Assignment.proposal_id == sheet.proposal_id)).all()
    spare = make.user("spare_judge", roles=[])
    panel.add_judge(session, actor=world.organizer_a, edition=edition, login="spare_judge")
    session.add(
        ConflictOfInterest(edition_id=edition.id, judge_id=spare.id, proposal_id=sheet.proposal_id, reason="亲属")
    )
    session.commit()
    busy = next(j for j in others if j != judges[2].id)
    for judge_id, message in ((busy, "已经在评"), (spare.id, "利益冲突"), (judges[2].id, "另一位")):
        with pytest.raises(DomainError, match=message):
            panel.reassign(session, actor=world.organizer_a, assignment=sheet, judge_id=judge_id)
    free = make.user("free_judge")
    panel.add_judge(session, actor=world.organizer_a, edition=edition, login="free_judge")
    session.commit()
    login_as(judges[2])
    assert client.post(f"/review/assignments/{sheet.id}/reassign", data={"judge_id": free.id}).status_code == 403
    login_as(world.organizer_a)
    response = client.post(f"/review/assignments/{sheet.id}/reassign", data={"judge_id": free.id})
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    session.refresh(sheet)
    assert sheet.judge_id == free.id
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "sheet.reassign"))
    assert entry.before == {"judge_id": judges[2].id} and entry.after == {"judge_id": free.id}


def _sheet_rows(session, rnd, *, total_points: int):
    rows = []
    for a in session.scalars(select(Assignment).where(Assignment.round_id == rnd.id)).unique():
        points, left = [], total_points
        for c in rnd.criteria:
            points.append(min(left, c.max_points))
            left -= points[-1]
        rows.append([a.judge.username, a.proposal_id, *points, "现场评分"])
    return rows


def test_import_paper_sheets_all_or_nothing(client, login_as, session, world, assigned):
    rnd, _proposals, _judges = assigned
    header = ["评委", "项目编号", *[c.name for c in rnd.criteria], "评语"]
    rows = _sheet_rows(session, rnd, total_points=70)
    broken = [list(r) for r in rows]
    broken[1][2] = rnd.criteria[0].max_points + 5  # over the maximum
    broken[2][0] = "nobody"
    book = Workbook()
    book.active.append(header)
    for row in broken:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    url = f"/review/rounds/{rnd.id}/import"
    login_as(world.organizer_b)
    assert client.get(url).status_code == 403
    login_as(world.organizer_a)
    response = client.post(
        url, data={"file": (io.BytesIO(data.getvalue()), "sheets.xlsx")}, content_type="multipart/form-data"
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and "第3行" in body and "第4行" in body and "没有保存任何数据" in body
    assert session.scalar(select(func.count()).select_from(Assignment).where(Assignment.status == "submitted")) == 0
    text = "\n".join(",".join(str(v) for v in row) for row in [header, *rows])
    response = client.post(
        url, data={"file": (io.BytesIO(text.encode("gbk")), "sheets.csv")}, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    submitted = session.scalars(select(Assignment).where(Assignment.round_id == rnd.id)).all()
    assert all(a.status == "submitted" and a.entered_by_id == world.organizer_a.id for a in submitted)
    again = client.post(
        url, data={"file": (io.BytesIO(text.encode()), "sheets.csv")}, content_type="multipart/form-data"
    )
    assert again.status_code == 400 and "已提交" in again.get_data(as_text=True)


def test_judge_groups_page_sets_weighted_groups_used_by_the_ranking(client, login_as, session, world, assigned):
    from grants.judging import closing, groups

    rnd, _proposals, judges = assigned
    url = f"/review/rounds/{rnd.id}/groups"
    login_as(world.organizer_b)
    assert client.get(url).status_code == 403
    login_as(world.organizer_a)
    members = {f"judge_{j.id}": ("专家" if i < 2 else "大众") for i, j in enumerate(judges)}
    bad = client.post(
        url,
        data={
            "group_name_1": "专家",
            "group_weight_1": "70",
            "group_name_2": "大众",
            "group_weight_2": "20",
            **members,
        },
    )
    assert bad.status_code == 400 and "100%" in bad.get_data(as_text=True)
    for weight in ("²", "０", "1e2"):  # digits to str.isdigit() or float(), not a whole number 1 … 100
        odd = client.post(url, data={"group_name_1": "专家", "group_weight_1": weight, **members})
        assert odd.status_code == 400 and "权重应为1到100之间的整数" in odd.get_data(as_text=True)
    stray = client.post(url, data={"group_name_1": "专家", "group_weight_1": "100", **members})
    assert stray.status_code == 400 and "大众" in stray.get_data(as_text=True)
    ok = client.post(
        url,
        data={
            "group_name_1": "专家",
            "group_weight_1": "70",
            "group_name_2": "大众",
            "group_weight_2": "30",
            **members,
        },
    )
    assert ok.status_code == 302
    saved = {g.name: (g.weight_percent, sorted(m.judge_id for m in g.members)) for g in groups.groups_of(session, rnd)}
    assert saved == {"专家": (70, sorted(j.id for j in judges[:2])), "大众": (30, sorted(j.id for j in judges[2:]))}
    group_of, weights = closing.groups_of_round(session, rnd)
    assert len(group_of) == 4 and sorted(weights.values()) == [30, 70]
    client.post(url, data={})  # no groups: everyone together again
    assert groups.groups_of(session, rnd) == []
