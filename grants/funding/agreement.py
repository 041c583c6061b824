"""The grant agreement (资助协议): what it says (for the PDF and the grant page), signing it with
the uploaded scan, and a change of the receiving unit or its account after signing, which a
different person with the finance role approves (four eyes, as for disbursements)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from grants import audit, timeutil
from grants.errors import DomainError, NotAllowed
from grants.funding import plan, policy, service, tranches
from grants.funding.capitals import fen_to_capitals
from grants.funding.models import (
    AccountChange,
    BudgetItem,
    BudgetVersionLine,
    Grant,
    GrantStatus,
)
from grants.proposals.attachments import CheckedUpload, Upload, store_checked_upload
from grants.proposals.models import Attachment, BudgetCategory, BudgetLine
from grants.results.documents import default_office
from grants.states import StateMachine, Transition

MAX_REASON = 500
# After signing and before the grant is closed the receiving account may still change.
ACCOUNT_CHANGEABLE = (
    GrantStatus.SIGNED.value,
    GrantStatus.IN_PROGRESS.value,
    GrantStatus.SUSPENDED.value,
    GrantStatus.COMPLETING.value,
)
ACCOUNT_FIELDS = ("receiving_unit", "account_name", "account_bank", "account_no")


@dataclass(frozen=True)
class TermTranche:
    position: int
    name: str
    percent_bp: int
    condition: str
    amount_fen: int


@dataclass(frozen=True)
class TermLine:
    category: str
    item: str
    unit_price_fen: int
    quantity: int
    amount_fen: int


@dataclass
class Terms:
    """What the agreement of one grant says. ``signed`` False: tranches and budget are what
    signing would fix (the edition's plan, the proposal's lines), marked as a draft."""

    grant: Grant
    number: str
    office: str
    team_lead: str
    team_members: list[str]
    amount_capitals: str
    signed: bool
    tranches: list[TermTranche] = field(default_factory=list)
    lines: list[TermLine] = field(default_factory=list)

    @property
    def lines_total_fen(self) -> int:
        return sum(line.amount_fen for line in self.lines)


def terms_of(session: Session, grant: Grant) -> Terms:
    """The agreement's content: the fixed tranches and current budget once signed, else the
    edition's plan split over the approved amount and the proposal's budget lines."""
    proposal = grant.proposal
    signed = grant.signed_on is not None
    return Terms(
        grant=grant,
        number=grant.agreement_no or service.agreement_number(grant),
        office=default_office(grant.edition),
        team_lead=proposal.applicant.display_name,
        team_members=[member.name for member in proposal.team],
        amount_capitals=fen_to_capitals(grant.approved_fen),
        signed=signed,
        tranches=_signed_tranches(session, grant) if signed else _planned_tranches(session, grant),
        lines=_budget_lines(session, grant) if signed else _proposal_lines(session, grant),
    )


def _signed_tranches(session: Session, grant: Grant) -> list[TermTranche]:
    return [
        TermTranche(t.position, t.name, t.percent_bp, t.condition, t.amount_fen)
        for t in service.tranches_of(session, grant.id)
    ]


def _planned_tranches(session: Session, grant: Grant) -> list[TermTranche]:
    parts = plan.as_parts(plan.plan_of(session, grant.edition_id)) or plan.default_parts()
    amounts = tranches.split(grant.approved_fen, parts)
    return [
        TermTranche(i, part.name, part.percent_bp, part.condition, amount)
        for i, (part, amount) in enumerate(zip(parts, amounts, strict=True), start=1)
    ]


def _budget_lines(session: Session, grant: Grant) -> list[TermLine]:
    version = service.current_budget(session, grant.id)
    if version is None:
        return []
    rows = session.execute(
        select(BudgetVersionLine, BudgetItem.item, BudgetCategory.name)
        .join(BudgetItem, BudgetItem.id == BudgetVersionLine.item_id)
        .join(BudgetCategory, BudgetCategory.id == BudgetItem.category_id)
        .where(BudgetVersionLine.version_id == version.id, BudgetVersionLine.amount_fen > 0)
        .order_by(BudgetItem.position)
    )
    return [
        TermLine(category, item, line.unit_price_fen, line.quantity, line.amount_fen) for line, item, category in rows
    ]


def _proposal_lines(session: Session, grant: Grant) -> list[TermLine]:
    rows = session.execute(
        select(BudgetLine, BudgetCategory.name)
        .join(BudgetCategory, BudgetCategory.id == BudgetLine.category_id)
        .where(BudgetLine.proposal_id == grant.proposal_id)
        .order_by(BudgetLine.position)
    )
    return [
        TermLine(category, line.item, line.unit_price_fen, line.quantity, line.amount_fen) for line, category in rows
    ]


def suggested_receiving_unit(grant: Grant) -> str:
    """The usual receiving unit: the community's residents' committee (居民委员会)."""
    community = grant.proposal.community
    return _("%(community)s居民委员会", community=community.name) if community is not None else ""


def sign_agreement(
    session: Session,
    *,
    actor,
    grant: Grant,
    signed_on: date | None,
    receiving_unit: str,
    account_name: str,
    account_bank: str,
    account_no: str,
    upload: Upload | CheckedUpload | None,
    upload_dir: Path,
) -> Grant:
    """Store the signed scan (checked by content, photos re-encoded) and record the signing.

    Raises:
        NotAllowed: not an organizer of the grant's district.
        DomainError: no date, a date in the future, no scan or not a photo/PDF, an incomplete
            account, already signed (the stored scan is removed again when the transaction rolls back).
    """
    if not policy.can_manage(actor, grant):
        raise NotAllowed(_("您没有权限管理这个资助项目。"))
    if signed_on is None:
        raise DomainError(_("请填写签订日期。"), field="signed_on")
    if signed_on > timeutil.today():
        raise DomainError(_("签订日期不能晚于今天。"), field="signed_on")
    service.check_account(receiving_unit, account_name, account_bank, account_no)
    if upload is None or not upload.data:
        raise DomainError(_("请上传签字盖章后的协议扫描件。"), field="scan")
    scan = store_checked_upload(session, actor=actor, upload=upload, upload_dir=upload_dir)
    audit.record(
        session,
        actor=actor,
        action="attachment.add",
        obj=scan,
        district_id=grant.edition.district_id,
        after={"grant_id": grant.id, "name": scan.original_name, "sha256": scan.sha256},
    )
    return service.sign(
        session,
        actor=actor,
        grant=grant,
        signed_on=signed_on,
        receiving_unit=receiving_unit,
        account_name=account_name,
        account_bank=account_bank,
        account_no=account_no,
        scan=scan,
    )


def agreement_scan(session: Session, grant: Grant) -> Attachment | None:
    return session.get(Attachment, grant.agreement_scan_id) if grant.agreement_scan_id else None


# --- change of the receiving unit or its account -----------------------------------------------


def account_change_status_label(status: str) -> str:
    labels = {"requested": _("待财务审批"), "approved": _("已同意"), "rejected": _("已驳回")}
    return labels.get(status, status)


def _grant_of(change: AccountChange) -> Grant:
    return object_session(change).get(Grant, change.grant_id)


def _other_finance(actor, change: AccountChange) -> bool:
    """Finance of the grant's district, and not the person who asked (four eyes)."""
    return policy.is_finance(actor, _grant_of(change)) and actor.id != change.requested_by_id


account_change_machine = StateMachine(
    "account_change",
    [
        Transition("requested", "approved", "account_change.approve", lambda: _("同意变更"), _other_finance),
        Transition(
            "requested",
            "rejected",
            "account_change.reject",
            lambda: _("驳回"),
            _other_finance,
            requires_reason=True,
            style="danger",
        ),
    ],
    state_label=account_change_status_label,
    district_of=lambda change: _grant_of(change).edition.district_id,
)


def open_account_change(session: Session, grant_id: int) -> AccountChange | None:
    return session.scalars(
        select(AccountChange).where(AccountChange.grant_id == grant_id, AccountChange.status == "requested")
    ).first()


def _account_of(obj) -> dict[str, str]:
    return {name: getattr(obj, name) for name in ACCOUNT_FIELDS}


def request_account_change(
    session: Session,
    *,
    actor,
    grant: Grant,
    receiving_unit: str,
    account_name: str,
    account_bank: str,
    account_no: str,
    reason: str,
) -> AccountChange:
    """The organizer asks to change the receiving unit or its account; nothing changes until a
    different person with the finance role approves.

    Raises:
        NotAllowed: not an organizer of the grant's district.
        DomainError: not signed or already closed, incomplete account, no reason, nothing would
            change, or another request is still open.
    """
    if not policy.can_manage(actor, grant):
        raise NotAllowed(_("您没有权限管理这个资助项目。"))
    grant = service.lock(session, grant)
    if grant.status not in ACCOUNT_CHANGEABLE:
        raise DomainError(_("只有已签订协议、尚未结项或终止的资助项目可以变更收款账户。"))
    values = service.check_account(receiving_unit, account_name, account_bank, account_no)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写变更原因。"), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(_("变更原因不能超过%(max)d个字符。", max=MAX_REASON), field="reason")
    if values == tuple(_account_of(grant).values()):
        raise DomainError(_("新的收款单位和账户与现在的相同，无需变更。"))
    if open_account_change(session, grant.id) is not None:
        raise DomainError(_("这个资助项目已有一项待审批的收款账户变更，请等财务审批后再提出。"))
    change = AccountChange(
        grant_id=grant.id, **dict(zip(ACCOUNT_FIELDS, values, strict=True)), reason=reason, requested_by_id=actor.id
    )
    try:
        with session.begin_nested():  # the partial unique index decides a race the lock did not
            session.add(change)
    except IntegrityError:
        raise DomainError(_("这个资助项目已有一项待审批的收款账户变更，请等财务审批后再提出。")) from None
    audit.record(
        session,
        actor=actor,
        action="account_change.request",
        obj=change,
        district_id=grant.edition.district_id,
        before=_account_of(grant),
        after={"grant_id": grant.id, **_account_of(change)},
        reason=reason,
    )
    return change


def decide_account_change(
    session: Session, *, actor, grant: Grant, change: AccountChange, approve: bool, note: str
) -> AccountChange:
    """Finance approves (the grant's account is replaced) or rejects (with a reason) a request.

    Raises:
        NotAllowed: not finance of the grant's district, or the person who asked (four eyes,
            also for an organizer who also holds the finance role).
        DomainError: already decided; a rejection without a reason.
    """
    if change.grant_id != grant.id or not policy.is_finance(actor, grant):
        raise NotAllowed(_("只有本区财务人员可以审批收款账户变更。"))
    grant = service.lock(session, grant)
    change = session.scalars(
        select(AccountChange)
        .where(AccountChange.id == change.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if change.status != "requested":
        raise DomainError(_("这项收款账户变更已经处理过了。"))
    if change.requested_by_id == actor.id:
        raise NotAllowed(_("提出变更的人不能审批自己的变更，请由另一位财务人员审批。"))
    note = (note or "").strip()
    if len(note) > MAX_REASON:
        raise DomainError(_("审批意见不能超过%(max)d个字符。", max=MAX_REASON), field="note")
    if not approve and not note:
        raise DomainError(_("驳回时请填写原因。"), field="note")
    before = _account_of(grant)
    change.decided_by_id, change.decided_at, change.decision_note = actor.id, timeutil.now(), note
    target = "approved" if approve else "rejected"
    account_change_machine.transition(session, change, target, actor=actor, reason=note or None)
    if approve:
        for name in ACCOUNT_FIELDS:
            setattr(grant, name, getattr(change, name))
        audit.record(
            session,
            actor=actor,
            action="grant.account_change",
            obj=grant,
            district_id=grant.edition.district_id,
            before=before,
            after={"account_change_id": change.id, **_account_of(grant)},
        )
    session.flush()
    return change
