"""Judges see what they score: the whole proposal beside the sheet, its attachments and the
申报书 PDF through the permission-checked routes, a running total (issue 12, item 2)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import select

from grants.auth.models import Role
from grants.editions import service as edition_service
from grants.editions.states import edition_machine
from grants.judging import eligibility, sheets
from grants.judging.models import Assignment, ConflictOfInterest
from grants.proposals import attachments, budget
from grants.proposals import service as ps
from tests.judging.helpers import all_items, end_submission


def _proposal_with_photo(session, make, edition, applicant, community_id, n_lines=2):
    categories = ps.ensure_budget_categories(session, edition)
    lines = [budget.Line(i + 1, categories[0].id, f"花盆{i + 1}号", 1_000, 2) for i in range(n_lines)]
    proposal = make.proposal(edition, applicant, community_id=community_id, lines=lines)
    photo = io.BytesIO()
    Image.new("RGB", (4, 4), "green").save(photo, "PNG")
    item = attachments.add_attachment(
        session,
        actor=applicant,
        proposal=proposal,
        upload=attachments.Upload("场地照片.png", photo.getvalue(), 10**7),
        upload_dir=Path(current_app.config["UPLOAD_DIR"]),
        max_count=10,
    )
    ps.submit_proposal(session, actor=applicant, proposal=proposal)
    session.commit()
    return proposal, item


@pytest.fixture
def judged(world, session, make):
    """Two proposals with a photo (2 and 12 budget lines) in round 2 (k=3 of 4 judges), round still
    pending: (round, the first proposal, its photo)."""
    edition = world.edition_a
    edition_machine.transition(session, edition, "open", actor=None)
    session.commit()
    proposal, photo = _proposal_with_photo(session, make, edition, world.resident, world.community_a.id)
    long, _ = _proposal_with_photo(session, make, edition, make.user("long_applicant"), world.community_a2.id, 12)
    for i in range(3):
        make.user(f"judge_r{i}", roles=[(Role.JUDGE, edition)])
    first, second = edition_service.rounds_of(session, edition.id)[:2]
    eligibility.open_round(session, actor=None, rnd=first)
    for each in (proposal, long):
        eligibility.decide(
            session,
            actor=world.organizer_a,
            rnd=first,
            proposal=each,
            outcome="pass",
            reason=None,
            checked=all_items(first),
        )
    end_submission(session, edition)
    eligibility.close_round(session, actor=world.organizer_a, rnd=first)
    sheets.assign_round(session, actor=world.organizer_a, rnd=second)
    session.commit()
    return second, proposal, photo


def _sheets(session, rnd):
    return list(session.scalars(select(Assignment).where(Assignment.round_id == rnd.id)).unique())


def _open(session, world, rnd):
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    session.commit()


def test_the_sheet_shows_the_whole_proposal_and_a_running_total(session, world, judged, login_as):
    rnd, proposal, photo = judged
    _open(session, world, rnd)
    # A sheet of the proposal whose photo is asserted (PostgreSQL returns the sheets in any order).
    assignment = next(a for a in _sheets(session, rnd) if a.proposal_id == proposal.id)
    page = login_as(assignment.judge).get(f"/review/assignments/{assignment.id}").get_data(as_text=True)
    assert "花盆1号" in page and "花盆2号" in page  # budget lines
    assert "志愿者" in page  # the team's roles
    assert "楼道清洁" in page  # prior experience, part of the whole proposal
    assert f"/attachments/{photo.id}" in page and "场地照片.png" in page
    assert f"/proposals/{proposal.id}/pdf" in page
    assert 'id="sheet-total"' in page and "js/sheet-total.js" in page
    assert 'href="#score"' in page and 'id="score"' in page
    assert "1390000" not in page  # judges do not get the team's mobile numbers


def test_the_running_total_starts_from_the_saved_points(session, world, judged, login_as):
    rnd, _proposal, _photo = judged
    _open(session, world, rnd)
    assignment = _sheets(session, rnd)[0]
    first, second = rnd.criteria[:2]
    client = login_as(assignment.judge)
    response = client.post(
        f"/review/assignments/{assignment.id}", data={f"c{first.id}": "12.5", f"c{second.id}": "10", "action": "save"}
    )
    assert response.status_code == 302
    page = client.get(f"/review/assignments/{assignment.id}").get_data(as_text=True)
    assert '<output id="sheet-total" aria-live="polite">22.50</output>' in page


def test_the_assigned_judge_downloads_attachments_and_the_pdf_others_are_refused(
    session, world, judged, make, login_as
):
    rnd, proposal, photo = judged
    judges_with_sheet = {a.judge_id for a in _sheets(session, rnd) if a.proposal_id == proposal.id}
    judge = next(a.judge for a in _sheets(session, rnd) if a.proposal_id == proposal.id)
    # Before the round opens its sheets do not open the proposal's files.
    assert login_as(judge).get(f"/attachments/{photo.id}").status_code == 404
    _open(session, world, rnd)
    client = login_as(judge)
    response = client.get(f"/attachments/{photo.id}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert client.get(f"/proposals/{proposal.id}/pdf").status_code == 200
    assert client.get(f"/proposals/{proposal.id}").status_code == 404  # the page stays the reviewers'

    unassigned = next(j for j in sheets.judges_of_edition(session, rnd.edition_id) if j.id not in judges_with_sheet)
    stranger = make.user("judge_other", roles=[(Role.JUDGE, world.edition_b)])
    for user in (unassigned, stranger, world.staff_b, make.user("nosy")):
        client = login_as(user)
        assert client.get(f"/attachments/{photo.id}").status_code == 404, user.display_name
        assert client.get(f"/proposals/{proposal.id}/pdf").status_code == 404, user.display_name


def test_a_conflicted_judge_is_refused_and_a_blind_round_keeps_the_pdf_back(session, world, judged, login_as):
    rnd, proposal, photo = judged
    _open(session, world, rnd)
    conflicted, other = [a.judge for a in _sheets(session, rnd) if a.proposal_id == proposal.id][:2]
    session.add(ConflictOfInterest(edition_id=rnd.edition_id, judge_id=conflicted.id, proposal_id=proposal.id))
    rnd.blind = True
    session.commit()
    assert login_as(conflicted).get(f"/attachments/{photo.id}").status_code == 404
    client = login_as(other)
    assert client.get(f"/attachments/{photo.id}").status_code == 200
    assert client.get(f"/proposals/{proposal.id}/pdf").status_code == 404  # the PDF names the applicant
    assignment = next(a for a in _sheets(session, rnd) if a.judge_id == other.id)
    page = client.get(f"/review/assignments/{assignment.id}").get_data(as_text=True)
    assert "花盆1号" in page and "场地照片.png" in page
    assert f"/proposals/{proposal.id}/pdf" not in page
    assert world.resident.display_name not in page


def test_the_sheet_page_costs_the_same_queries_for_a_long_proposal(
    session, world, make, judged, login_as, query_counter
):
    rnd, short, _photo = judged
    _open(session, world, rnd)
    counts = {}
    for assignment in _sheets(session, rnd):
        client = login_as(assignment.judge)
        url, long = f"/review/assignments/{assignment.id}", assignment.proposal_id != short.id
        client.get(url)  # warm the session cookie
        with query_counter() as statements:
            assert client.get(url).status_code == 200
        counts.setdefault(long, set()).add(len(statements))
    assert counts[True] == counts[False]
    # was 14: the judge's roles, their editions' categories and the applicant's roles came with the
    # sheet's object graph; the user and their roles now come in one query
    assert max(counts[True]) <= 10, counts
