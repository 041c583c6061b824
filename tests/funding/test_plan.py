"""The tranche plan as edition data: default, the organizer's page, lock after signing, access."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.errors import DomainError, NotAllowed
from grants.funding import plan
from grants.funding.models import TranchePlanPart
from grants.funding.tranches import Part
from grants.timeutil import now


def _plan(session, edition) -> list[tuple[str, int, str]]:
    session.expire_all()
    return [(p.name, p.percent_bp, p.condition) for p in plan.plan_of(session, edition.id)]


def _url(edition) -> str:
    return f"/funding/editions/{edition.id}/tranche-plan"


DEFAULT = [("首期款", 6000, "on_signing"), ("尾款", 4000, "after_final_passed")]
FIFTY_FORTY_TEN = [
    Part("首期", 5000, "on_signing"),
    Part("中期款", 4000, "after_midterm_passed"),
    Part("尾款", 1000, "after_final_passed"),
]


def test_a_new_edition_gets_the_default_sixty_forty_plan(session, world):
    assert _plan(session, world.edition_a) == DEFAULT
    assert _plan(session, world.edition_b) == DEFAULT


def test_the_organizer_replaces_the_plan_and_it_is_audited(session, world):
    plan.replace_plan(session, actor=world.organizer_a, edition=world.edition_a, parts=FIFTY_FORTY_TEN)
    session.commit()
    assert _plan(session, world.edition_a) == [
        ("首期", 5000, "on_signing"),
        ("中期款", 4000, "after_midterm_passed"),
        ("尾款", 1000, "after_final_passed"),
    ]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "tranche_plan.update")).one()
    assert entry.actor_id == world.organizer_a.id and entry.object_id == world.edition_a.id
    assert [p["percent_bp"] for p in entry.before["parts"]] == [6000, 4000]
    assert [p["percent_bp"] for p in entry.after["parts"]] == [5000, 4000, 1000]
    assert _plan(session, world.edition_b) == DEFAULT


def test_saving_the_same_plan_writes_no_audit_entry(session, world):
    plan.replace_plan(session, actor=world.organizer_a, edition=world.edition_a, parts=[Part(*p) for p in DEFAULT])
    session.commit()
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "tranche_plan.update")) == 0


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([Part("首期", 6000, "on_signing"), Part("尾款", 3000, "after_final_passed")], "现在是90%"),
        ([], "至少要有一期"),
        ([Part("尾款", 4000, "after_final_passed"), Part("首期", 6000, "on_signing")], "第2期：拨付条件不能早于前一期"),
        ([Part("首期", 5000, "on_signing"), Part("首期", 5000, "after_final_passed")], "第2期：名称与前面的一期重复"),
        ([Part("", 10000, "on_signing")], "第1期：请填写名称"),
        ([Part("首期", 10000, "whenever")], "第1期：请从列表中选择拨付条件"),
    ],
)
def test_a_plan_that_breaks_a_rule_is_refused_and_changes_nothing(session, world, parts, message):
    with pytest.raises(DomainError) as caught:
        plan.replace_plan(session, actor=world.organizer_a, edition=world.edition_a, parts=parts)
    assert message in str(caught.value)
    session.rollback()
    assert _plan(session, world.edition_a) == DEFAULT


def test_another_districts_organizer_may_not_replace_the_plan(session, world):
    with pytest.raises(NotAllowed):
        plan.replace_plan(session, actor=world.organizer_b, edition=world.edition_a, parts=FIFTY_FORTY_TEN)
    session.rollback()
    assert _plan(session, world.edition_a) == DEFAULT


def test_the_plan_stays_editable_while_grants_are_unsigned_and_locks_at_the_first_signature(session, world, make_grant):
    grant = make_grant(world.edition_a, community=world.community_a)
    assert not plan.locked(session, world.edition_a.id)
    plan.replace_plan(session, actor=world.organizer_a, edition=world.edition_a, parts=FIFTY_FORTY_TEN)
    session.commit()
    grant.signed_at = now()
    session.commit()
    assert plan.locked(session, world.edition_a.id)
    with pytest.raises(DomainError, match="已有资助协议签订"):
        plan.replace_plan(session, actor=world.organizer_a, edition=world.edition_a, parts=[Part(*p) for p in DEFAULT])
    session.rollback()
    assert [bp for _n, bp, _c in _plan(session, world.edition_a)] == [5000, 4000, 1000]
    assert not plan.locked(session, world.edition_b.id)


# --- the page ---------------------------------------------------------------------------------


def _form(*rows: tuple[str, str, str, str], remove: tuple[int, ...] = ()) -> dict[str, str]:
    data: dict[str, str] = {}
    for i, (order, name, percent, condition) in enumerate(rows):
        data.update(
            {
                f"parts-{i}-order": order,
                f"parts-{i}-name": name,
                f"parts-{i}-percent": percent,
                f"parts-{i}-condition": condition,
            }
        )
    for i in remove:
        data[f"parts-{i}-remove"] = "1"
    return data


def test_the_page_shows_the_plan_with_example_amounts(client, login_as, world):
    login_as(world.organizer_a)
    body = client.get(_url(world.edition_a)).get_data(as_text=True)
    # The cap is ¥5,000.00: 60 % and 40 %.
    assert "首期款" in body and "签订资助协议后" in body and "结项评估通过后" in body
    assert "¥3,000.00" in body and "¥2,000.00" in body and "保存拨付计划" in body
    assert "拨付计划" in client.get(f"/admin/editions/{world.edition_a.id}").get_data(as_text=True)


def test_the_organizer_adds_removes_and_reorders_parts_on_the_page(client, login_as, session, world):
    login_as(world.organizer_a)
    data = _form(
        ("3", "首期款", "60", "on_signing"),  # removed below
        ("2", "尾款", "33.34", "after_final_passed"),
        ("1", "首期", "33.33", "on_signing"),
        ("", "中期款", "33.33", "after_midterm_passed"),
        remove=(0,),
    )
    # Order 1, 2, then the unnumbered row keeps its place (4): 首期, 尾款, 中期款 breaks the condition order.
    response = client.post(_url(world.edition_a), data=data)
    assert response.status_code == 400
    assert "拨付条件不能早于前一期" in response.get_data(as_text=True)
    assert _plan(session, world.edition_a) == DEFAULT
    data["parts-3-order"] = "2"
    data["parts-1-order"] = "3"
    response = client.post(_url(world.edition_a), data=data)
    assert response.status_code == 302
    assert _plan(session, world.edition_a) == [
        ("首期", 3333, "on_signing"),
        ("中期款", 3333, "after_midterm_passed"),
        ("尾款", 3334, "after_final_passed"),
    ]
    assert "拨付计划已保存" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ((("1", "首期", "六十", "on_signing"),), "第1行：比例请填写"),
        ((("1", "首期", "33.333", "on_signing"),), "第1行：比例请填写"),
        ((("1", "首期", "-10", "on_signing"),), "第1行：比例请填写"),
        ((("x", "首期", "100", "on_signing"),), "第1行：顺序请填写整数"),
        ((("1", "首期", "60", "on_signing"), ("2", "尾款", "30", "after_final_passed")), "现在是90%"),
        ((("1", "", "100", "on_signing"),), "第1期：请填写名称"),
        ((("1", "首期", "100", "<script>"),), "请从列表中选择拨付条件"),
        ((), "至少要有一期"),
    ],
)
def test_bad_input_on_the_page_gets_a_message_and_changes_nothing(client, login_as, session, world, rows, message):
    login_as(world.organizer_a)
    response = client.post(_url(world.edition_a), data=_form(*rows))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert message in body and "<script>" not in body.split("<main", 1)[-1].replace("&lt;script&gt;", "")
    assert _plan(session, world.edition_a) == DEFAULT


def test_the_page_is_in_english_for_english_readers(client, login_as, world):
    login_as(world.organizer_a)
    body = client.get(_url(world.edition_a), headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Tranche plan" in body and "after the agreement is signed" in body


def test_a_post_without_the_csrf_token_is_refused(client, login_as, session, world):
    login_as(world.organizer_a)
    response = client.post(_url(world.edition_a), data=_form(("1", "全部", "100", "on_signing")), csrf=False)
    assert response.status_code == 400
    assert _plan(session, world.edition_a) == DEFAULT


def test_after_signing_the_page_shows_the_plan_without_the_form(client, login_as, session, world, make_grant):
    grant = make_grant(world.edition_a, community=world.community_a)
    grant.signed_at = now()
    session.commit()
    login_as(world.organizer_a)
    body = client.get(_url(world.edition_a)).get_data(as_text=True)
    assert "不能再修改" in body and "保存拨付计划" not in body
    response = client.post(_url(world.edition_a), data=_form(("1", "全部", "100", "on_signing")))
    assert response.status_code == 400 and "已有资助协议签订" in response.get_data(as_text=True)
    assert _plan(session, world.edition_a) == DEFAULT


@pytest.mark.parametrize(
    "who", ["organizer_b", "staff_a", "street_staff_a", "judge_a", "finance_a", "resident", "anonymous"]
)
def test_only_the_districts_organizer_may_see_or_change_the_plan(app, session, world, who):
    before = _plan(session, world.edition_a)
    for method in ("GET", "POST"):
        client = app.test_client()
        if who != "anonymous":
            with client.session_transaction() as sess:
                sess["_user_id"] = getattr(world, who).get_id()
        url = _url(world.edition_a)
        response = (
            client.get(url) if method == "GET" else client.post(url, data=_form(("1", "全部", "100", "on_signing")))
        )
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code == 403, (method, response.status_code)
    assert _plan(session, world.edition_a) == before
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "tranche_plan.update")) == 0


def test_an_unknown_edition_is_not_found(client, login_as, world):
    login_as(world.organizer_a)
    assert client.get("/funding/editions/999999/tranche-plan").status_code == 404


def test_the_page_issues_the_same_queries_for_two_and_ten_parts(client, login_as, session, world, query_counter):
    login_as(world.organizer_a)
    client.get(_url(world.edition_a))  # warm up (session, user)
    with query_counter() as two:
        assert client.get(_url(world.edition_a)).status_code == 200
    parts = [Part(f"第{i}期", 1000, "on_signing") for i in range(1, 11)]
    plan.replace_plan(session, actor=world.organizer_a, edition=world.edition_a, parts=parts)
    session.commit()
    with query_counter() as ten:
        body = client.get(_url(world.edition_a)).get_data(as_text=True)
    assert "第10期" in body
    assert len(ten) == len(two) <= 12
    assert (
        session.scalar(select(func.count(TranchePlanPart.id)).where(TranchePlanPart.edition_id == world.edition_a.id))
        == 10
    )
