"""A project carried from its proposal to the group it became, with private data of every kind.

Edition A's six proposals are screened, scored in two rounds (the preliminary round's list is never
published, so its scores stay private) and awarded; the awards list is published, an objection is
filed and answered, the results become final. The winner's grant is signed; its first tranche paid,
its second requested; expenses accepted, pending and rejected; a mid-term report evaluated and a
final report waiting; the team becomes a group with one more member, logs activities (confirmed,
pending, returned) and earns four stars; the group applies again in edition 2 (listed in a public
notice) and once more (never listed). Everything goes through the services where one exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from grants import timeutil
from grants.editions import service as edition_service
from grants.editions.states import edition_machine
from grants.funding import disbursements
from grants.funding import service as funding_service
from grants.funding.models import BudgetItem, Expense, Grant, GrantEvaluation, GrantReport
from grants.incubation import service as group_service
from grants.incubation.models import Activity, GroupMember, StarCampaign, StarNomination, VolunteerHours
from grants.judging import awards, closing, eligibility, sheets
from grants.judging.models import RoundResult
from grants.proposals.models import Attachment
from grants.results import objections
from grants.results import service as results
from grants.results.models import Publication, PublicationEntry
from tests.judging.conftest import scoring  # noqa: F401  (fixture)
from tests.judging.helpers import score_round

APPLICANT = "欧阳明辉"
APPLICANT_MOBILE = "13800000000"  # the factories' applicant mobile
TEAM = ("队员1", "队员2")
TEAM_MOBILES = ("13900000001", "13900000002")
MEMBER, MEMBER_MOBILE = "司马秘书", "13712345678"
OBJECTION = "有居民反映该项目的花盆早已由物业免费提供，请核实。"
REPLY = "经核查，项目材料属实，异议不成立。"
ACCOUNT_NO = "6228480012345678"
VOUCHER = "PZ-SECRET-0001"
PAYEES = ("绿意花卉店", "秘密五金店", "被拒绝的文具店")
INVOICES = ("FP20260001", "FP20260002", "FP20260003")
REVIEW_NOTE = "发票抬头不符，不予认可"
REPORT_SUMMARY = "中期报告：已开展三次楼道清理活动"
EVALUATION_COMMENT = "评估意见：台账需要完善"
PENDING_ACTIVITY = "尚未核实的秘密活动"
RETURNED_ACTIVITY = "被退回的活动记录"
LATER_PUBLIC = "楼道微花园二期"
LATER_PRIVATE = "未公示的第三个项目"

# Strings the public version must never show (the judges' comments all start with 评语).
PRIVATE = (
    APPLICANT,
    APPLICANT_MOBILE,
    *TEAM,
    *TEAM_MOBILES,
    MEMBER,
    MEMBER_MOBILE,
    OBJECTION,
    ACCOUNT_NO,
    VOUCHER,
    *PAYEES,
    *INVOICES,
    REVIEW_NOTE,
    REPORT_SUMMARY,
    EVALUATION_COMMENT,
    PENDING_ACTIVITY,
    RETURNED_ACTIVITY,
    LATER_PRIVATE,
    "评语",
    "待审核支出",
    "合格线",
    "评委人数",
)


@dataclass
class Story:
    edition: object
    proposals: list  # edition A's six, by their rank in round 2
    proposal: object  # the winner followed here
    unlisted: object  # a proposal never named in a public notice
    notice: Publication
    grant: object
    group: object
    later_public: object
    later_private: object
    applicant: object

    def url(self, proposal=None) -> str:
        return f"/projects/{(proposal or self.proposal).id}/journey"


def _score_rounds(session, world, edition, proposals) -> None:
    """Round 2 sends four on, the final round ranks them; judges' totals differ by judge, so the
    means have decimals no published figure shares."""
    index = {p.id: i for i, p in enumerate(proposals)}
    rnd = edition_service.rounds_of(session, edition.id)[1]
    rnd.advancement, rnd.advance_top_n = "top_n", 4
    sheets.assign_round(session, actor=world.organizer_a, rnd=rnd)
    eligibility.open_round(session, actor=world.organizer_a, rnd=rnd)
    score_round(session, rnd, lambda j, p: 80 - 4 * index[p] + j % 3)
    closing.close_scoring_round(session, actor=world.organizer_a, rnd=rnd)
    final = edition_service.rounds_of(session, edition.id)[2]
    sheets.assign_round(session, actor=world.organizer_a, rnd=final)
    eligibility.open_round(session, actor=world.organizer_a, rnd=final)
    score_round(session, final, lambda j, p: 93 - 9 * index[p] + j % 2)
    closing.close_scoring_round(session, actor=world.organizer_a, rnd=final)
    awards.set_tiers(
        session,
        actor=world.organizer_a,
        edition=edition,
        rows=[awards.TierInput("一等奖", "1"), awards.TierInput("二等奖", "2")],
    )
    awards.assign_tiers(session, actor=world.organizer_a, edition=edition)
    if edition.status == "open":
        edition_machine.transition(session, edition, "reviewing", actor=None)


def _publish_and_finalize(session, world, edition, proposal) -> Publication:
    final = edition_service.rounds_of(session, edition.id)[2]
    notice = results.prepare(
        session,
        actor=world.organizer_a,
        edition=edition,
        rnd=final,
        settings=results.Settings(title="甲区第一届获奖项目公示", list_judges=False),
    )
    opened = timeutil.now() - timedelta(days=200)
    results.publish(session, actor=world.organizer_a, publication=notice, now=opened)
    entry = session.scalar(
        select(PublicationEntry).where(
            PublicationEntry.publication_id == notice.id, PublicationEntry.proposal_id == proposal.id
        )
    )
    objection = objections.file_objection(
        session, actor=world.resident, entry=entry, text=OBJECTION, now=opened + timedelta(hours=3)
    )
    objections.answer(
        session, actor=world.organizer_a, objection=objection, upheld=False, reply=REPLY, now=opened + timedelta(days=1)
    )
    results.finalize(session, actor=world.organizer_a, publication=notice, now=notice.closes_at + timedelta(days=1))
    return notice


def _money(session, world, grant) -> None:
    """Signed; the first tranche paid, the second requested; expenses of each status."""
    scan = Attachment(
        uploaded_by_id=world.organizer_a.id,
        stored_name="journey-scan",
        original_name="协议.png",
        mime="image/png",
        size=10,
        sha256="0" * 64,
    )
    session.add(scan)
    session.flush()
    funding_service.sign(
        session,
        actor=world.organizer_a,
        grant=grant,
        signed_on=timeutil.today() - timedelta(days=150),
        receiving_unit="甲一社区居民委员会",
        account_name="甲一社区居民委员会",
        account_bank="农业银行城关支行",
        account_no=ACCOUNT_NO,
        scan=scan,
    )
    first = funding_service.tranches_of(session, grant.id)[0]
    paid = disbursements.request(session, actor=world.organizer_a, tranche=first)
    disbursements.approve(session, actor=world.finance_a, disbursement=paid)
    disbursements.record_payment(
        session,
        actor=world.finance_a,
        disbursement=paid,
        paid_on=timeutil.today() - timedelta(days=140),
        voucher_ref=VOUCHER,
    )
    items = list(
        session.scalars(select(BudgetItem).where(BudgetItem.grant_id == grant.id).order_by(BudgetItem.position))
    )
    for (status, amount), payee, invoice in zip(
        (("accepted", 30_000), ("pending", 12_000), ("rejected", 8_000)), PAYEES, INVOICES, strict=True
    ):
        decided = status != "pending"
        session.add(
            Expense(
                grant_id=grant.id,
                edition_id=grant.edition_id,
                item_id=items[0].id,
                spent_on=timeutil.today() - timedelta(days=120),
                payee=payee,
                amount_fen=amount,
                purpose="购买花盆",
                invoice_no=invoice,
                status=status,
                recorded_by_id=grant.proposal.applicant_id,
                reviewed_by_id=world.staff_a.id if decided else None,
                reviewed_at=timeutil.now() - timedelta(days=110) if decided else None,
                review_note=REVIEW_NOTE if status == "rejected" else "",
            )
        )
    midterm = GrantReport(
        grant_id=grant.id,
        kind="midterm",
        summary=REPORT_SUMMARY,
        beneficiaries=120,
        activities_count=3,
        status="evaluated",
        submitted_by_id=grant.proposal.applicant_id,
        submitted_at=timeutil.now() - timedelta(days=60),
    )
    final = GrantReport(
        grant_id=grant.id,
        kind="final",
        summary=REPORT_SUMMARY + "（结项）",
        submitted_by_id=grant.proposal.applicant_id,
        submitted_at=timeutil.now() - timedelta(days=5),
    )
    session.add_all([midterm, final])
    session.flush()
    session.add(
        GrantEvaluation(
            grant_id=grant.id,
            report_id=midterm.id,
            kind="midterm",
            scores={},
            total_points=83,
            pass_mark=60,
            passed=True,
            comment=EVALUATION_COMMENT,
            evaluator_id=world.organizer_a.id,
            evaluated_at=timeutil.now() - timedelta(days=50),
        )
    )
    session.flush()


def add_activities(
    session, group, n: int, *, start: datetime, confirmer, status: str = "confirmed", title: str = "楼道清扫"
):
    """``n`` activities of the group, one a day from ``start`` (UTC), in one INSERT."""
    session.execute(
        insert(Activity),
        [
            {
                "group_id": group.id,
                "title": title,
                "kind": "service",
                "starts_at": start + timedelta(days=k),
                "ends_at": start + timedelta(days=k, hours=2),
                "place": "三号楼",
                "participants": 5,
                "served": 10,
                "status": status,
                "return_reason": "照片不清楚" if status == "returned" else "",
                "confirmed_by_id": confirmer.id if status == "confirmed" else None,
                "confirmed_at": start + timedelta(days=k + 1) if status == "confirmed" else None,
            }
            for k in range(n)
        ],
    )
    session.flush()


def _group(session, world, grant):
    group = group_service.create_group_from_grant(
        session,
        actor=world.organizer_a,
        grant=grant,
        data=group_service.GroupData(name="甲一社区花友会", kind="volunteer", scope="楼道绿化", venue="社区活动室"),
    )
    group_service.add_member(
        session,
        actor=world.organizer_a,
        group=group,
        data=group_service.MemberData(name=MEMBER, mobile=MEMBER_MOBILE, role="core", joined_on=group.founded_on),
    )
    start = datetime.combine(timeutil.today() - timedelta(days=100), datetime.min.time(), tzinfo=UTC)
    staff = world.staff_a
    add_activities(session, group, 5, start=start, confirmer=staff)
    add_activities(
        session, group, 1, start=start + timedelta(days=30), confirmer=staff, status="pending", title=PENDING_ACTIVITY
    )
    add_activities(
        session, group, 1, start=start + timedelta(days=31), confirmer=staff, status="returned", title=RETURNED_ACTIVITY
    )
    first = session.scalar(select(Activity).where(Activity.group_id == group.id).order_by(Activity.id))
    leader = session.scalars(
        select(GroupMember).where(GroupMember.group_id == group.id).order_by(GroupMember.id)
    ).first()
    session.add(VolunteerHours(activity_id=first.id, member_id=leader.id, halves=4))
    campaign = StarCampaign(
        district_id=world.district_a.id,
        year=timeutil.today().year,
        title="星级评定",
        status="final",
        final_on=timeutil.today() - timedelta(days=10),
    )
    session.add(campaign)
    session.flush()
    session.add(StarNomination(campaign_id=campaign.id, group_id=group.id, decided_stars=4))
    session.flush()
    return group


def _later(session, world, make, group, applicant):
    """Edition 2: the group's leader applies again (listed in a public notice), a member once more (never listed)."""
    edition = make.edition(world.district_a, number=2, name="甲区第二届")
    listed = make.proposal(edition, applicant, submit=True, title=LATER_PUBLIC, community_id=world.community_a.id)
    other = make.proposal(edition, submit=True, title=LATER_PRIVATE, community_id=world.community_a.id)
    listed.group_id = other.group_id = group.id
    rnd = edition_service.rounds_of(session, edition.id)[0]
    notice = Publication(
        edition_id=edition.id,
        round_id=rnd.id,
        number=1,
        status="published",
        title="甲区第二届资格审查结果公示",
        opens_at=timeutil.now() - timedelta(days=2),
        closes_at=timeutil.now() + timedelta(days=5),
    )
    notice.entries = [
        PublicationEntry(
            proposal_id=listed.id,
            position=1,
            title=LATER_PUBLIC,
            applicant="欧**辉",
            community="甲一社区",
            street="甲街道",
            category="环境卫生",
            team_size=3,
        )
    ]
    session.add(notice)
    session.flush()
    return listed, other


@pytest.fixture
def story(session, world, make, scoring, chained) -> Story:  # noqa: F811
    """The project's whole story (module docstring): built once per test process, then put back
    for the next test that uses it (CHAIN, tests/conftest.py)."""
    return chained("story", lambda: _story(session, world, make, scoring))


def _story(session, world, make, scoring) -> Story:  # noqa: F811
    _rnd, proposals, _judges = scoring
    edition = world.edition_a
    winner = proposals[0]
    winner.applicant.display_name = APPLICANT
    session.flush()
    _score_rounds(session, world, edition, proposals)
    notice = _publish_and_finalize(session, world, edition, winner)
    grant = session.scalar(select(Grant).where(Grant.proposal_id == winner.id))
    _money(session, world, grant)
    group = _group(session, world, grant)
    later_public, later_private = _later(session, world, make, group, winner.applicant)
    session.commit()
    return Story(
        edition=edition,
        proposals=proposals,
        proposal=winner,
        unlisted=proposals[5],
        notice=notice,
        grant=grant,
        group=group,
        later_public=later_public,
        later_private=later_private,
        applicant=winner.applicant,
    )


def unpublished_scores(session, proposal) -> list[str]:
    """The proposal's stored round scores no public notice published, as a page could print them."""
    published = set(session.scalars(select(PublicationEntry.score).where(PublicationEntry.proposal_id == proposal.id)))
    found = []
    for score in session.scalars(select(RoundResult.score).where(RoundResult.proposal_id == proposal.id)):
        two = score.quantize(type(score)("0.01"))
        if two not in published:
            found += [f"{two}", f"{score}"]
    return found
