"""The audit log speaks the organizer's language: labels, yuan, Beijing time, names; raw JSON one click away."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from grants import audit
from grants.auth.models import Role
from grants.editions.models import Round

DETAILS = re.compile(r"<details.*?</details>", re.S)
TAGS = re.compile(r"<[^>]+>")


def _visible_rows(body: str) -> str:
    """The table's text without the raw JSON kept in <details>."""
    table = body[body.index("<tbody>") : body.index("</tbody>")]
    return re.sub(r"\s+", " ", html.unescape(TAGS.sub(" ", DETAILS.sub(" ", table))))


def _final_round(session, world) -> Round:
    return session.scalars(select(Round).where(Round.edition_id == world.edition_a.id).order_by(Round.position)).all()[
        -1
    ]


@pytest.fixture
def entries(session, world, make):
    """One entry of each kind: a status change, a money change, a dict of amounts (new and old form),
    booleans and an empty value, a time, a role given to a named user, a system entry."""
    district = world.district_a.id
    proposal = make.proposal(world.edition_a, world.resident, title="楼道微花园")
    other = make.proposal(
        world.edition_a, make.user("resident2", name="李阿姨", community=world.community_a), title="助老食堂"
    )
    rnd = _final_round(session, world)
    rec = audit.record
    rec(
        session,
        actor=world.organizer_a,
        action="objection.dismiss",
        object_type="Objection",
        object_id=9,
        district_id=district,
        before={"status": "open"},
        after={"status": "dismissed"},
        reason="理由不成立",
    )
    rec(
        session,
        actor=world.resident,
        action="proposal.resubmit",
        obj=proposal,
        district_id=district,
        before={"requested_fen": 380000},
        after={"requested_fen": 400000},
    )
    rec(
        session,
        actor=world.organizer_a,
        action="round.approve_amounts",
        obj=rnd,
        district_id=district,
        before={"approved_fen": {proposal.id: 380000, other.id: 300000}},
        after={"approved_fen": {proposal.id: 350000, other.id: 300000}, "total_fen": 650000},
    )
    rec(
        session,
        actor=world.organizer_a,
        action="round.approve_amounts",
        obj=rnd,
        district_id=district,
        before={"approved_fen": f"{{{other.id}: 300000}}"},
        after={"approved_fen": f"{{{other.id}: 310000}}"},
    )
    rec(
        session,
        actor=world.organizer_a,
        action="round.update",
        obj=rnd,
        district_id=district,
        before={"normalize": False, "advance_top_n": None},
        after={"normalize": True, "advance_top_n": 8},
    )
    rec(
        session,
        actor=world.organizer_a,
        action="publication.window",
        object_type="Publication",
        object_id=None,
        district_id=district,
        after={"opens_at": "2026-12-03T01:30:00+00:00", "closes_at": "2026-12-10T16:00:00+00:00"},
    )
    rec(
        session,
        actor=None,
        action="role.grant",
        object_type="RoleGrant",
        object_id=None,
        district_id=district,
        after={"user_id": world.judge_a.id, "role": Role.JUDGE.value, "edition_id": world.edition_a.id},
    )
    session.commit()
    return proposal, other


def test_the_log_shows_labelled_formatted_changes_in_chinese(client, login_as, world, entries):
    _proposal, other = entries
    login_as(world.organizer_a)
    body = client.get("/admin/audit/").get_data(as_text=True)
    rows = _visible_rows(body)
    assert "状态 待答复 → 异议不成立" in rows and "理由不成立" in rows
    assert "申请金额 ¥3,800.00 → ¥4,000.00" in rows
    assert "申报项目 楼道微花园" in rows  # the object by its title
    # Only the proposal whose amount changed, by its title; the other is unchanged.
    assert "核定金额 · 楼道微花园 ¥3,800.00 → ¥3,500.00" in rows and "合计金额 ¥6,500.00" in rows
    assert f"核定金额 · {other.title} ¥3,000.00 → ¥3,100.00" in rows  # an older entry, stored as text
    assert "标准分 否 → 是" in rows and "晋级名额 （空） → 8" in rows
    assert "异议期开始 2026-12-03 09:30" in rows and "异议期结束 2026-12-11 00:00" in rows
    assert "用户 judge_a" in rows and "角色 评审专家" in rows and "大赛届次 甲区第一届" in rows and "系统" in rows
    for raw in ("open→dismissed", "dismissed", "380000", "True", "False", "None", "+00:00", "requested_fen"):
        assert raw not in rows, raw
    # The raw record stays one click away.
    assert body.count("<details") == body.count("<tr>") - 1 and "&#34;requested_fen&#34;: 380000" in body.replace(
        "&quot;", "&#34;"
    )


def test_the_log_shows_labelled_formatted_changes_in_english(client, login_as, world, entries):
    login_as(world.organizer_a)
    client.set_cookie("lang", "en")
    rows = _visible_rows(client.get("/admin/audit/").get_data(as_text=True))
    assert "Status Awaiting answer → Objection dismissed" in rows
    assert "Amount requested ¥3,800.00 → ¥4,000.00" in rows
    assert "Approved amount · 楼道微花园 ¥3,800.00 → ¥3,500.00" in rows and "Total amount ¥6,500.00" in rows
    assert "Normalised scores No → Yes" in rows and "Places that advance (empty) → 8" in rows
    assert "Objection period starts 2026-12-03 09:30" in rows
    assert "Role Judge" in rows and "System" in rows
    for raw in ("dismissed →", "380000", "True", "None", "+00:00", "、", "："):
        assert raw not in rows, raw


def test_query_count_does_not_grow_with_the_entries_shown(app, client, login_as, world, make, session, query_counter):
    app.config["PER_PAGE"] = 500  # every entry on one page
    login_as(world.organizer_a)

    def add_entries(n: int) -> None:
        """n entries naming n/2 new users and proposals, of two kinds."""
        for _i in range(n // 2):
            user = make.user(community=world.community_a)
            proposal = make.proposal(world.edition_a, user)
            audit.record(
                session,
                actor=user,
                action="proposal.submit",
                obj=proposal,
                district_id=world.district_a.id,
                before={"status": "draft"},
                after={"status": "submitted"},
            )
            audit.record(
                session,
                actor=world.organizer_a,
                action="round.approve_amounts",
                obj=_final_round(session, world),
                district_id=world.district_a.id,
                after={"approved_fen": {proposal.id: 300000}, "judges": [user.id]},
            )
        session.commit()

    def page() -> tuple[int, int]:
        with query_counter() as statements:
            body = client.get("/admin/audit/").get_data(as_text=True)
        return body.count("<details"), len(statements)

    client.get("/admin/audit/")
    add_entries(10)
    shown_10, queries_10 = page()
    add_entries(40)
    shown_40, queries_40 = page()
    assert shown_40 - shown_10 >= 40
    assert queries_40 == queries_10, (queries_10, queries_40)
