"""An edition's tranche plan (拨付计划): the default 60 / 40, and the organizer's changes.

The plan is edited as a whole (add, remove, reorder parts, change shares) because only the
whole can add up to 100 %. It is editable until the first grant of the edition is signed:
after that, tranches of signed agreements were computed from it and must not drift.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import audit
from grants.editions.models import Edition
from grants.errors import DomainError, NotAllowed
from grants.funding import policy, tranches
from grants.funding.models import Grant, TranchePlanPart
from grants.funding.tranches import Condition, Part, PlanError


def condition_labels() -> dict[str, str]:
    return {
        Condition.ON_SIGNING.value: _("签订资助协议后"),
        Condition.AFTER_MIDTERM_PASSED.value: _("中期评估通过后"),
        Condition.AFTER_FINAL_PASSED.value: _("结项评估通过后"),
    }


def default_parts() -> list[Part]:
    """60 % when the agreement is signed, 40 % after the final acceptance."""
    return [
        Part(_("首期款"), 6000, Condition.ON_SIGNING.value),
        Part(_("尾款"), 4000, Condition.AFTER_FINAL_PASSED.value),
    ]


def plan_of(session: Session, edition_id: int) -> list[TranchePlanPart]:
    return list(
        session.scalars(
            select(TranchePlanPart).where(TranchePlanPart.edition_id == edition_id).order_by(TranchePlanPart.position)
        )
    )


def ensure_tranche_plan(session: Session, edition: Edition) -> list[TranchePlanPart]:
    """The edition's plan, creating the default the first time it is needed."""
    parts = plan_of(session, edition.id)
    if not parts:
        parts = _rows(edition.id, default_parts())
        session.add_all(parts)
        session.flush()
    return parts


def as_parts(rows: list[TranchePlanPart]) -> list[Part]:
    return [Part(row.name, row.percent_bp, row.condition) for row in rows]


def locked(session: Session, edition_id: int) -> bool:
    """True once any grant of the edition has a signed agreement."""
    signed = select(Grant.id).where(Grant.edition_id == edition_id, Grant.signed_at.is_not(None)).limit(1)
    return session.scalar(signed) is not None


def replace_plan(session: Session, *, actor, edition: Edition, parts: list[Part]) -> list[TranchePlanPart]:
    """Replace the edition's plan with `parts` (in that order) and audit the change.

    Raises:
        NotAllowed: not an organizer of the edition's district.
        DomainError: a grant of the edition is already signed, or the plan breaks a rule
            (the message names the part and the rule).
    """
    if not policy.can_edit_tranche_plan(actor, edition):
        raise NotAllowed(_("您没有权限修改这届大赛。"))
    if locked(session, edition.id):
        raise DomainError(_("本届已有资助协议签订，拨付计划不能再修改。"))
    try:
        cleaned = tranches.validate(parts)
    except PlanError as err:
        raise DomainError(plan_error_message(err)) from err
    current = ensure_tranche_plan(session, edition)
    before = _snapshot(as_parts(current))
    after = _snapshot(list(cleaned))
    if before == after:
        return current
    for row in current:
        session.delete(row)
    session.flush()  # UNIQUE(edition_id, position): the old rows go before the new ones come
    rows = _rows(edition.id, list(cleaned))
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="tranche_plan.update",
        obj=edition,
        district_id=edition.district_id,
        before={"parts": before},
        after={"parts": after},
    )
    return rows


def plan_error_message(err: PlanError) -> str:
    """The rule a plan breaks, in the user's language, naming the part (counted from 1)."""
    n = (err.index or 0) + 1
    messages = {
        "empty": lambda: _("拨付计划至少要有一期。"),
        "too_many": lambda: _("拨付计划最多%(max)d期。", max=tranches.MAX_PARTS),
        "name_missing": lambda: _("第%(n)d期：请填写名称。", n=n),
        "name_too_long": lambda: _("第%(n)d期：名称不能超过%(max)d个字符。", n=n, max=tranches.MAX_NAME_LENGTH),
        "name_repeated": lambda: _("第%(n)d期：名称与前面的一期重复。", n=n),
        "percent_not_positive": lambda: _("第%(n)d期：比例必须大于0。", n=n),
        "condition_unknown": lambda: _("第%(n)d期：请从列表中选择拨付条件。", n=n),
        "condition_order": lambda: _("第%(n)d期：拨付条件不能早于前一期（应按签约、中期、结项的顺序排列）。", n=n),
        "total": lambda: _(
            "各期比例合计应为100%%，现在是%(total)s%%。",
            total=tranches.bp_to_percent(int(err.details.get("total_bp", 0))),
        ),
    }
    return messages.get(err.code, lambda: _("拨付计划有误。"))()


def _rows(edition_id: int, parts: list[Part]) -> list[TranchePlanPart]:
    return [
        TranchePlanPart(
            edition_id=edition_id, position=i, name=part.name, percent_bp=part.percent_bp, condition=part.condition
        )
        for i, part in enumerate(parts, start=1)
    ]


def _snapshot(parts: list[Part]) -> list[dict]:
    return [{"name": p.name, "percent_bp": p.percent_bp, "condition": p.condition} for p in parts]
