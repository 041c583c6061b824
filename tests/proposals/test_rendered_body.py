"""A submitted version's body is rendered once and kept per version, locale and shown names;
drafts and returned proposals are always rendered afresh (grants/proposals/rendered.py)."""

from __future__ import annotations

from flask_babel import force_locale

from grants.proposals import rendered
from grants.proposals.states import ProposalStatus
from tests.conftest import first_arguments


def _body(app, proposal, **flags):
    with app.test_request_context("/"):
        return str(rendered.proposal_body(proposal, judge_view=True, hx="h3", **flags))


def _counting_renders(monkeypatch):
    return first_arguments(monkeypatch, rendered, "render_template")


def test_a_submitted_version_is_rendered_once(app, session, world, make, monkeypatch):
    proposal = make.proposal(world.edition_a, world.resident, submit=True, summary="第一版的简介")
    renders = _counting_renders(monkeypatch)
    first = _body(app, proposal)
    assert "第一版的简介" in first
    assert _body(app, proposal) == first
    assert renders == ["proposals/_body.html"]
    assert len(rendered.body_cache()) == 1


def test_a_new_version_an_edited_row_or_a_renamed_applicant_is_rendered_again(app, session, world, make):
    proposal = make.proposal(world.edition_a, world.resident, submit=True, summary="第一版的简介")
    assert "第一版的简介" in _body(app, proposal)
    # A resubmission is a new version (and a write to the row).
    proposal.summary, proposal.version = "第二版的简介", proposal.version + 1
    session.commit()
    body = _body(app, proposal)
    assert "第二版的简介" in body and "第一版的简介" not in body
    # Any write to the row moves updated_at, whatever the version.
    proposal.need_analysis = "更正后的需求分析"
    session.commit()
    assert "更正后的需求分析" in _body(app, proposal)
    world.resident.display_name = "改名后的居民"
    session.commit()
    assert "改名后的居民" in _body(app, proposal)


def test_a_blind_view_and_another_locale_are_kept_apart(app, session, world, make):
    proposal = make.proposal(world.edition_a, world.resident, submit=True)
    named = _body(app, proposal)
    blind = _body(app, proposal, blind=True)
    assert world.resident.display_name in named and world.resident.display_name not in blind
    with app.test_request_context("/"), force_locale("en"):
        english = str(rendered.proposal_body(proposal, judge_view=True, hx="h3"))
    assert "Budget" in english and "预算" not in english
    assert "预算" in _body(app, proposal)


def test_drafts_and_returned_proposals_are_never_kept(app, session, world, make, monkeypatch):
    proposal = make.proposal(world.edition_a, world.resident, summary="草稿的简介")
    assert not rendered.cacheable(proposal)
    renders = _counting_renders(monkeypatch)
    assert "草稿的简介" in _body(app, proposal)
    proposal.summary = "改过的草稿简介"  # a draft is edited in place, same version
    assert "改过的草稿简介" in _body(app, proposal)
    submitted = make.proposal(world.edition_a, make.user("another_resident", community=world.community_a), submit=True)
    submitted.status = ProposalStatus.RETURNED.value
    assert not rendered.cacheable(submitted)
    _body(app, submitted)
    assert len(renders) == 3 and len(rendered.body_cache()) == 0


def test_the_cache_keeps_at_most_its_bound(app):
    cache = rendered.BodyCache(max_entries=2)
    for key in ("a", "b", "c"):
        cache.get_or_render((key,), lambda key=key: key)
    assert len(cache) == 2
    assert cache.get_or_render(("a",), lambda: "rendered again") == "rendered again"  # "a" was the oldest
    assert cache.get_or_render(("c",), lambda: "not used") == "c"
