"""A resident group's lifecycle: the one place its status changes.

培育中 → 已成立 → 已备案; 休眠 (with a reason) from 已成立 or 已备案, and back to where it was
(已备案 when the 备案 record exists, else 已成立); 注销 (with a reason) from any state, final.
Moving to 已备案 is the step "登记备案", which records the date and number first.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from grants.incubation import policy
from grants.incubation.models import Activity, ActivityKind, ActivityStatus, Group, GroupKind, GroupStatus, MemberRole
from grants.states import StateMachine, Transition

S = GroupStatus

GROUP_STATUS_LABELS = {
    S.CULTIVATING: _l("培育中"),
    S.ESTABLISHED: _l("已成立"),
    S.FILED: _l("已备案"),
    S.DORMANT: _l("休眠"),
    S.DISSOLVED: _l("注销"),
}

GROUP_KIND_LABELS = {
    GroupKind.SELF_GOVERNING: _l("自治"),
    GroupKind.RECREATION: _l("自乐"),
    GroupKind.VOLUNTEER: _l("志愿"),
}

# The stars filter's choices: current stars, or none (never rated, below three stars, or expired).
STAR_FILTERS = ((5, _l("五星")), (4, _l("四星")), (3, _l("三星")), (0, _l("无星级")))

MEMBER_ROLE_LABELS = {
    MemberRole.LEADER: _l("负责人"),
    MemberRole.CORE: _l("骨干"),
    MemberRole.MEMBER: _l("成员"),
}


def group_status_label(status: str) -> str:
    return str(GROUP_STATUS_LABELS.get(status, status))


def group_kind_label(kind: str) -> str:
    return str(GROUP_KIND_LABELS.get(kind, kind))


def member_role_label(role: str) -> str:
    return str(MEMBER_ROLE_LABELS.get(role, role))


def _manager(actor, group: Group) -> bool:
    return policy.can_manage(actor, group)


def _has_filing(group: Group) -> str | None:
    if not (group.filed_on and group.filing_no):
        return _("还没有备案记录（备案日期和备案编号）。")
    return None


def _not_filed(group: Group) -> str | None:
    if group.filed_on and group.filing_no:
        return _("该组织已有备案记录，恢复活动后回到“已备案”。")
    return None


def _district_of(group: Group) -> int:
    return group.community.street.district_id


group_machine = StateMachine(
    "group",
    [
        Transition(S.CULTIVATING, S.ESTABLISHED, "group.establish", lambda: _("确认成立"), _manager),
        Transition(
            S.ESTABLISHED,
            S.FILED,
            "group.file",
            lambda: _("登记备案"),
            _manager,
            guard=_has_filing,
            step=lambda: _("登记备案"),
        ),
        Transition(
            S.ESTABLISHED,
            S.DORMANT,
            "group.sleep",
            lambda: _("转为休眠"),
            _manager,
            requires_reason=True,
            style="secondary",
        ),
        Transition(
            S.FILED, S.DORMANT, "group.sleep", lambda: _("转为休眠"), _manager, requires_reason=True, style="secondary"
        ),
        Transition(S.DORMANT, S.ESTABLISHED, "group.revive", lambda: _("恢复活动"), _manager, guard=_not_filed),
        Transition(S.DORMANT, S.FILED, "group.revive", lambda: _("恢复活动（已备案）"), _manager, guard=_has_filing),
        *(
            Transition(
                source,
                S.DISSOLVED,
                "group.dissolve",
                lambda: _("注销组织"),
                _manager,
                requires_reason=True,
                style="danger",
            )
            for source in (S.CULTIVATING, S.ESTABLISHED, S.FILED, S.DORMANT)
        ),
    ],
    state_label=group_status_label,
    district_of=_district_of,
)


# --- activities (活动记录) --------------------------------------------------------------------
# The leader logs an activity (待核实); its community's staff or the district's organizer confirm
# it (已核实, final) or return it with a reason (已退回); the leader corrects a returned activity
# and logs it again (待核实), a move only update_activity makes.

A = ActivityStatus

ACTIVITY_STATUS_LABELS = {
    A.PENDING: _l("待核实"),
    A.CONFIRMED: _l("已核实"),
    A.RETURNED: _l("已退回"),
}

ACTIVITY_KIND_LABELS = {
    ActivityKind.SERVICE: _l("服务"),
    ActivityKind.RECREATION: _l("文体"),
    ActivityKind.DELIBERATION: _l("议事"),
    ActivityKind.TRAINING: _l("培训"),
    ActivityKind.OTHER: _l("其他"),
}


def activity_status_label(status: str) -> str:
    return str(ACTIVITY_STATUS_LABELS.get(status, status))


def activity_kind_label(kind: str) -> str:
    return str(ACTIVITY_KIND_LABELS.get(kind, kind))


def _reviewer(actor, activity: Activity) -> bool:
    return policy.can_review_activities(actor, activity.group)


def _logger(actor, activity: Activity) -> bool:
    return policy.is_leader(actor, activity.group)


activity_machine = StateMachine(
    "activity",
    [
        Transition(A.PENDING, A.CONFIRMED, "activity.confirm", lambda: _("核实"), _reviewer),
        Transition(
            A.PENDING,
            A.RETURNED,
            "activity.return",
            lambda: _("退回"),
            _reviewer,
            requires_reason=True,
            style="secondary",
        ),
        Transition(
            A.RETURNED, A.PENDING, "activity.relog", lambda: _("重新提交"), _logger, step=lambda: _("修改后重新提交")
        ),
    ],
    state_label=activity_status_label,
    district_of=lambda activity: _district_of(activity.group),
)
