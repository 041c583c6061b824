"""Readable names for audit actions and object types (unknown codes are shown as they are)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

OBJECT_TYPE_LABELS = {
    "User": _l("用户"),
    "RoleGrant": _l("角色"),
    "District": _l("区"),
    "Street": _l("街道"),
    "Community": _l("社区"),
    "Edition": _l("大赛届次"),
    "Round": _l("评审轮次"),
    "Criterion": _l("评分标准"),
    "Proposal": _l("申报项目"),
    "Attachment": _l("附件"),
    "EligibilityDecision": _l("资格审查决定"),
    "Assignment": _l("评分表"),
    "ConflictOfInterest": _l("利益冲突"),
}

ACTION_LABELS = {
    "user.register": _l("注册账号"),
    "user.password_change": _l("修改密码"),
    "role.grant": _l("授予角色"),
    "role.revoke": _l("撤销角色"),
    "district.create": _l("新增区"),
    "district.update": _l("修改区"),
    "street.create": _l("新增街道"),
    "street.update": _l("修改街道"),
    "street.delete": _l("删除街道"),
    "community.create": _l("新增社区"),
    "community.update": _l("修改社区"),
    "community.delete": _l("删除社区"),
    "edition.create": _l("创建大赛"),
    "edition.update": _l("修改大赛设置"),
    "edition.extend_window": _l("延长申报期"),
    "proposal.create": _l("创建申报书"),
    "proposal.submit": _l("提交申报书"),
    "proposal.resubmit": _l("重新提交申报书"),
    "proposal.return": _l("退回补正"),
    "proposal.withdraw": _l("撤回申报书"),
    "proposal.pass": _l("资格审查通过"),
    "proposal.fail": _l("资格审查未通过"),
    "eligibility.decide": _l("作出资格审查决定"),
    "round.open": _l("开始评审轮次"),
    "round.close": _l("结束评审轮次"),
    "round.reopen": _l("重新开启评审轮次"),
    "round.assign": _l("完成评委分配"),
    "round.results": _l("保存本轮结果"),
    "round.results_discarded": _l("作废本轮结果"),
    "round.remind": _l("提醒评委"),
    "round.release_comments": _l("发布评审意见"),
    "sheet.submit": _l("提交评分表"),
    "sheet.unlock": _l("解锁评分表"),
    "sheet.proxy_entry": _l("代录入评分表"),
    "edition.award_tiers": _l("设置奖项"),
    "round.award_tiers": _l("评定奖项"),
    "round.approve_amounts": _l("核定资助金额"),
    "conflict.declare": _l("登记利益冲突"),
    "sheet.reassign": _l("改派评分表"),
    "round.judge_groups": _l("设置评委组"),
}


def object_type_label(code: str) -> str:
    return str(OBJECT_TYPE_LABELS.get(code, code))


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))
