"""In the next edition a group's leader applies on the group's behalf: the proposal form offers the
groups the applicant leads, refuses any other id with a message and changes nothing; the judges and
the organizer then see the group's record next to the proposal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grants.auth.models import Role
from grants.editions import service as edition_service
from grants.errors import DomainError
from grants.incubation import service
from grants.incubation.service import GroupData
from grants.judging.models import Assignment
from grants.proposals import service as proposal_service
from grants.proposals.models import Proposal
from tests.incubation.history_fixtures import add_activity, add_evaluation, add_round_results, utc
from tests.proposals.test_views import _form_data

TITLE = "樱花树下共建花园"


@pytest.fixture
def next_edition(make, world, kept):
    def build():
        return make.edition(world.district_a, number=2, name="甲区第二届")

    return kept("incubation.applying.next_edition", build)


@pytest.fixture
def led(make, world, make_group, kept):
    """A leader with their group, and another leader's group in the same community."""

    def build():
        leader = make.user("leader1", community=world.community_a)
        return leader, make_group(leader=leader, name="花友会"), make_group(name="别人的合唱团")

    return kept("incubation.applying.led", build)


def _record(page: str) -> str:
    """The group record's section of a page."""
    start = page.index("申报组织的记录")
    return page[start : page.index("</section>", start)]


def _proposal_row(session, proposal_id):
    session.expire_all()
    return session.execute(select(Proposal.title, Proposal.group_id).where(Proposal.id == proposal_id)).one()


def test_the_form_offers_the_groups_the_applicant_leads_and_saves_the_choice(
    session, client, login_as, make, next_edition, led
):
    leader, group, _other = led
    proposal = make.proposal(next_edition, leader)
    login_as(leader)
    form = client.get(f"/proposals/{proposal.id}/edit").get_data(as_text=True)
    assert "以组织名义申报" in form and "花友会" in form and "别人的合唱团" not in form
    response = client.post(
        f"/proposals/{proposal.id}/edit", data=_form_data(session, next_edition, group_id=str(group.id))
    )
    assert response.status_code == 302
    assert _proposal_row(session, proposal.id).group_id == group.id
    # and back to a personal application
    client.post(f"/proposals/{proposal.id}/edit", data=_form_data(session, next_edition, group_id="0"))
    assert _proposal_row(session, proposal.id).group_id is None


def test_an_applicant_who_leads_no_group_is_not_asked(client, login_as, make, next_edition, world):
    proposal = make.proposal(next_edition, world.resident)
    login_as(world.resident)
    assert "以组织名义申报" not in client.get(f"/proposals/{proposal.id}/edit").get_data(as_text=True)


@pytest.mark.parametrize("which", ["another group's", "dissolved", "another district's", "missing", "not a number"])
def test_a_group_the_applicant_may_not_name_is_refused_and_nothing_changes(
    session, client, login_as, make, world, next_edition, led, make_group, which
):
    leader, group, other = led
    proposal = make.proposal(next_edition, leader)
    if which == "dissolved":
        service.change_status(session, actor=world.staff_a, group=group, target="dissolved", reason="解散")
        session.commit()
    far = make_group(community=world.community_b, leader=leader, name="乙区的组织", actor=world.organizer_b, members=0)
    value = {
        "another group's": str(other.id),
        "dissolved": str(group.id),
        "another district's": str(far.id),
        "missing": "999999",
        "not a number": "abc",
    }[which]
    before = _proposal_row(session, proposal.id)
    login_as(leader)
    response = client.post(
        f"/proposals/{proposal.id}/edit", data=_form_data(session, next_edition, title="改过的名字", group_id=value)
    )
    assert response.status_code == 400
    assert "只能以您负责的、未注销的本区组织的名义申报" in response.get_data(as_text=True)
    assert _proposal_row(session, proposal.id) == before


def test_the_service_refuses_another_groups_id_whoever_calls_it(session, make, world, next_edition, led):
    leader, _group, other = led
    proposal = make.proposal(next_edition, leader)
    data = make.proposal_data(next_edition, community_id=world.community_a.id, group_id=other.id, title="新名字")
    with pytest.raises(DomainError, match="只能以您负责的"):
        proposal_service.save_draft(session, actor=leader, proposal=proposal, data=data)
    session.rollback()
    assert _proposal_row(session, proposal.id) == ("楼道微花园", None)


@pytest.fixture
def applying(session, make, world, next_edition, make_grant, sign_grant, kept):
    """A group grown from a first-edition grant, with activities, applying in the second edition."""

    def build():
        grant = make_grant(world.edition_a, approved_fen=120_000, community=world.community_a)
        grant.proposal.title = TITLE
        sign_grant(grant)
        group = service.create_group_from_grant(
            session, actor=world.staff_a, grant=grant, data=GroupData(name="花友会", kind="volunteer")
        )
        add_round_results(session, grant)
        add_evaluation(session, grant, world.organizer_a, kind="final", total=91, passed=True, at=utc(2026, 11, 30))
        add_activity(session, group, at=utc(2026, 6, 1, 2), served=40, halves=(3, 4), by=world.staff_a)
        add_activity(session, group, at=utc(2026, 7, 1, 2), status="pending", served=900, halves=(9,))
        session.commit()
        leader = group.leader
        proposal = make.proposal(
            next_edition,
            leader,
            submit=True,
            community_id=world.community_a.id,
            group_id=group.id,
            title="花友会第二年",
        )
        return group, grant, proposal

    return kept("incubation.applying.applying", build)


def test_the_organizer_sees_the_groups_record_next_to_the_proposal(client, login_as, world, applying):
    group, _grant, proposal = applying
    login_as(world.organizer_a)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    record = _record(page)
    for text in ("花友会", "志愿", "培育中", "1次", "40", "3.5小时", "以往资助", "甲区第一届", TITLE, "一等奖"):
        assert text in record, text
    assert "结项评估通过（91分）" in record
    assert "900" not in record  # a pending activity counts nowhere
    assert f'href="/groups/{group.id}"' in record


def test_a_judge_sees_the_record_on_the_sheet_without_names_in_a_blind_round(
    session, client, make, login_as, next_edition, applying
):
    group, _grant, proposal = applying
    judge = make.user("judge2", roles=[(Role.JUDGE, next_edition)])
    rnd = next(r for r in edition_service.rounds_of(session, next_edition.id) if r.position == 2)
    assignment = Assignment(round_id=rnd.id, judge_id=judge.id, proposal_id=proposal.id)
    session.add(assignment)
    session.commit()
    login_as(judge)
    page = client.get(f"/review/assignments/{assignment.id}").get_data(as_text=True)
    assert "申报组织的记录" in page and "花友会" in page and TITLE in page and "3.5小时" in page
    assert f'href="/groups/{group.id}"' not in page  # judges do not open group pages
    rnd.blind = True
    session.commit()
    blind = client.get(f"/review/assignments/{assignment.id}").get_data(as_text=True)
    record = _record(blind)
    assert "3.5小时" in record and "一等奖" in record
    assert "花友会" not in record and TITLE not in record


def test_a_personal_proposal_shows_no_group_record_and_costs_no_query(
    session, client, login_as, make, world, next_edition, query_counter
):
    proposal = make.proposal(next_edition, world.resident, submit=True, community_id=world.community_a.id)
    login_as(world.organizer_a)
    client.get(f"/proposals/{proposal.id}")
    with query_counter() as statements:
        page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "申报组织的记录" not in page
    assert not [s for s in statements if "resident_groups" in s or "group_activities" in s]
