"""Small word tables the demo composes its residents, projects and groups from (no real persons:
names are drawn from common surnames and given names, projects from the kinds of project a
district's competitions fund). Pure: no Flask, no database; every draw takes the caller's Random.
"""

from __future__ import annotations

import random

from grants.demo.ideas import Idea

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程魏苏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
_TWO = "建国建华国庆志强志刚志明文华文静秀英秀兰桂英桂兰桂芳玉兰玉珍丽华丽娟丽萍美玲美华淑珍淑华凤英凤霞春燕春华海燕海涛红梅红霞晓燕晓东晓明晓红小玲小军卫东卫国德明德华金凤金花振华振国永红永强立新立平素芬素珍雪梅雪芳静怡佳怡子涵思远宇航浩然欣怡梓萱明辉俊杰家豪雅琴慧敏婷婷"
GIVEN = (*(_TWO[i : i + 2] for i in range(0, len(_TWO), 2)), *"伟敏静磊军勇艳芳娟涛斌燕杰琳")
COMMUNITY_SHORT = {"桂花社区": "桂花", "樱桃社区": "樱桃", "翠竹社区": "翠竹", "枫林社区": "枫林", "松涛社区": "松涛"}
TEAM_ROLES = ("活动策划", "宣传联络", "物资管理", "志愿者招募", "记录员", "财务记账", "安全员", "摄影记录")
WHEN = ("每周六上午", "每周三下午", "每周日下午", "每月第一个周六", "每月两次", "每两周一次", "每个工作日下午")
PAYEES = {
    "活动物资": ("东湖五金店", "东湖文具批发部", "东湖社区便民超市", "东湖花木市场", "东湖家具城"),
    "宣传": ("东湖快印图文", "东湖广告制作部"),
    "场地": ("东湖会展服务部", "东湖家具城"),
    "交通": ("东湖出租车公司", "东湖客运公司"),
    "培训/专家费": ("专业老师（劳务签领表）",),
    "人员补贴/劳务": ("志愿者（签领表）",),
    "其他": ("东湖保险代理点", "东湖社区便民超市"),
}
INELIGIBLE = (
    "项目主要内容为商业培训，不属于社区公益服务范围。",
    "团队成员不足本届要求的人数，且未在截止前补齐。",
    "该项目已获得街道同类专项经费资助，不予重复资助。",
    "预算主要用于购置固定资产，不符合本届资助范围。",
)
JUDGE_COMMENTS = (
    "需求清楚，团队有基础，建议细化每次活动的参与人数目标。",
    "服务对象明确，可持续计划还可以更具体。",
    "活动设计贴近居民，预算基本合理。",
    "有示范意义，建议加强和社区其他组织的联动。",
    "团队分工清楚，建议把居民参与的方式写得更具体。",
    "预算中物资单价偏高，可以再比价。",
    "项目贴近居民需求，骨干培养的计划还需要落实到人。",
)
RETURN_REASONS = (
    "受益人次与签到表不一致，请核对后重新提交。",
    "照片看不出活动现场，请补充活动照片。",
    "志愿服务时长超出活动时长，请更正。",
)
# Generic budget lines a team adds to its own (category, item, unit yuan, quantity).
GENERIC_LINES = (
    ("宣传", "活动海报和展板", 150, 3),
    ("活动物资", "活动饮用水和茶歇", 5, 60),
    ("其他", "志愿者意外保险", 50, 8),
    ("人员补贴/劳务", "志愿者交通餐补", 20, 25),
    ("活动物资", "签到表和活动记录本", 10, 20),
)


def person(rng: random.Random, taken: set[str]) -> str:
    """A made-up full name not in ``taken`` (which it joins)."""
    while True:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name not in taken:
            taken.add(name)
            return name


def fill(text: str, community: str) -> str:
    return text.replace("{c}", COMMUNITY_SHORT[community])


def budget_lines(rng: random.Random, idea: Idea, cap_yuan: int) -> list[tuple[str, str, int, int]]:
    """The project's own lines plus two generic ones, quantities scaled so that the total is
    between 45 % and 95 % of ``cap_yuan``, labour (人员补贴/劳务) within 30 % of it."""
    lines = [[c, i, u, q] for c, i, u, q in (*idea.lines, *rng.sample(GENERIC_LINES, 2))]
    target = rng.randint(cap_yuan * 45 // 100, cap_yuan * 95 // 100)
    factor = target / sum(u * q for _c, _i, u, q in lines)
    for line in lines:
        line[3] = max(1, round(line[3] * factor * rng.uniform(0.85, 1.15)))
    while sum(u * q for _c, _i, u, q in lines) > min(target * 105 // 100, cap_yuan):
        biggest = max(lines, key=lambda line: line[2] * line[3])
        biggest[3] -= 1
    labour = [line for line in lines if line[0] == "人员补贴/劳务"]
    while labour and sum(u * q for *_, u, q in labour) * 10 > 3 * sum(u * q for *_, u, q in lines):
        biggest = max(labour, key=lambda line: line[2] * line[3])
        if biggest[3] == 1:
            lines.remove(biggest)
            labour.remove(biggest)
        else:
            biggest[3] -= 1
    return [(c, i, u, q) for c, i, u, q in lines]
