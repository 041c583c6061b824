"""Issue 12 item 8: the applicant's mobile is asked on the proposal (accounts may have only a user
name), checked for format, printed on the 申报书, and shown only to who may see the proposal."""

from __future__ import annotations

import pytest

from grants.editions.states import edition_machine
from grants.proposals import service as ps
from tests.proposals.test_pdf import _compact, _pdf_text
from tests.proposals.test_views import _form_data, _start


@pytest.fixture
def edition(world, session):
    edition_machine.transition(session, world.edition_a, "open", actor=None)
    session.commit()
    return world.edition_a


def test_a_user_name_account_gives_its_mobile_on_the_proposal(client, login_as, world, session, edition, tmp_path):
    assert world.resident.mobile is None  # signs in with a user name
    login_as(world.resident)
    proposal = _start(client, session, edition)
    page = client.get(f"/proposals/{proposal.id}/edit").get_data(as_text=True)
    assert 'name="applicant_mobile"' in page and "申报人手机号" in page

    data = _form_data(session, edition, action="submit", community_id=world.community_a.id, applicant_mobile="")
    response = client.post(f"/proposals/{proposal.id}/edit", data=data)
    assert response.status_code == 400 and "请填写“申报人手机号”" in response.get_data(as_text=True)
    response = client.post(f"/proposals/{proposal.id}/edit", data={**data, "applicant_mobile": "1234"})
    assert response.status_code == 400 and "申报人手机号应为11位手机号码" in response.get_data(as_text=True)
    session.refresh(proposal)
    assert proposal.status == "draft" and proposal.applicant_mobile is None

    response = client.post(f"/proposals/{proposal.id}/edit", data={**data, "applicant_mobile": "13812345678"})
    assert response.status_code == 302
    session.refresh(proposal)
    assert proposal.status == "submitted" and ps.contact_mobile(proposal) == "13812345678"
    pdf = _compact(_pdf_text(client.get(f"/proposals/{proposal.id}/pdf").get_data(), tmp_path))
    assert "13812345678" in pdf
    login_as(world.organizer_a)
    assert "13812345678" in client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    login_as(world.staff_b)  # another community's staff: not theirs to see
    response = client.get(f"/proposals/{proposal.id}")
    assert response.status_code in (403, 404) and "13812345678" not in response.get_data(as_text=True)
