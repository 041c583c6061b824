"""Editions, rounds and rubrics: rules, pages, and who may use them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.editions import service
from grants.editions.models import Criterion, Edition, Round
from grants.errors import DomainError, NotAllowed
from grants.timeutil import to_local
from tests.judging.helpers import end_submission


def _rounds(session, edition) -> list[tuple]:
    session.commit()
    return [(r.position, r.name, r.kind) for r in service.rounds_of(session, edition.id)]


def _form(**overrides) -> dict:
    data = {
        "district_id": 0,
        "number": "7",
        "name": "第七届微创投",
        "theme": "邻里守望",
        "description": "",
        "cap_yuan": "5000.50",
        "pool_yuan": "200,000",
        "min_team_size": "3",
        "one_proposal_per_applicant": "y",
        "submission_opens_at": "2026-12-01T09:00",
        "submission_closes_at": "2026-12-31T17:30",
        "categories": "环境卫生\n文化建设\n",
    }
    data.update(overrides)
    return data


# --- service -----------------------------------------------------------------------------------------


def test_new_edition_gets_the_default_three_rounds_with_rubrics(session, world):
    rounds = service.rounds_of(session, world.edition_a.id)
    assert [(r.position, r.kind, r.mode, r.aggregation) for r in rounds] == [
        (1, "eligibility", "assigned", "mean"),
        (2, "scoring", "assigned", "mean"),
        (3, "scoring", "panel", "trimmed_mean"),
    ]
    assert rounds[1].judges_per_proposal == 3 and rounds[1].max_total == 100 and rounds[2].max_total == 100
    assert all(c.max_points is None for c in rounds[0].criteria) and len(rounds[0].criteria) == 5


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"number": 0}, "number"),
        ({"name": " "}, "name"),
        ({"cap_fen": 0}, "cap_fen"),
        ({"pool_fen": 100}, "pool_fen"),
        ({"min_team_size": 0}, "min_team_size"),
        ({"categories": []}, "categories"),
        ({"categories": ["a", "a"]}, "categories"),
        ({"number": 1}, "number"),
    ],
)
def test_edition_rules_name_the_field(session, world, overrides, field):
    data = service.EditionData(number=9, name="x", cap_fen=500_000, pool_fen=1_000_000, categories=["文化建设"])
    for key, value in overrides.items():
        setattr(data, key, value)
    with pytest.raises(DomainError) as err:
        service.create_edition(session, actor=world.organizer_a, district=world.district_a, data=data)
    assert err.value.field == field


def test_only_the_districts_organizer_creates_or_edits(session, world):
    data = service.EditionData(number=9, name="x", cap_fen=500_000, pool_fen=1_000_000, categories=["c"])
    with pytest.raises(NotAllowed):
        service.create_edition(session, actor=world.organizer_b, district=world.district_a, data=data)
    with pytest.raises(NotAllowed):
        service.update_edition(session, actor=world.organizer_b, edition=world.edition_a, data=data)


def test_settings_are_locked_once_review_starts(session, world):
    edition = world.edition_a
    service.change_edition_status(session, actor=world.organizer_a, edition=edition, target="open")
    end_submission(session, edition)
    data = service.EditionData(number=1, name="改名", cap_fen=500_000, pool_fen=10_000_000, categories=["a"])
    with pytest.raises(DomainError, match="评审开始后"):
        service.update_edition(session, actor=world.organizer_a, edition=edition, data=data)


def test_the_objection_contact_stays_editable_after_review_starts(client, login_as, session, world):
    edition = world.edition_a
    service.change_edition_status(session, actor=world.organizer_a, edition=edition, target="open")
    end_submission(session, edition)
    session.commit()
    login_as(world.organizer_a)
    form = client.get(f"/admin/editions/{edition.id}/edit").get_data(as_text=True)
    assert "异议受理联系方式" in form
    data = {
        "district_id": edition.district_id,
        "number": "1",
        "name": edition.name,
        "theme": edition.theme,
        "description": edition.description,
        "cap_yuan": "5000",
        "pool_yuan": "100000",
        "min_team_size": str(edition.min_team_size),
        "one_proposal_per_applicant": "y",
        "submission_opens_at": to_local(edition.submission_opens_at).strftime("%Y-%m-%dT%H:%M"),
        "submission_closes_at": to_local(edition.submission_closes_at).strftime("%Y-%m-%dT%H:%M"),
        "categories": "\n".join(c.name for c in edition.categories),
        "objection_contact": "监督电话 0571-12345678；地址：东湖路1号302室",
    }
    assert client.post(f"/admin/editions/{edition.id}/edit", data=data).status_code == 302
    session.refresh(edition)
    assert edition.objection_contact == "监督电话 0571-12345678；地址：东湖路1号302室"
    response = client.post(f"/admin/editions/{edition.id}/edit", data={**data, "name": "改名了"})
    assert "异议受理联系方式除外" in response.get_data(as_text=True)
    session.refresh(edition)
    assert edition.name != "改名了"


def test_opening_needs_categories_and_a_window(session, world, make):
    edition = make.edition(world.district_a, number=5, submission_opens_at=None, submission_closes_at=None)
    with pytest.raises(DomainError, match="申报开始和截止时间"):
        service.change_edition_status(session, actor=world.organizer_a, edition=edition, target="open")


def test_round_update_rules(session, world):
    rnd = service.rounds_of(session, world.edition_a.id)[1]
    data = service.RoundData(name="初评", advancement="min_score", advance_min_score=Decimal("120"))
    with pytest.raises(DomainError, match="不能高于本轮满分100分"):
        service.update_round(session, actor=world.organizer_a, rnd=rnd, data=data)
    with pytest.raises(DomainError):
        service.update_round(
            session, actor=world.organizer_a, rnd=rnd, data=service.RoundData(name="初评", advancement="top_n")
        )
    with pytest.raises(DomainError):
        service.update_round(
            session, actor=world.organizer_a, rnd=rnd, data=service.RoundData(name="初评", trim_min_judges=2)
        )
    service.update_round(
        session,
        actor=world.organizer_a,
        rnd=rnd,
        data=service.RoundData(name="初评", advancement="min_score", advance_min_score=Decimal("60.5"), normalize=True),
    )
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "round.update"))
    assert entry.after["normalize"] is True and entry.district_id == world.district_a.id


def test_started_round_cannot_be_edited(session, world):
    rnd = service.rounds_of(session, world.edition_a.id)[0]
    rnd.status = "open"  # the judging lifecycle moves rounds; only the fact matters here
    with pytest.raises(DomainError, match="已经开始"):
        service.update_round(session, actor=world.organizer_a, rnd=rnd, data=service.RoundData(name="x"))
    with pytest.raises(DomainError, match="已经开始"):
        service.add_criterion(session, actor=world.organizer_a, rnd=rnd, data=service.CriterionData(name="x"))


def test_rounds_add_move_delete_keep_positions_contiguous(session, world):
    edition = world.edition_a
    added = service.add_round(session, actor=world.organizer_a, edition=edition)
    assert added.position == 4
    service.move_round(session, actor=world.organizer_a, rnd=added, offset=-1)
    assert [p for p, _n, _k in _rounds(session, edition)] == [1, 2, 3, 4]
    assert service.rounds_of(session, edition.id)[2].id == added.id
    first = service.rounds_of(session, edition.id)[0]
    service.delete_round(session, actor=world.organizer_a, rnd=first)
    assert [p for p, _n, _k in _rounds(session, edition)] == [1, 2, 3]
    for rnd in service.rounds_of(session, edition.id)[1:]:
        service.delete_round(session, actor=world.organizer_a, rnd=rnd)
    with pytest.raises(DomainError, match="至少要有一轮"):
        service.delete_round(session, actor=world.organizer_a, rnd=service.rounds_of(session, edition.id)[0])


def test_criteria_rules_and_order(session, world):
    rnd = service.rounds_of(session, world.edition_a.id)[1]
    with pytest.raises(DomainError, match="满分"):
        service.add_criterion(session, actor=world.organizer_a, rnd=rnd, data=service.CriterionData(name="创新"))
    added = service.add_criterion(
        session, actor=world.organizer_a, rnd=rnd, data=service.CriterionData(name="创新", max_points=10)
    )
    assert rnd.max_total == 110
    service.move_criterion(session, actor=world.organizer_a, criterion=added, offset=-1)
    assert [c.name for c in rnd.criteria][-2:] == ["创新", "居民参与度"]
    service.delete_criterion(session, actor=world.organizer_a, criterion=rnd.criteria[0])
    assert [c.position for c in rnd.criteria] == list(range(1, len(rnd.criteria) + 1))


# --- pages -----------------------------------------------------------------------------------------


def test_create_edition_through_the_form_stores_exact_fen(client, login_as, world, session):
    login_as(world.organizer_a)
    response = client.post("/admin/editions/new", data=_form(district_id=world.district_a.id))
    assert response.status_code == 302
    edition = session.scalar(select(Edition).where(Edition.number == 7))
    assert edition.cap_fen == 500_050 and edition.pool_fen == 20_000_000
    assert edition.submission_opens_at.isoformat() == "2026-12-01T01:00:00+00:00"  # 09:00 Beijing time
    assert [c.name for c in edition.categories] == ["环境卫生", "文化建设"]


@pytest.mark.parametrize("amount", ["abc", "-1", "1.234", "", "1e5"])
def test_bad_amounts_get_a_field_error_and_change_nothing(client, login_as, world, session, amount):
    login_as(world.organizer_a)
    response = client.post("/admin/editions/new", data=_form(district_id=world.district_a.id, cap_yuan=amount))
    assert (response.status_code == 400 and "金额" in response.get_data(as_text=True)) or "请填写此项" in (
        response.get_data(as_text=True)
    )
    assert session.scalar(select(func.count()).select_from(Edition)) == 2


def test_organizer_cannot_create_in_another_district_through_the_form(client, login_as, world, session):
    login_as(world.organizer_a)
    response = client.post("/admin/editions/new", data=_form(district_id=world.district_b.id))
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(Edition)) == 2


def test_edit_and_status_buttons(client, login_as, world, session):
    login_as(world.organizer_a)
    edition = world.edition_a
    page = client.get(f"/admin/editions/{edition.id}").get_data(as_text=True)
    assert "开放申报" in page and "资格审查" in page
    response = client.post(f"/admin/editions/{edition.id}/edit", data=_form(number="1", name="甲区第一届（改）"))
    assert response.status_code == 302
    client.post(f"/admin/editions/{edition.id}/status", data={"target": "open"})
    session.refresh(edition)
    assert edition.status == "open" and edition.name == "甲区第一届（改）"
    response = client.post(f"/admin/editions/{edition.id}/status", data={"target": "draft"}, follow_redirects=True)
    assert "请填写原因" in response.get_data(as_text=True)
    session.refresh(edition)
    assert edition.status == "open"


def test_round_and_criterion_pages(client, login_as, world, session):
    login_as(world.organizer_a)
    rnd = service.rounds_of(session, world.edition_a.id)[1]
    response = client.post(
        f"/admin/editions/rounds/{rnd.id}/edit",
        data={
            "name": "初评（线上）",
            "kind": "scoring",
            "mode": "assigned",
            "judges_per_proposal": "4",
            "aggregation": "mean",
            "trim_min_judges": "5",
            "advancement": "top_n",
            "advance_top_n": "25",
            "advance_min_score": "",
            "weight_percent": "30",
        },
    )
    assert response.status_code == 302
    session.refresh(rnd)
    assert (rnd.name, rnd.judges_per_proposal, rnd.advance_top_n, rnd.weight_percent) == ("初评（线上）", 4, 25, 30)
    response = client.post(f"/admin/editions/rounds/{rnd.id}/criteria/new", data={"name": "创新", "max_points": "0"})
    assert response.status_code == 400
    response = client.post(f"/admin/editions/rounds/{rnd.id}/criteria/new", data={"name": "创新", "max_points": "10"})
    assert response.status_code == 302
    criterion = session.scalar(select(Criterion).where(Criterion.name == "创新"))
    criterion_id = criterion.id
    assert (
        client.post(
            f"/admin/editions/criteria/{criterion_id}/edit",
            data={"name": "创新性", "max_points": "12", "description": ""},
        ).status_code
        == 302
    )
    assert client.post(f"/admin/editions/criteria/{criterion_id}/move", data={"direction": "up"}).status_code == 302
    assert client.post(f"/admin/editions/criteria/{criterion_id}/delete").status_code == 302
    assert session.get(Criterion, criterion_id) is None
    assert client.post(f"/admin/editions/{world.edition_a.id}/rounds/new").status_code == 302
    assert len(_rounds(session, world.edition_a)) == 4


def test_editions_list_query_count_does_not_grow(client, login_as, world, make, session, query_counter):
    login_as(world.organizer_a)
    with query_counter() as few:
        client.get("/admin/editions/")
    for n in range(2, 30):
        make.edition(world.district_a, number=n)
    with query_counter() as many:
        body = client.get("/admin/editions/").get_data(as_text=True)
    assert "第29届" in body
    assert len(few) == len(many)


# --- who may do what -----------------------------------------------------------------------------


def _routes(world, session):
    rnd = service.rounds_of(session, world.edition_a.id)[1]
    crit = rnd.criteria[0]
    e = world.edition_a.id
    return [
        ("GET", f"/admin/editions/{e}", {}),
        ("GET", f"/admin/editions/{e}/edit", {}),
        ("POST", f"/admin/editions/{e}/edit", _form(number="1", name="入侵")),
        ("POST", f"/admin/editions/{e}/status", {"target": "open"}),
        ("POST", f"/admin/editions/{e}/rounds/new", {}),
        ("GET", f"/admin/editions/rounds/{rnd.id}/edit", {}),
        (
            "POST",
            f"/admin/editions/rounds/{rnd.id}/edit",
            {
                "name": "入侵",
                "kind": "scoring",
                "mode": "panel",
                "judges_per_proposal": "1",
                "aggregation": "mean",
                "trim_min_judges": "5",
                "advancement": "all",
                "weight_percent": "0",
            },
        ),
        ("POST", f"/admin/editions/rounds/{rnd.id}/delete", {}),
        ("POST", f"/admin/editions/rounds/{rnd.id}/move", {"direction": "up"}),
        ("POST", f"/admin/editions/rounds/{rnd.id}/criteria/new", {"name": "入侵", "max_points": "5"}),
        ("GET", f"/admin/editions/criteria/{crit.id}/edit", {}),
        ("POST", f"/admin/editions/criteria/{crit.id}/edit", {"name": "入侵", "max_points": "5"}),
        ("POST", f"/admin/editions/criteria/{crit.id}/move", {"direction": "down"}),
        ("POST", f"/admin/editions/criteria/{crit.id}/delete", {}),
    ]


def _state(session):
    session.commit()
    editions = sorted((e.id, e.name, e.status) for e in session.scalars(select(Edition)))
    rounds = sorted((r.id, r.name, r.position) for r in session.scalars(select(Round)))
    criteria = sorted((c.id, c.name, c.position) for c in session.scalars(select(Criterion)))
    return editions, rounds, criteria


@pytest.mark.parametrize(
    "who", ["organizer_b", "staff_a", "street_staff_a", "judge_a", "finance_a", "resident", "anonymous"]
)
def test_only_the_districts_organizer_may_use_the_edition_pages(app, world, session, who):
    before = _state(session)
    for method, url, data in _routes(world, session):
        client = app.test_client()
        if who != "anonymous":
            with client.session_transaction() as sess:
                sess["_user_id"] = getattr(world, who).get_id()
        response = client.get(url) if method == "GET" else client.post(url, data=data)
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
        else:
            assert response.status_code == 403, (url, response.status_code)
    assert _state(session) == before


@pytest.mark.parametrize("who", ["staff_a", "judge_a", "resident"])
def test_non_organizers_cannot_list_or_create(client, login_as, world, who):
    login_as(getattr(world, who))
    assert client.get("/admin/editions/").status_code == 403
    assert client.get("/admin/editions/new").status_code == 403


def test_organizer_b_lists_only_own_editions(client, login_as, world):
    login_as(world.organizer_b)
    body = client.get("/admin/editions/").get_data(as_text=True)
    assert "乙区第一届" in body and "甲区第一届" not in body


def test_post_without_csrf_changes_nothing(client, login_as, world, session):
    login_as(world.organizer_a)
    before = _state(session)
    assert (
        client.post(f"/admin/editions/{world.edition_a.id}/status", data={"target": "open"}, csrf=False).status_code
        == 400
    )
    assert _state(session) == before
