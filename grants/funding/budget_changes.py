"""Budget changes (预算调整): the team's lead proposes a whole new budget with a reason; the
organizer approves it (a new frozen BudgetVersion) or rejects it; the lead may withdraw it.

Rules, checked when asked and again when approved, under the grant's row lock: Σ lines = the
approved amount; no line below what is already accepted + pending on it; the edition's budget
rules (grants/proposals/budget.py check_budget, as on the proposal form); one open request per
grant (also a partial unique index).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from grants import audit, timeutil
from grants.auth.models import User
from grants.errors import Conflict, DomainError, InvalidTransition, NotAllowed
from grants.funding import expenses, policy, service
from grants.funding.models import (
    BudgetChange,
    BudgetItem,
    BudgetVersion,
    BudgetVersionLine,
    Grant,
)
from grants.money import format_fen
from grants.proposals import budget
from grants.proposals.models import BudgetCategory
from grants.proposals.service import budget_problem_message
from grants.states import StateMachine, Transition

MAX_REASON = 1000
MAX_ITEM = 100


@dataclass(frozen=True)
class ProposedLine:
    """One line of a proposed budget: an existing item (``item_id``) or a new one (category, item)."""

    item_id: int | None
    category_id: int | None
    item: str
    unit_price_fen: int
    quantity: int

    @property
    def amount_fen(self) -> int:
        return self.unit_price_fen * self.quantity

    def as_json(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "category_id": self.category_id,
            "item": self.item,
            "unit_price_fen": self.unit_price_fen,
            "quantity": self.quantity,
            "amount_fen": self.amount_fen,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProposedLine:
        return cls(data["item_id"], data["category_id"], data["item"], data["unit_price_fen"], data["quantity"])


def open_change(session: Session, grant_id: int) -> BudgetChange | None:
    return session.scalars(
        select(BudgetChange).where(BudgetChange.grant_id == grant_id, BudgetChange.status == "requested")
    ).first()


def version_lines(session: Session, version_id: int) -> dict[int, BudgetVersionLine]:
    lines = session.scalars(select(BudgetVersionLine).where(BudgetVersionLine.version_id == version_id))
    return {line.item_id: line for line in lines}


def _items(session: Session, grant_id: int) -> dict[int, BudgetItem]:
    items = session.scalars(select(BudgetItem).where(BudgetItem.grant_id == grant_id).order_by(BudgetItem.position))
    return {item.id: item for item in items}


def _check(session: Session, grant: Grant, lines: list[ProposedLine], current: BudgetVersion) -> list[ProposedLine]:
    """The proposed lines with money, checked against every rule.

    Raises: DomainError naming the first broken rule (the line by its row number).
    """
    items = _items(session, grant.id)
    seen: set[int] = set()
    for n, line in enumerate(lines, start=1):
        if line.item_id is not None:
            if line.item_id not in items:
                raise DomainError(_("第%(n)d行：预算科目不属于这个项目。", n=n))
            if line.item_id in seen:
                raise DomainError(_("第%(n)d行：预算科目重复。", n=n))
            seen.add(line.item_id)
        elif len(line.item.strip()) > MAX_ITEM:
            raise DomainError(_("第%(n)d行：支出项目不能超过%(max)d个字符。", n=n, max=MAX_ITEM))
        if line.unit_price_fen < 0 or line.quantity < 0:
            raise DomainError(_("第%(n)d行：单价和数量不能为负数。", n=n))
    total = sum(line.amount_fen for line in lines)
    if total != grant.approved_fen:
        raise DomainError(
            _(
                "调整后的预算合计%(total)s，应等于核定金额%(approved)s（相差%(diff)s）。",
                total=format_fen(total),
                approved=format_fen(grant.approved_fen),
                diff=format_fen(abs(total - grant.approved_fen)),
            )
        )
    spent = expenses.spent_by_item(session, grant.id)
    proposed = {line.item_id: line.amount_fen for line in lines if line.item_id is not None}
    for item_id, (accepted, pending) in spent.items():
        if proposed.get(item_id, 0) < accepted + pending:
            raise DomainError(
                _(
                    "“%(item)s”已有支出%(spent)s（含待审核），调整后不能低于这个数。",
                    item=items[item_id].item,
                    spent=format_fen(accepted + pending),
                )
            )
    before = version_lines(session, current.id)
    checked = [
        budget.Line(
            n,
            items[line.item_id].category_id if line.item_id is not None else line.category_id,
            items[line.item_id].item if line.item_id is not None else line.item,
            line.unit_price_fen,
            line.quantity,
        )
        for n, line in enumerate(lines, start=1)
        if line.amount_fen > 0 or line.item_id is None
    ]
    categories = session.scalars(select(BudgetCategory).where(BudgetCategory.edition_id == grant.edition_id))
    rules = {c.id: budget.CategoryRule(c.id, c.name, c.max_share_percent, c.max_unit_price_fen) for c in categories}
    unchanged = {
        n
        for n, line in enumerate(lines, start=1)
        if line.item_id in before
        and (before[line.item_id].unit_price_fen, before[line.item_id].quantity) == (line.unit_price_fen, line.quantity)
    }
    problems = [
        p
        for p in budget.check_budget(checked, rules, grant.approved_fen)
        # A line kept as approved stays approved (version 1 may hold an apportioned amount as one unit).
        if not (p.problem == budget.Problem.UNIT_PRICE_OVER_LIMIT and p.line in unchanged)
    ]
    if problems:
        raise DomainError(budget_problem_message(problems[0]))
    kept = [line for line in lines if line.amount_fen > 0]
    now = {line.item_id: (line.unit_price_fen, line.quantity) for line in kept if line.item_id is not None}
    if not any(line.item_id is None for line in kept) and now == {
        item_id: (v.unit_price_fen, v.quantity) for item_id, v in before.items() if v.amount_fen > 0
    }:
        raise DomainError(_("调整后的预算与当前预算相同。"))
    return kept


def _refusal(grant: Grant) -> str | None:
    if grant.status not in expenses.SPENDING:
        return _("资助项目当前状态下不能调整预算。")
    return None


def request_change(session: Session, *, actor, grant: Grant, lines: list[ProposedLine], reason: str) -> BudgetChange:
    """The lead asks for a new budget.

    Raises:
        NotAllowed: not the team's lead.
        Conflict: a request is already open.
        DomainError: the grant's state, no reason, a broken budget rule.
    """
    if not policy.can_report(actor, grant):
        raise NotAllowed(_("只有项目负责人可以申请预算调整。"))
    grant = service.lock(session, grant)
    refusal = _refusal(grant)
    if refusal:
        raise DomainError(refusal)
    if open_change(session, grant.id) is not None:
        raise Conflict(_("已有一份预算调整申请在等待审批，请等审批结束或先撤回。"))
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise DomainError(_("请填写调整原因（不超过%(n)d个字符）。", n=MAX_REASON), field="reason")
    current = service.current_budget(session, grant.id)
    if current is None:
        raise DomainError(_("资助协议签订后才有核定预算。"))
    kept = _check(session, grant, lines, current)
    change = BudgetChange(
        grant_id=grant.id,
        base_version_id=current.id,
        lines=[line.as_json() for line in kept],
        reason=reason,
        status="requested",
        requested_by_id=actor.id,
    )
    session.add(change)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="budget_change.request",
        obj=change,
        district_id=grant.edition.district_id,
        after={"grant_id": grant.id, "base_version": current.number, "lines": change.lines},
        reason=reason,
    )
    return change


def _grant_of(change: BudgetChange) -> Grant:
    return object_session(change).get(Grant, change.grant_id)


# requested → approved (a new frozen budget version) | rejected (with a reason) | withdrawn by the lead.
# Approving and rejecting are the decision step (decide_change checks the budget rules first).
budget_change_machine = StateMachine(
    "budget_change",
    [
        Transition(
            "requested",
            "approved",
            "budget_change.approve",
            lambda: _("批准"),
            lambda actor, change: policy.can_manage(actor, _grant_of(change)),
            step=lambda: _("审批预算调整"),
        ),
        Transition(
            "requested",
            "rejected",
            "budget_change.reject",
            lambda: _("驳回"),
            lambda actor, change: policy.can_manage(actor, _grant_of(change)),
            requires_reason=True,
            step=lambda: _("审批预算调整"),
        ),
        Transition(
            "requested",
            "withdrawn",
            "budget_change.withdraw",
            lambda: _("撤回"),
            lambda actor, change: policy.can_report(actor, _grant_of(change)),
        ),
    ],
    state_label=lambda status: {
        "requested": _("待审批"),
        "approved": _("已批准"),
        "rejected": _("已驳回"),
        "withdrawn": _("已撤回"),
    }.get(status, status),
    district_of=lambda change: _grant_of(change).edition.district_id,
)


def _decidable(session: Session, change: BudgetChange) -> Grant:
    grant = service.lock(session, session.get(Grant, change.grant_id))
    session.refresh(change)
    if change.status != "requested":
        raise InvalidTransition(_("这份预算调整申请已经处理过了。"))
    return grant


def decide_change(session: Session, *, actor, change: BudgetChange, approve: bool, note: str) -> BudgetChange:
    """The organizer approves (a new frozen version) or rejects (a reason needed) an open request.

    Raises:
        NotAllowed: not an organizer of the grant's district.
        InvalidTransition: already decided or withdrawn.
        DomainError: no reason for a rejection; a rule no longer holds (e.g. spending since).
    """
    if not policy.can_manage(actor, session.get(Grant, change.grant_id)):
        raise NotAllowed(_("只有主办方可以审批预算调整。"))
    grant = _decidable(session, change)
    note = (note or "").strip()
    if len(note) > MAX_REASON:
        raise DomainError(_("意见不能超过%(n)d个字符。", n=MAX_REASON), field="note")
    if not approve and not note:
        raise DomainError(_("驳回时请填写原因。"), field="note")
    if approve:
        refusal = _refusal(grant)
        if refusal:
            raise DomainError(refusal)
        current = service.current_budget(session, grant.id)
        if current is None or current.id != change.base_version_id:
            raise DomainError(_("申请所依据的预算已经不是当前预算，请驳回后由项目重新申请。"))
        kept = _check(session, grant, [ProposedLine.from_json(line) for line in change.lines], current)
        change.version_id = _new_version(session, grant, current, kept, actor, change.reason).id
    change.decided_by_id, change.decided_at, change.decision_note = actor.id, timeutil.now(), note
    budget_change_machine.transition(
        session,
        change,
        "approved" if approve else "rejected",
        actor=actor,
        reason=note or None,
        by_step=True,
        details={"version_id": change.version_id},
    )
    return change


def _new_version(
    session: Session, grant: Grant, current: BudgetVersion, lines: list[ProposedLine], actor, reason: str
) -> BudgetVersion:
    version = BudgetVersion(
        grant_id=grant.id,
        number=current.number + 1,
        total_fen=sum(line.amount_fen for line in lines),
        approved_by_id=actor.id,
        reason=reason,
    )
    session.add(version)
    session.flush()
    position = session.scalar(select(func.max(BudgetItem.position)).where(BudgetItem.grant_id == grant.id)) or 0
    for line in lines:
        item_id = line.item_id
        if item_id is None:
            position += 1
            item = BudgetItem(
                grant_id=grant.id, position=position, category_id=line.category_id, item=line.item.strip()
            )
            session.add(item)
            session.flush()
            item_id = item.id
        session.add(
            BudgetVersionLine(
                version_id=version.id,
                item_id=item_id,
                unit_price_fen=line.unit_price_fen,
                quantity=line.quantity,
                amount_fen=line.amount_fen,
            )
        )
    session.flush()
    return version


def withdraw_change(session: Session, *, actor, change: BudgetChange) -> BudgetChange:
    """Raises: NotAllowed (not the lead), InvalidTransition (no longer open)."""
    if not policy.can_report(actor, session.get(Grant, change.grant_id)):
        raise NotAllowed(_("只有项目负责人可以撤回预算调整申请。"))
    _decidable(session, change)
    change.decided_at = timeutil.now()
    budget_change_machine.transition(session, change, "withdrawn", actor=actor)
    return change


# --- what the pages show -------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffRow:
    label: str
    before_fen: int
    after_fen: int

    @property
    def changed(self) -> bool:
        return self.before_fen != self.after_fen


@dataclass(frozen=True)
class VersionView:
    version: BudgetVersion
    approver: str
    lines: list[tuple[str, BudgetVersionLine]]
    diff: list[DiffRow]  # against the previous version (empty for version 1)


def _labels(session: Session, grant_id: int) -> dict[int, str]:
    rows = session.execute(
        select(BudgetItem.id, BudgetCategory.name, BudgetItem.item)
        .join(BudgetCategory, BudgetCategory.id == BudgetItem.category_id)
        .where(BudgetItem.grant_id == grant_id)
        .order_by(BudgetItem.position)
    )
    return {item_id: f"{category} · {item}" for item_id, category, item in rows}


def _diff(labels: dict[int, str], before: dict[int, int], after: dict[int, int]) -> list[DiffRow]:
    return [
        DiffRow(label, before.get(item_id, 0), after.get(item_id, 0))
        for item_id, label in labels.items()
        if item_id in before or item_id in after
    ]


def versions(session: Session, grant_id: int) -> list[VersionView]:
    """Every approved budget of the grant, newest first, with the change from the one before
    (four queries whatever the number of versions)."""
    all_versions = list(
        session.scalars(select(BudgetVersion).where(BudgetVersion.grant_id == grant_id).order_by(BudgetVersion.number))
    )
    lines = session.scalars(
        select(BudgetVersionLine).where(BudgetVersionLine.version_id.in_([v.id for v in all_versions]))
    ).all()
    labels = _labels(session, grant_id)
    approver_ids = {v.approved_by_id for v in all_versions if v.approved_by_id}
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(approver_ids))).all())
    order = {item_id: i for i, item_id in enumerate(labels)}
    views, previous = [], None
    for version in all_versions:
        own = sorted((line for line in lines if line.version_id == version.id), key=lambda x: order.get(x.item_id, 0))
        amounts = {line.item_id: line.amount_fen for line in own}
        views.append(
            VersionView(
                version=version,
                approver=names.get(version.approved_by_id, ""),
                lines=[(labels.get(line.item_id, ""), line) for line in own],
                diff=_diff(labels, previous, amounts) if previous is not None else [],
            )
        )
        previous = amounts
    return list(reversed(views))


@dataclass(frozen=True)
class Section:
    """The grant page's budget section for this user."""

    current: BudgetVersion | None
    lines: list[tuple[str, BudgetVersionLine]]
    change: BudgetChange | None
    change_diff: list[DiffRow]
    change_new_lines: list[dict[str, Any]]
    may_request: bool
    may_decide: bool
    may_withdraw: bool


def section(session: Session, grant: Grant, user) -> Section:
    current = service.current_budget(session, grant.id)
    labels = _labels(session, grant.id)
    lines = version_lines(session, current.id) if current else {}
    change = open_change(session, grant.id)
    diff: list[DiffRow] = []
    new_lines: list[dict[str, Any]] = []
    if change is not None:
        proposed = {line["item_id"]: line["amount_fen"] for line in change.lines if line["item_id"] is not None}
        diff = _diff(labels, {k: v.amount_fen for k, v in lines.items()}, proposed)
        names = dict(
            session.execute(
                select(BudgetCategory.id, BudgetCategory.name).where(BudgetCategory.edition_id == grant.edition_id)
            ).all()
        )
        new_lines = [
            {**line, "category": names.get(line["category_id"], "")} for line in change.lines if line["item_id"] is None
        ]
    is_lead = policy.can_report(user, grant)
    return Section(
        current=current,
        lines=[(label, lines[item_id]) for item_id, label in labels.items() if item_id in lines],
        change=change,
        change_diff=diff,
        change_new_lines=new_lines,
        may_request=is_lead and current is not None and change is None and _refusal(grant) is None,
        may_decide=change is not None and policy.can_manage(user, grant),
        may_withdraw=change is not None and is_lead,
    )
