"""Demo proposals for the current demo edition, in several states (flask seed-demo)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from grants.auth.models import User
from grants.demo import people
from grants.editions.models import Edition
from grants.org.models import Community
from grants.proposals import budget, policy
from grants.proposals import service as ps
from grants.proposals.models import Proposal
from grants.timeutil import now

# login, display name, community, title, category, state, team [(name, mobile, role)],
# activities [(when, what, where, people)], budget [(category, item, unit yuan, quantity)]
PROPOSALS = [
    (
        "resident1",
        "张晓明",
        "樱桃社区",
        "樱桃社区楼道微花园",
        "环境卫生",
        "submitted",
        [("李桂英", "13912340001", "绿植养护"), ("王建华", "13912340002", "宣传联络")],
        [("2026年4月", "楼道堆物清理日", "樱桃社区3号楼", 30), ("2026年5月—9月", "每月一次花友共建", "各楼道", 20)],
        [("活动物资", "花盆、土和种苗", 40, 60), ("宣传", "海报和展板", 150, 4), ("其他", "园艺工具", 80, 10)],
    ),
    (
        "resident2",
        "黄丽华",
        "翠竹社区",
        "翠竹“银龄”智能手机课堂",
        "一老一小",
        "submitted",
        [("陈小玲", "13912340003", "授课志愿者"), ("周杰", "13912340004", "助教")],
        [("2026年4月—6月", "每周二下午智能手机课", "翠竹社区活动室", 25)],
        [("培训/专家费", "讲师课时费", 300, 8), ("活动物资", "讲义印制", 5, 200), ("宣传", "招募海报", 50, 6)],
    ),
    (
        "resident3",
        "马建国",
        "枫林社区",
        "枫林邻里互助时间银行",
        "邻里互助",
        "resubmitted",
        [("赵敏", "13912340005", "记账员"), ("孙强", "13912340006", "志愿者招募"), ("吴芳", "13912340007", "活动策划")],
        [("2026年4月", "时间银行启动会", "枫林社区广场", 80), ("2026年5月—10月", "互助服务对接", "社区内", 60)],
        [
            ("活动物资", "服务记录本和积分卡", 8, 200),
            ("宣传", "启动会布置", 600, 1),
            ("人员补贴/劳务", "志愿者餐补", 20, 40),
        ],
    ),
    (
        "resident4",
        "刘春燕",
        "桂花社区",
        "桂花社区亲子阅读角",
        "文化建设",
        "returned",
        [("郭晓东", "13912340008", "图书管理"), ("林静", "13912340009", "故事会主持")],
        [("每周六上午", "亲子故事会", "桂花社区图书室", 15)],
        [("活动物资", "绘本", 35, 60), ("场地", "阅读角软垫和布置", 400, 1)],
    ),
    (
        "resident5",
        "何志强",
        "松涛社区",
        "松涛社区垃圾分类督导队",
        "环境卫生",
        "submitted",
        [("冯丽", "13912340010", "督导员"), ("蒋伟", "13912340011", "督导员")],
        [("2026年4月—12月", "早晚高峰桶边督导", "各投放点", 12), ("2026年6月", "分类知识竞赛", "社区广场", 100)],
        [("活动物资", "督导马甲和手套", 45, 20), ("宣传", "分类指引牌", 120, 10), ("其他", "竞赛奖品", 30, 20)],
    ),
    (
        "resident6",
        "韩梅",
        "樱桃社区",
        "樱桃社区议事厅",
        "自管自治",
        "withdrawn",
        [("曹阳", "13912340012", "记录员"), ("邓华", "13912340013", "主持人")],
        [("每月第一个周三", "居民议事会", "社区会议室", 30)],
        [("活动物资", "议事会文具", 10, 30), ("宣传", "议题公示栏", 500, 1)],
    ),
    (
        "resident7",
        "许文",
        "翠竹社区",
        "翠竹社区便民维修志愿服务",
        "志愿服务",
        "draft",
        [("彭军", "13912340014", "维修师傅")],
        [("每月第二个周日", "便民维修摊", "翠竹社区门口", 40)],
        [("活动物资", "维修耗材", 20, 30)],
    ),
    ("resident8", "邱红", "枫林社区", "", "文化建设", "draft", [], [], []),
]
TEXT = {
    "summary": "“{what}”项目组织居民共同参与，一起把身边的事办好，让社区更有温度。",
    "need_analysis": "走访了60户居民，多数人希望有这样的活动，但缺少组织者和经费。",
    "overall_objective": "建立一支能长期运作的居民团队，持续开展“{what}”。",
    "specific_objectives": "1. 每月至少开展一次活动；2. 吸引不少于50名居民参与；3. 培养3名骨干。",
    "beneficiaries": "社区居民，特别是老人和儿童。",
    "risks": "参与人数不足：提前两周在楼道和微信群招募；天气不好时改到室内。",
    "sustainability": "项目结束后团队注册为社区社会组织，争取社区公益基金和居民众筹继续运作。",
    "prior_experience": "团队成员曾组织过社区志愿活动。",
}


def _data(session: Session, edition: Edition, entry, community: Community) -> ps.ProposalData:
    login, _name, _c, title, category, _state, team, activities, lines = entry
    categories = {c.name: c.id for c in ps.ensure_budget_categories(session, edition)}
    category_id = next((c.id for c in edition.categories if c.name == category), None)
    what = title or "社区活动"
    return ps.ProposalData(
        title=title,
        category_id=category_id,
        community_id=community.id,
        period_start=date(2026, 4, 1) if title else None,
        period_end=date(2026, 12, 31) if title else None,
        direct_beneficiaries=60 if title else None,
        indirect_beneficiaries=300 if title else None,
        self_funds_fen=50_000 if title else 0,
        commitment=bool(title),
        # Demo accounts sign in with user names: the applicant's mobile is given on the proposal.
        applicant_mobile=f"1371234{sum(map(ord, login)) % 10_000:04d}" if title else "",
        team=[ps.TeamMemberData(n, m, r, community.name) for n, m, r in team],
        activities=[ps.ActivityData(w, a, p, n) for w, a, p, n in activities],
        budget_lines=[
            budget.Line(i, categories[c], item, unit * 100, qty)
            for i, (c, item, unit, qty) in enumerate(lines, start=1)
        ],
        **({key: value.format(what=what) for key, value in TEXT.items()} if title else {}),
    )


def seed_proposals(session: Session, edition: Edition, communities: dict[str, Community], reviewers: list[User]) -> int:
    """Create the demo proposals that do not exist yet; returns how many were created."""
    created = 0
    for entry in PROPOSALS:
        login, name, community_name, _title, _cat, state = entry[:6]
        community = communities[community_name]
        applicant = people.register(session, login, name, community)
        if session.scalar(
            select(Proposal.id).where(Proposal.edition_id == edition.id, Proposal.applicant_id == applicant.id)
        ):
            continue
        proposal = ps.start_proposal(session, actor=applicant, edition=edition)
        ps.save_draft(session, actor=applicant, proposal=proposal, data=_data(session, edition, entry, community))
        if state in ("submitted", "returned", "resubmitted", "withdrawn"):
            ps.submit_proposal(session, actor=applicant, proposal=proposal)
        if state in ("returned", "resubmitted"):
            reviewer = next(r for r in reviewers if policy.can_return(r, proposal))
            ps.return_for_correction(
                session,
                actor=reviewer,
                proposal=proposal,
                reason="请补充预算中每项支出的用途说明，并补充团队成员分工。",
                deadline=now() + timedelta(days=7),
            )
        if state == "resubmitted":
            data = _data(session, edition, entry, community)
            data.summary += "（已按社区意见补充预算用途说明。）"
            ps.save_draft(session, actor=applicant, proposal=proposal, data=data)
            ps.submit_proposal(session, actor=applicant, proposal=proposal)
        if state == "withdrawn":
            ps.withdraw_proposal(session, actor=applicant, proposal=proposal)
        created += 1
    return created
