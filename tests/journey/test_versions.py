"""Each audience sees its version of a project's journey: the public what was published and
confirmed, never a name, a mobile or an unpublished score; the applicant their own project; the
organizer and the project's community staff all of it."""

from __future__ import annotations

import re

from sqlalchemy import select

from grants.journey import service
from grants.journey.policy import Audience
from grants.journey.timeline import StepKind
from grants.proposals.models import Proposal
from grants.results.models import Publication, PublicationEntry
from grants.results.states import PUBLIC_STATUSES
from tests.journey.conftest import (
    APPLICANT,
    APPLICANT_MOBILE,
    EVALUATION_COMMENT,
    LATER_PRIVATE,
    LATER_PUBLIC,
    MEMBER,
    OBJECTION,
    PENDING_ACTIVITY,
    PRIVATE,
    REPLY,
    TEAM,
    TEAM_MOBILES,
    unpublished_scores,
)

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def _main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def test_the_public_version_tells_the_published_story_and_nothing_private(client, session, story):
    html = _page(client, story.url())
    main = _main(html)
    assert "公开版本" in main
    # the published facts: the masked applicant, the notice with its score, the award and the money
    assert "欧**辉" in main and "第1号公示" in main and "一等奖" in main
    assert "获得资助" in main and "第1期：首期款" in main and "资金使用" in main
    assert "¥300.00" in main  # the accepted expense, on its budget line
    assert REPLY in main  # the objection's public answer…
    assert "中期报告与评估" in main and "通过" in main
    # …the group, its confirmed activities, its stars and the proposal it made later, as listed
    assert "甲一社区花友会" in main and "5次" in main and "四星" in main
    assert LATER_PUBLIC in main
    for secret in PRIVATE:
        assert secret not in html, secret
    for score in unpublished_scores(session, story.proposal):
        assert score not in html, score
    assert not MOBILE.search(html)
    assert "¥120.00" not in main and "¥80.00" not in main  # pending and rejected expenses


def test_the_organizer_sees_all_of_it(client, session, login_as, world, story):
    login_as(world.organizer_a)
    main = _main(_page(client, story.url()))
    assert "完整版本" in main
    for shown in (APPLICANT, APPLICANT_MOBILE, *TEAM, *TEAM_MOBILES, OBJECTION, LATER_PRIVATE, "待审核支出", "合格线"):
        assert shown in main, shown
    for score in unpublished_scores(session, story.proposal)[:1]:
        assert score in main  # the preliminary round's score, never published
    assert "评委人数" in main and "¥120.00" in main and "¥80.00" in main
    # the private pages it links to
    assert f'href="/proposals/{story.proposal.id}"' in main
    assert f'href="/funding/grants/{story.grant.id}"' in main
    assert f'href="/groups/{story.group.id}"' in main
    # a group member's name is on the group's page, not here; nor a payee or an evaluator's comment
    assert MEMBER not in main and EVALUATION_COMMENT not in main


def test_community_staff_of_the_project_see_the_organizers_version(client, login_as, world, story):
    login_as(world.staff_a)
    main = _main(_page(client, story.url()))
    assert "完整版本" in main and APPLICANT in main and OBJECTION in main


def test_the_applicant_sees_their_own_project_but_no_score_that_was_not_published(client, session, login_as, story):
    login_as(story.applicant)
    html = _page(client, story.url())
    main = _main(html)
    assert "申报人版本" in main
    for shown in (APPLICANT, APPLICANT_MOBILE, *TEAM, "待审核支出", "合格线", "晋级"):
        assert shown in main, shown
    for score in unpublished_scores(session, story.proposal):
        assert score not in html, score
    assert OBJECTION not in main  # who objected and what they wrote stays with the organizer
    assert "评委人数" not in main and "评语" not in main
    assert LATER_PRIVATE not in main  # a later proposal of another member, never public


def test_others_signed_in_see_the_public_version(client, login_as, world, story, make):
    for user in (
        world.resident,
        world.street_staff_a,
        world.finance_a,
        world.judge_a,
        world.organizer_b,
        world.staff_b,
    ):
        login_as(user)
        html = _page(client, story.url())
        assert "公开版本" in html, user.login_name
        for secret in (APPLICANT, *TEAM, OBJECTION, LATER_PRIVATE, PENDING_ACTIVITY):
            assert secret not in html, (user.login_name, secret)


def test_every_public_journey_of_the_story_keeps_its_secrets(client, session, story):
    """A crawl: the public version of each project named in a public notice; the others are not found."""
    listed = set(
        session.scalars(
            select(PublicationEntry.proposal_id)
            .join(Publication, Publication.id == PublicationEntry.publication_id)
            .where(Publication.status.in_(PUBLIC_STATUSES))
        )
    )
    assert {story.proposal.id, story.later_public.id} < listed
    for proposal in session.scalars(select(Proposal)).unique():
        if proposal.id not in listed:
            _page(client, story.url(proposal), 404)
            continue
        html = _page(client, story.url(proposal))
        for secret in PRIVATE:
            assert secret not in html, (proposal.id, secret)
        for score in unpublished_scores(session, proposal):
            assert score not in html, (proposal.id, score)
        assert not MOBILE.search(html), proposal.id


def test_the_service_chooses_the_version_and_reads_no_private_part_for_the_public(session, world, story):
    from flask_login import AnonymousUserMixin

    public = service.journey_for(session, story.proposal.id, AnonymousUserMixin())
    assert public.audience == Audience.PUBLIC and public.grant_id is None
    proposal_step = next(s for s in public.steps if s.kind == StepKind.PROPOSAL)
    assert proposal_step.item.team == [] and proposal_step.item.applicant_mobile == ""
    assert not [s for s in public.steps if s.kind == StepKind.ROUND]
    money = next(s for s in public.steps if s.kind == StepKind.MONEY).item
    assert money.pending_fen is None and all(line.pending_fen == line.rejected_fen == 0 for line in money.lines)
    organizer = service.journey_for(session, story.proposal.id, world.organizer_a)
    assert organizer.audience == Audience.ORGANIZER and organizer.grant_id == story.grant.id
    rounds = [s.item for s in organizer.steps if s.kind == StepKind.ROUND]
    assert [r.outcome for r in rounds] == ["passed", "advanced", "advanced"]
    assert rounds[1].score is not None and rounds[1].rank == 1


def test_the_timeline_reads_in_order(session, world, story):
    kinds = [s.kind for s in service.journey_for(session, story.proposal.id, world.organizer_a).steps]
    assert kinds[:5] == [StepKind.PROPOSAL, StepKind.ROUND, StepKind.ROUND, StepKind.ROUND, StepKind.NOTICE]
    assert kinds.index(StepKind.AWARD) < kinds.index(StepKind.SIGNING) < kinds.index(StepKind.MONEY)
    assert kinds.index(StepKind.GROUP) < kinds.index(StepKind.ACTIVITIES)
    assert kinds[-1] == StepKind.TRANCHE  # the tranche still to be paid comes last
    days = [s.day for s in service.journey_for(session, story.proposal.id, world.organizer_a).steps[5:] if s.done]
    assert days == sorted(d for d in days)


def test_a_later_proposal_links_to_its_own_journey(client, story):
    main = _main(_page(client, story.url()))
    assert f'href="/projects/{story.later_public.id}/journey"' in main
    later = _main(_page(client, story.url(story.later_public)))
    assert "甲区第二届资格审查结果公示" in later and "甲一社区花友会" in later


def test_the_applicant_learns_why_the_eligibility_check_failed_once_the_round_is_closed(
    client, session, login_as, world, make
):
    from grants.editions import service as edition_service
    from grants.judging import eligibility
    from tests.judging.helpers import end_submission

    edition = world.edition_b
    proposal = make.proposal(edition, submit=True, community_id=world.community_b.id)
    first = edition_service.rounds_of(session, edition.id)[0]
    eligibility.open_round(session, actor=None, rnd=first)
    reason = "团队成员不在本区居住，不符合申报条件"
    eligibility.decide(
        session, actor=world.organizer_b, rnd=first, proposal=proposal, outcome="fail", reason=reason, checked=[]
    )
    session.commit()
    url = f"/projects/{proposal.id}/journey"
    login_as(world.organizer_b)
    assert reason in _main(_page(client, url))  # the organizer sees the decision at once
    login_as(proposal.applicant)
    assert reason not in _main(_page(client, url))  # the applicant once the round is closed
    end_submission(session, edition)
    eligibility.close_round(session, actor=world.organizer_b, rnd=first)
    session.commit()
    main = _main(_page(client, url))
    assert "未通过" in main and reason in main
    assert client.get(url).status_code == 200
    login_as(world.resident)
    assert client.get(url).status_code == 404  # never listed: nobody else finds it


def test_a_withdrawn_proposal_says_so_to_its_applicant(client, session, login_as, world, make):
    from grants.proposals import service as proposal_service

    proposal = make.proposal(world.edition_b, submit=True, community_id=world.community_b.id)
    proposal_service.withdraw_proposal(session, actor=proposal.applicant, proposal=proposal)
    session.commit()
    login_as(proposal.applicant)
    main = _main(_page(client, f"/projects/{proposal.id}/journey"))
    assert "已撤回" in main and "撤回于" in main
