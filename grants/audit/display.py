"""The audit log as an organizer reads it: labelled fields and states, yuan, Beijing time, names.

Entries store raw values (ids, status codes, fen, UTC ISO times). This module turns one page of
them into readable changes; the names of every object the page mentions are loaded with one query
per kind of object, whatever the number of entries.
"""

from __future__ import annotations

import ast
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants.audit.labels import action_label, object_type_label
from grants.audit.models import AuditEntry
from grants.money import format_fen
from grants.timeutil import format_local

FIELD_LABELS = {
    "status": _l("状态"),
    "name": _l("名称"),
    "title": _l("标题"),
    "number": _l("编号"),
    "theme": _l("主题"),
    "description": _l("说明"),
    "reason": _l("原因"),
    "outcome": _l("结论"),
    "tier": _l("奖项"),
    "tiers": _l("奖项"),
    "role": _l("角色"),
    "user": _l("用户"),
    "user_id": _l("用户"),
    "login": _l("登录名"),
    "display_name": _l("姓名"),
    "judge_id": _l("评委"),
    "judges": _l("评委"),
    "proposal_id": _l("申报项目"),
    "first": _l("第一名"),
    "round": _l("评审轮次"),
    "round_id": _l("评审轮次"),
    "edition_id": _l("大赛届次"),
    "publication_id": _l("公示"),
    "supersedes": _l("更正的公示"),
    "district_id": _l("区"),
    "street_id": _l("街道"),
    "community_id": _l("社区"),
    "street": _l("街道"),
    "approved_fen": _l("核定金额"),
    "requested_fen": _l("申请金额"),
    "total_fen": _l("合计金额"),
    "cap_fen": _l("单个项目资助上限"),
    "pool_fen": _l("资金总额"),
    "max_unit_price_fen": _l("单价上限"),
    "max_share_percent": _l("占比上限（%）"),
    "submission_opens_at": _l("申报开始时间"),
    "submission_closes_at": _l("申报截止时间"),
    "opens_at": _l("异议期开始"),
    "closes_at": _l("异议期结束"),
    "categories": _l("项目类别"),
    "min_team_size": _l("团队最少人数"),
    "one_proposal_per_applicant": _l("每人限报一个项目"),
    "position": _l("顺序"),
    "max_points": _l("满分"),
    "kind": _l("类型"),
    "mode": _l("评审方式"),
    "aggregation": _l("汇总方式"),
    "advancement": _l("晋级规则"),
    "judges_per_proposal": _l("每个项目评委人数"),
    "trim_min_judges": _l("去掉最高最低分的最少评委数"),
    "normalize": _l("标准分"),
    "blind": _l("匿名评审"),
    "advance_top_n": _l("晋级名额"),
    "advance_min_score": _l("晋级分数线"),
    "weight_percent": _l("计入总分的比例（%）"),
    "entries": _l("名单条数"),
    "ranked": _l("排名项目数"),
    "advanced": _l("晋级项目数"),
    "combined": _l("合并计分"),
    "sheets_created": _l("生成评分表"),
    "sheets_removed": _l("撤回评分表"),
    "proposals": _l("申报项目数"),
    "attachment": _l("附件"),
    "removed": _l("已移出名单"),
    "submitted": _l("已提交"),
    "points": _l("各项得分"),
    "window_days": _l("异议期（工作日）"),
    "office_name": _l("发布单位"),
    "day": _l("日期"),
    "workday": _l("调休上班"),
    "sha256": _l("文件指纹"),
    "message": _l("提醒内容"),
    "groups": _l("评委组"),
    "weights": _l("权重"),
    "results": _l("作废的结果数"),
    "total": _l("合计"),
    "streets_created": _l("新建街道数"),
    "communities_created": _l("新建社区数"),
    "already_present": _l("已存在"),
    "year": _l("年度"),
}

# Fields whose value is the id of an object (a list of ids for "judges"), shown by its name.
REFERENCES = {
    "proposal_id": "Proposal",
    "first": "Proposal",
    "user_id": "User",
    "judge_id": "User",
    "round_id": "Round",
    "edition_id": "Edition",
    "publication_id": "Publication",
    "supersedes": "Publication",
    "district_id": "District",
    "street_id": "Street",
    "community_id": "Community",
}
# Fields holding a list of ids ("judges" elsewhere is a count).
LIST_REFERENCES = {"judges": "User"}
# A field left out when the other one says the same by name ("user" is the user's display name).
SAID_BY = {"user_id": "user"}
# Fields holding {object id: value} (older entries stored them as the text of a Python dict).
KEYED = {"approved_fen": "Proposal", "tiers": "Proposal", "points": "Criterion"}


def _status_labels() -> dict[str, Callable[[str], str]]:
    from grants.editions.states import edition_status_label, round_status_label
    from grants.funding.states import report_status_label
    from grants.judging.states import sheet_status_label
    from grants.proposals.states import proposal_status_label
    from grants.results.states import objection_status_label, publication_status_label

    return {
        "Edition": edition_status_label,
        "Round": round_status_label,
        "Proposal": proposal_status_label,
        "Assignment": sheet_status_label,
        "Publication": publication_status_label,
        "Objection": objection_status_label,
        "GrantReport": report_status_label,
    }


def _value_labels() -> dict[str, Callable[[str], str]]:
    from grants.auth.labels import role_label
    from grants.editions import labels

    outcomes = {"pass": _l("通过"), "fail": _l("不通过")}
    return {
        "role": role_label,
        "outcome": lambda v: str(outcomes.get(v, v)),
        "kind": lambda v: labels.label(labels.KIND_LABELS, v),
        "mode": lambda v: labels.label(labels.MODE_LABELS, v),
        "aggregation": lambda v: labels.label(labels.AGGREGATION_LABELS, v),
        "advancement": lambda v: labels.label(labels.ADVANCEMENT_LABELS, v),
    }


def _name_queries() -> dict[str, Callable[[set[int]], Any]]:
    """For each kind of object: a query of (id, name parts …) for a set of ids."""
    from grants.auth.models import RoleGrant, User
    from grants.editions.models import Criterion, Edition, Round
    from grants.funding.models import Grant
    from grants.judging.models import Assignment, ConflictOfInterest, EligibilityDecision
    from grants.org.models import Community, District, Street
    from grants.proposals.models import Attachment, BudgetCategory, Proposal
    from grants.reports.models import DocumentJob
    from grants.results.models import Holiday, Objection, Publication, PublicationEntry

    def simple(column):
        return lambda ids: select(column.class_.id, column).where(column.class_.id.in_(ids))

    def of_proposal(model):
        return lambda ids: (
            select(model.id, Proposal.title).join(Proposal, Proposal.id == model.proposal_id).where(model.id.in_(ids))
        )

    def with_judge(model):
        return lambda ids: (
            select(model.id, Proposal.title, User.display_name)
            .join(Proposal, Proposal.id == model.proposal_id)
            .join(User, User.id == model.judge_id)
            .where(model.id.in_(ids))
        )

    return {
        "User": simple(User.display_name),
        "District": simple(District.name),
        "Street": simple(Street.name),
        "Community": simple(Community.name),
        "Edition": simple(Edition.name),
        "Round": lambda ids: (
            select(Round.id, Edition.name, Round.name)
            .join(Edition, Edition.id == Round.edition_id)
            .where(Round.id.in_(ids))
        ),
        "Criterion": simple(Criterion.name),
        "Proposal": simple(Proposal.title),
        "Attachment": simple(Attachment.original_name),
        "BudgetCategory": simple(BudgetCategory.name),
        "Publication": simple(Publication.title),
        "DocumentJob": simple(DocumentJob.filename),
        "Holiday": lambda ids: select(Holiday.id, Holiday.day, Holiday.name).where(Holiday.id.in_(ids)),
        "Grant": of_proposal(Grant),
        "EligibilityDecision": of_proposal(EligibilityDecision),
        "Objection": lambda ids: (
            select(Objection.id, PublicationEntry.title)
            .join(PublicationEntry, PublicationEntry.id == Objection.entry_id)
            .where(Objection.id.in_(ids))
        ),
        "Assignment": with_judge(Assignment),
        "ConflictOfInterest": with_judge(ConflictOfInterest),
        "RoleGrant": lambda ids: (
            select(RoleGrant.id, User.display_name, RoleGrant.role)
            .join(User, User.id == RoleGrant.user_id)
            .where(RoleGrant.id.in_(ids))
        ),
    }


def _revive(key: str, value: Any) -> Any:
    """Older entries stored dicts as their Python text ("{11: 430000}"): read them back, safely."""
    legacy = set(KEYED) | {"groups", "weights"}
    if key in legacy and isinstance(value, str) and value.startswith(("{", "[")):
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return value
    return value


def _ids(value: Any) -> list[int]:
    items = value if isinstance(value, list) else [value]
    return [int(i) for i in items if isinstance(i, int) or (isinstance(i, str) and i.isdigit())]


def _references(entries: Iterable[AuditEntry]) -> dict[str, set[int]]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        if entry.object_id is not None:
            wanted[entry.object_type].add(entry.object_id)
        for values in (entry.before or {}, entry.after or {}):
            for key, value in values.items():
                value = _revive(key, value)
                if key in REFERENCES:
                    wanted[REFERENCES[key]].update(_ids(value))
                elif key in LIST_REFERENCES and isinstance(value, list):
                    wanted[LIST_REFERENCES[key]].update(_ids(value))
                elif key in KEYED and isinstance(value, dict):
                    wanted[KEYED[key]].update(_ids(list(value)))
                elif key == "groups" and isinstance(value, dict):
                    for members in value.values():
                        wanted["User"].update(_ids(members))
    return wanted


def load_names(session: Session, wanted: dict[str, set[int]]) -> dict[tuple[str, int], str]:
    """(object type, id) → readable name; one query per kind of object present."""
    queries = _name_queries()
    role_label = _value_labels()["role"]
    names: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        if kind not in queries or not ids:
            continue
        for ident, *parts in session.execute(queries[kind](ids)):
            if kind == "RoleGrant":
                parts = [parts[0], role_label(parts[1])]
            names[(kind, ident)] = " · ".join(p.isoformat() if isinstance(p, date) else str(p) for p in parts if p)
    return names


@dataclass
class Change:
    label: str
    before: str | None  # None: the field was not there
    after: str | None


@dataclass
class EntryView:
    entry: AuditEntry
    actor: str
    action: str
    object_kind: str
    object_name: str
    changes: list[Change]
    raw: str


class _Formatter:
    def __init__(self, names: dict[tuple[str, int], str]):
        self.names = names
        self.statuses = _status_labels()
        self.values = _value_labels()
        chinese = str(get_locale()).startswith("zh")
        self.sep, self._item_sep, self._colon = ("、", "；", "：") if chinese else (", ", "; ", ": ")

    def items(self, pairs: Iterable[tuple[str, str]]) -> str:
        return self._item_sep.join(f"{name}{self._colon}{value}" for name, value in pairs)

    def name(self, kind: str, ident: Any) -> str:
        ids = _ids(ident)
        if not ids:
            return str(ident)
        return self.names.get((kind, ids[0]), f"#{ids[0]}")

    def value(self, key: str, value: Any, object_type: str) -> str:
        value = _revive(key, value)
        if value is None or value in ("", {}, []):
            return _("（空）")
        if isinstance(value, bool):
            return _("是") if value else _("否")
        if key == "status" and object_type in self.statuses:
            return self.statuses[object_type](value)
        if key in self.values and isinstance(value, str):
            return self.values[key](value)
        if key in REFERENCES:
            return self.name(REFERENCES[key], value)
        if key in LIST_REFERENCES and isinstance(value, list):
            return self.sep.join(self.name(LIST_REFERENCES[key], i) for i in value)
        if key in KEYED and isinstance(value, dict):
            return self.items((self.name(KEYED[key], k), self.value(key, v, object_type)) for k, v in value.items())
        if key.endswith("_fen") and isinstance(value, int):
            return format_fen(value)
        if key == "tiers" and isinstance(value, list):  # the edition's tiers: [name, count] pairs
            return self.sep.join(f"{pair[0]} × {pair[1]}" if isinstance(pair, list) else str(pair) for pair in value)
        if key == "groups" and isinstance(value, dict):
            return self.items((g, self.sep.join(self.name("User", j) for j in _ids(m))) for g, m in value.items())
        if (key.endswith("_at") or key == "day") and isinstance(value, str):
            return _local_time(value)
        if isinstance(value, dict):
            return self.items((_field_label(str(k)), self.value(str(k), v, object_type)) for k, v in value.items())
        if isinstance(value, list):
            return self.sep.join(self.value(key, v, object_type) for v in value)
        return str(value)


def _local_time(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:  # a plain date ("2026-10-01")
        return text
    return format_local(moment)


def _field_label(key: str, value: Any = None) -> str:
    if key in LIST_REFERENCES and isinstance(value, int):
        return _("评委人数")
    return str(FIELD_LABELS.get(key, key))


def _changes(fmt: _Formatter, entry: AuditEntry) -> list[Change]:
    """One change per field; a {proposal: value} field changed in place lists only the proposals that changed."""
    before = {k: _revive(k, v) for k, v in (entry.before or {}).items()}
    after = {k: _revive(k, v) for k, v in (entry.after or {}).items()}
    changes = []
    for key in dict.fromkeys([*before, *after]):
        if key in SAID_BY and (SAID_BY[key] in before or SAID_BY[key] in after):
            continue
        old, new = before.get(key), after.get(key)
        if key in KEYED and isinstance(old, dict) and isinstance(new, dict) and old:
            for item in dict.fromkeys([*map(str, old), *map(str, new)]):
                was = {str(k): v for k, v in old.items()}.get(item)
                now_ = {str(k): v for k, v in new.items()}.get(item)
                if was != now_:
                    changes.append(
                        Change(
                            label=f"{_field_label(key)} · {fmt.name(KEYED[key], item)}",
                            before=None if was is None else fmt.value(key, was, entry.object_type),
                            after=None if now_ is None else fmt.value(key, now_, entry.object_type),
                        )
                    )
            continue
        changes.append(
            Change(
                label=_field_label(key, new if key in after else old),
                before=fmt.value(key, old, entry.object_type) if key in before else None,
                after=fmt.value(key, new, entry.object_type) if key in after else None,
            )
        )
    return changes


def present(session: Session, entries: list[AuditEntry]) -> list[EntryView]:
    """Readable views of one page of entries (bounded queries: one per kind of object named)."""
    fmt = _Formatter(load_names(session, _references(entries)))
    views = []
    for entry in entries:
        name = fmt.names.get((entry.object_type, entry.object_id), "") if entry.object_id is not None else ""
        views.append(
            EntryView(
                entry=entry,
                actor=_("系统") if entry.actor_id is None and entry.actor_name == "system" else entry.actor_name,
                action=action_label(entry.action),
                object_kind=object_type_label(entry.object_type),
                object_name=name,
                changes=_changes(fmt, entry),
                raw=json.dumps({"before": entry.before, "after": entry.after}, ensure_ascii=False, indent=1),
            )
        )
    return views
