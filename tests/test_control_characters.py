"""Control characters other than newline and tab are refused in every text input — every form
(one base class), values posted outside a form, and CSV/XLSX imports — with a message naming
the field, and nothing is stored."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from grants.editions.states import edition_machine
from grants.errors import DomainError
from grants.forms import BaseForm
from grants.judging import panel
from grants.judging import policy as judging_policy
from grants.judging.models import Assignment
from grants.org import service as org_service
from grants.org.models import Street
from grants.proposals.models import Proposal
from grants.results import queries
from grants.results.models import Objection
from tests.judging.conftest import assigned, final_closed, scoring  # noqa: F401  (fixtures used here)
from tests.proposals.test_views import _form_data
from tests.results.conftest import awarded, published  # noqa: F401


def _subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def test_every_form_of_the_platform_derives_from_the_base_form(app):
    forms = {f for f in _subclasses(FlaskForm) if f.__module__.startswith("grants.")}
    assert len(forms) > 15
    assert not {f.__qualname__ for f in forms if not issubclass(f, BaseForm)}


@pytest.fixture
def edition(world, session):
    edition_machine.transition(session, world.edition_a, "open", actor=None)
    session.commit()
    return world.edition_a


@pytest.mark.parametrize(
    ("field", "label"),
    [("title", "项目名称"), ("summary", "项目简介"), ("team-0-name", "姓名"), ("budget_lines-0-item", "支出项目")],
)
def test_a_proposal_field_with_a_control_character_is_refused(
    client, login_as, session, world, make, edition, field, label
):
    proposal = make.proposal(edition, world.resident, community_id=world.community_a.id)
    before = proposal.title
    login_as(world.resident)
    data = _form_data(session, edition, **{field: "楼道\x1b[31m花园"})
    response = client.post(f"/proposals/{proposal.id}/edit", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 400 and f"“{label}”含有不可见的控制字符" in body
    session.expire_all()
    assert session.get(Proposal, proposal.id).title == before


def test_newlines_and_tabs_are_text(client, login_as, session, world, make, edition):
    proposal = make.proposal(edition, world.resident, community_id=world.community_a.id)
    login_as(world.resident)
    data = _form_data(session, edition, summary="第一段\r\n第二段\t带制表符")
    assert client.post(f"/proposals/{proposal.id}/edit", data=data).status_code == 302
    session.expire_all()
    assert session.get(Proposal, proposal.id).summary.replace("\r\n", "\n") == "第一段\n第二段\t带制表符"


def test_an_org_name_with_a_control_character_is_refused(client, login_as, session, world):
    login_as(world.organizer_a)
    response = client.post(f"/admin/org/districts/{world.district_a.id}/streets/new", data={"name": "新\x07街道"})
    assert response.status_code == 400 and "含有不可见的控制字符" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Street.id)).where(Street.name.like("新%"))) == 0


def test_an_objection_with_a_control_character_is_refused(client, login_as, session, world, published):  # noqa: F811
    publication, _proposals = published
    entry = queries.entries_of(session, publication)[0]
    login_as(world.resident)
    response = client.post(f"/entries/{entry.id}/objection", data={"text": "预算明显偏高，请核实。\x1b[2J"})
    assert response.status_code == 400 and "“异议内容”含有不可见的控制字符" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Objection.id))) == 0


def test_a_judges_comment_with_a_control_character_is_refused(client, login_as, session, world, assigned):  # noqa: F811
    rnd, _proposals, _judges = assigned
    assignment = session.scalar(select(Assignment).where(Assignment.judge_id == world.judge_a.id).limit(1))
    login_as(world.judge_a)
    data = {f"c{c.id}": "1" for c in rnd.criteria} | {"comment": "很好\x1b", "action": "save"}
    response = client.post(f"/review/assignments/{assignment.id}", data=data)
    assert response.status_code == 400 and "“评语”含有不可见的控制字符" in response.get_data(as_text=True)
    session.expire_all()
    assert not session.get(Assignment, assignment.id).comment
    assert not session.get(Assignment, assignment.id).scores


def test_a_reason_posted_outside_a_form_is_refused(client, login_as, session, world, assigned):  # noqa: F811
    _rnd, _proposals, _judges = assigned
    assignment = session.scalar(select(Assignment).where(Assignment.judge_id == world.judge_a.id).limit(1))
    login_as(world.judge_a)
    response = client.post(f"/review/assignments/{assignment.id}/conflict", data={"reason": "亲属\x00关系"})
    assert response.status_code == 400
    response = client.post(f"/review/assignments/{assignment.id}/conflict", data={"reason": "亲属\x1b关系"})
    assert response.status_code == 400 and "“原因”含有不可见的控制字符" in response.get_data(as_text=True)
    assert session.get(Assignment, assignment.id) is not None and judging_policy.can_score(world.judge_a, assignment)


def test_an_org_import_with_a_control_character_names_the_line(session, world):
    data = "街道,社区\n甲街道,甲三社区\n甲街道,甲\x1b四社区\n".encode()
    with pytest.raises(org_service.ImportRowsError) as err:
        org_service.import_orgs(session, actor=world.organizer_a, data=data, district=world.district_a)
    assert err.value.messages == ["第3行：含有不可见的控制字符，请删除后重新上传。"]


def test_a_judge_import_with_a_control_character_names_the_line():
    data = "登录名,姓名\njudge_ok,专家\njudge_bad,专\x1b家\n".encode()
    with pytest.raises(DomainError, match="第3行含有不可见的控制字符"):
        panel.read_table(data, "judges.csv")
