"""Weighted judge groups of a scoring round (e.g. 专家评委 70 % + 大众评审 30 %): each group is
aggregated on its own and the groups' scores are weighted (see scoring.aggregate_groups)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from grants import audit
from grants.editions import policy as edition_policy
from grants.editions.models import Round
from grants.editions.states import RoundStatus
from grants.errors import DomainError, NotAllowed
from grants.judging.models import JudgeGroup, JudgeGroupMember
from grants.judging.sheets import judges_of_edition
from grants.params import whole_number


def groups_of(session: Session, rnd: Round) -> list[JudgeGroup]:
    return list(session.scalars(select(JudgeGroup).where(JudgeGroup.round_id == rnd.id).order_by(JudgeGroup.id)))


def set_groups(
    session: Session, *, actor, rnd: Round, groups: list[tuple[str, str]], membership: dict[int, str]
) -> list[JudgeGroup]:
    """Replace the round's groups: ``groups`` are (name, weight percent as typed), blank rows
    ignored; ``membership`` maps judge id → group name ("" for none). No groups at all turns the
    feature off. Changes are refused once the round has closed.

    Raises: NotAllowed; DomainError naming the problem.
    """
    if not edition_policy.can_manage_round(actor, rnd):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if rnd.status == RoundStatus.CLOSED.value:
        raise DomainError(_("本轮已结束，不能再修改评委组。"))
    parsed: dict[str, int] = {}
    for name, weight in groups:
        name, weight = (name or "").strip(), (weight or "").strip()
        if not name and not weight:
            continue
        if not name or len(name) > 40:
            raise DomainError(_("评委组名称必填，最多40个字。"), field="groups")
        points = whole_number(weight, maximum=100)
        if not points:
            raise DomainError(_("“%(name)s”的权重应为1到100之间的整数。", name=name), field="groups")
        if name in parsed:
            raise DomainError(_("评委组“%(name)s”重复了。", name=name), field="groups")
        parsed[name] = points
    if parsed and sum(parsed.values()) != 100:
        raise DomainError(_("各评委组权重之和应为100%%，现在是%(n)d%%。", n=sum(parsed.values())), field="groups")
    pool = {j.id for j in judges_of_edition(session, rnd.edition_id)}
    chosen = {judge_id: name for judge_id, name in membership.items() if name}
    if unknown := {name for name in chosen.values() if name not in parsed}:
        raise DomainError(_("没有名为“%(name)s”的评委组。", name=sorted(unknown)[0]), field="groups")
    if not set(chosen) <= pool:
        raise DomainError(_("只能把本届评委编入评委组。"), field="groups")
    before = {g.name: [m.judge_id for m in g.members] for g in groups_of(session, rnd)}
    session.execute(delete(JudgeGroupMember).where(JudgeGroupMember.round_id == rnd.id))
    session.execute(delete(JudgeGroup).where(JudgeGroup.round_id == rnd.id))
    created = {name: JudgeGroup(round_id=rnd.id, name=name, weight_percent=weight) for name, weight in parsed.items()}
    session.add_all(created.values())
    session.flush()
    session.add_all(
        JudgeGroupMember(group_id=created[name].id, round_id=rnd.id, judge_id=judge_id)
        for judge_id, name in chosen.items()
    )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="round.judge_groups",
        obj=rnd,
        district_id=rnd.edition.district_id,
        before={"groups": before},
        after={
            "groups": {name: sorted(j for j, n in chosen.items() if n == name) for name in parsed},
            "weights": parsed,
        },
    )
    return list(created.values())
