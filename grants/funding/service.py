"""The funding core every funding service builds on: the grant's row lock, the tranche
conditions, and signing the agreement (which fixes the tranches and the first budget version).

Every funding write locks its grant's row first (``lock``): on PostgreSQL a row lock inside the
SERIALIZABLE transaction, on SQLite the write lock BEGIN IMMEDIATE already holds. Rules of the
form "at most once" (a tranche paid once, one open budget change) also have a database
constraint; the lock makes the Python checks see the committed state.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from grants import timeutil
from grants.errors import DomainError, NotAllowed
from grants.funding import plan, policy, tranches
from grants.funding.models import (
    BudgetItem,
    BudgetVersion,
    BudgetVersionLine,
    Grant,
    GrantEvaluation,
    GrantStatus,
    Tranche,
)
from grants.funding.states import grant_machine
from grants.funding.tranches import Condition
from grants.proposals.models import Attachment, BudgetLine

# States in which money may flow to the grant (a tranche may be requested, approved or paid).
PAYABLE = (GrantStatus.SIGNED.value, GrantStatus.IN_PROGRESS.value, GrantStatus.COMPLETING.value)
MAX_ACCOUNT_FIELD = 100
MAX_ACCOUNT_NO = 40


def lock(session: Session, grant: Grant) -> Grant:
    """Take the grant's row lock and re-read it: every funding write starts here. Only the grant's
    own row is read again; its proposal (and the proposal's team, plan, budget and attachments)
    is loaded when used, from the session when it is there already."""
    return session.scalars(
        select(Grant)
        .where(Grant.id == grant.id)
        .with_for_update(of=Grant)
        .options(lazyload(Grant.proposal))
        .execution_options(populate_existing=True)
    ).one()


def tranches_of(session: Session, grant_id: int) -> list[Tranche]:
    return list(session.scalars(select(Tranche).where(Tranche.grant_id == grant_id).order_by(Tranche.position)))


def latest_evaluation(session: Session, grant_id: int, kind: str) -> GrantEvaluation | None:
    return session.scalars(
        select(GrantEvaluation)
        .where(GrantEvaluation.grant_id == grant_id, GrantEvaluation.kind == kind)
        .order_by(GrantEvaluation.evaluated_at.desc(), GrantEvaluation.id.desc())
        .limit(1)
    ).first()


def condition_refusal(session: Session, grant: Grant, tranche: Tranche) -> str | None:
    """Why this tranche may not be paid now (its release condition, the grant's state), or None."""
    if grant.status == GrantStatus.SUSPENDED.value:
        return _("资助已停拨，恢复之前不能拨款。")
    if grant.status not in PAYABLE:
        return _("资助当前状态下不能拨款。")
    if tranche.condition == Condition.AFTER_MIDTERM_PASSED.value:
        evaluation = latest_evaluation(session, grant.id, "midterm")
        if evaluation is None or not evaluation.passed:
            return _("“%(name)s”须在中期评估通过后拨付。", name=tranche.name)
    if tranche.condition == Condition.AFTER_FINAL_PASSED.value:
        evaluation = latest_evaluation(session, grant.id, "final")
        if evaluation is None or not evaluation.passed:
            return _("“%(name)s”须在结项评估通过后拨付。", name=tranche.name)
    return None


def check_account(receiving_unit: str, account_name: str, account_bank: str, account_no: str) -> tuple[str, ...]:
    """The receiving unit and its account, cleaned.

    Raises: DomainError naming the field that is missing or too long.
    """
    values = tuple(v.strip() for v in (receiving_unit, account_name, account_bank, account_no))
    labels = (_("收款单位"), _("账户名称"), _("开户银行"), _("银行账号"))
    for value, label, field, limit in zip(
        values,
        labels,
        ("receiving_unit", "account_name", "account_bank", "account_no"),
        (MAX_ACCOUNT_FIELD, MAX_ACCOUNT_FIELD, MAX_ACCOUNT_FIELD, MAX_ACCOUNT_NO),
        strict=True,
    ):
        if not value:
            raise DomainError(_("请填写%(field)s。", field=label), field=field)
        if len(value) > limit:
            raise DomainError(_("%(field)s不能超过%(max)d个字符。", field=label, max=limit), field=field)
    digits = values[3].replace(" ", "").replace("-", "")
    if not (digits.isascii() and digits.isdigit() and 6 <= len(digits) <= 32):
        raise DomainError(_("银行账号应为6到32位数字。"), field="account_no")
    return (*values[:3], digits)


def sign(
    session: Session,
    *,
    actor,
    grant: Grant,
    signed_on: date,
    receiving_unit: str,
    account_name: str,
    account_bank: str,
    account_no: str,
    scan: Attachment,
) -> Grant:
    """Record the signed agreement: who, when, the receiving unit and its account, the scan.

    Fixes the grant's tranches from the edition's plan (the plan is locked from now on) and its
    first budget version from the proposal's lines fitted to the approved amount. grant → signed.

    Raises:
        NotAllowed: not an organizer of the grant's district.
        DomainError: already signed, a date in the future, an incomplete account.
    """
    if not policy.can_manage(actor, grant):
        raise NotAllowed(_("您没有权限管理这个资助项目。"))
    grant = lock(session, grant)
    if grant.status != GrantStatus.APPROVED.value:
        raise DomainError(_("这份资助协议已经登记签订。"))
    if signed_on > timeutil.today():
        raise DomainError(_("签订日期不能晚于今天。"), field="signed_on")
    unit, name, bank, number = check_account(receiving_unit, account_name, account_bank, account_no)
    parts = plan.as_parts(plan.ensure_tranche_plan(session, grant.edition))
    amounts = tranches.split(grant.approved_fen, parts)
    session.add_all(
        Tranche(
            grant_id=grant.id,
            position=i,
            name=part.name,
            percent_bp=part.percent_bp,
            condition=part.condition,
            amount_fen=amount,
        )
        for i, (part, amount) in enumerate(zip(parts, amounts, strict=True), start=1)
    )
    _first_budget(session, grant, actor)
    grant.receiving_unit, grant.account_name, grant.account_bank, grant.account_no = unit, name, bank, number
    grant.signed_on, grant.signed_by_id, grant.signed_at = signed_on, actor.id, timeutil.now()
    grant.agreement_scan_id = scan.id
    if not grant.agreement_no:
        grant.agreement_no = agreement_number(grant)
    grant_machine.transition(session, grant, GrantStatus.SIGNED.value, actor=actor, by_step=True)
    return grant


def agreement_number(grant: Grant) -> str:
    """协议编号: edition number and grant id, stable and unique (e.g. 第3届 grant 17 → WCT-03-0017)."""
    return f"WCT-{grant.edition.number:02d}-{grant.id:04d}"


def _first_budget(session: Session, grant: Grant, actor) -> BudgetVersion:
    """Version 1: the proposal's budget lines, their amounts fitted to the approved amount."""
    lines = list(
        session.scalars(
            select(BudgetLine).where(BudgetLine.proposal_id == grant.proposal_id).order_by(BudgetLine.position)
        )
    )
    if not lines:
        raise DomainError(_("申报书没有预算明细，不能生成核定预算。"))
    requested = [line.amount_fen for line in lines]
    amounts = requested if sum(requested) == grant.approved_fen else tranches.apportion(grant.approved_fen, requested)
    version = BudgetVersion(
        grant_id=grant.id,
        number=1,
        total_fen=grant.approved_fen,
        approved_by_id=actor.id,
        reason=_("签订资助协议时按申报预算核定"),
    )
    session.add(version)
    session.flush()
    for position, (line, amount) in enumerate(zip(lines, amounts, strict=True), start=1):
        item = BudgetItem(grant_id=grant.id, position=position, category_id=line.category_id, item=line.item)
        session.add(item)
        session.flush()
        same = amount == line.amount_fen
        session.add(
            BudgetVersionLine(
                version_id=version.id,
                item_id=item.id,
                unit_price_fen=line.unit_price_fen if same else amount,
                quantity=line.quantity if same else 1,
                amount_fen=amount,
            )
        )
    session.flush()
    return version


def current_budget(session: Session, grant_id: int) -> BudgetVersion | None:
    return session.scalars(
        select(BudgetVersion).where(BudgetVersion.grant_id == grant_id).order_by(BudgetVersion.number.desc()).limit(1)
    ).first()


def change_status(session: Session, *, actor, grant: Grant, target: str, reason: str | None) -> Grant:
    """A move by hand (suspend, resume, settle, terminate) under the grant's lock; the reason of a
    suspension or termination is kept on the grant to show on its page."""
    grant = lock(session, grant)
    grant_machine.transition(session, grant, target, actor=actor, reason=reason)
    grant.status_reason = (reason or "").strip() if target in _WITH_REASON else ""
    return grant


_WITH_REASON = (GrantStatus.SUSPENDED.value, GrantStatus.TERMINATED.value)
