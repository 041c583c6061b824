"""The organizer's budget rules of an edition (budget categories with their limits)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants import audit
from grants.editions import policy
from grants.editions.models import Edition
from grants.errors import Conflict, DomainError, NotAllowed
from grants.proposals.models import BudgetCategory, Proposal
from grants.proposals.service import ensure_budget_categories


@dataclass
class CategoryData:
    name: str
    max_share_percent: int | None = None
    max_unit_price_fen: int | None = None


def _editable(session: Session, actor, edition: Edition) -> None:
    """Rules change only before anyone applies, so no stored budget can break a rule set later."""
    if not policy.can_manage_edition(actor, edition):
        raise NotAllowed(_("您没有权限修改这届大赛。"))
    if session.scalar(select(func.count()).select_from(Proposal).where(Proposal.edition_id == edition.id)):
        raise DomainError(_("已经有居民开始申报，预算规则不能再修改。"))


def _check(session: Session, edition: Edition, data: CategoryData, current: BudgetCategory | None) -> str:
    name = (data.name or "").strip()
    if not name or len(name) > 40:
        raise DomainError(_("请填写支出类别名称（不超过40个字符）。"), field="name")
    if data.max_share_percent is not None and not 1 <= data.max_share_percent <= 100:
        raise DomainError(_("占比上限应在1到100之间。"), field="max_share_percent")
    if data.max_unit_price_fen is not None and data.max_unit_price_fen <= 0:
        raise DomainError(_("单价上限必须大于0。"), field="max_unit_price")
    clash = session.scalar(
        select(BudgetCategory.id).where(BudgetCategory.edition_id == edition.id, BudgetCategory.name == name)
    )
    if clash is not None and (current is None or clash != current.id):
        raise Conflict(_("支出类别“%(name)s”已经存在。", name=name), field="name")
    return name


def add_category(session: Session, *, actor, edition: Edition, data: CategoryData) -> BudgetCategory:
    """Raises: NotAllowed, DomainError, Conflict."""
    _editable(session, actor, edition)
    categories = ensure_budget_categories(session, edition)
    name = _check(session, edition, data, None)
    category = BudgetCategory(
        edition_id=edition.id,
        name=name,
        position=len(categories) + 1,
        max_share_percent=data.max_share_percent,
        max_unit_price_fen=data.max_unit_price_fen,
    )
    session.add(category)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="budget_category.create",
        obj=category,
        district_id=edition.district_id,
        after={
            "name": name,
            "max_share_percent": data.max_share_percent,
            "max_unit_price_fen": data.max_unit_price_fen,
        },
    )
    return category


def update_category(
    session: Session, *, actor, edition: Edition, category: BudgetCategory, data: CategoryData
) -> BudgetCategory:
    """Raises: NotAllowed, DomainError, Conflict."""
    _editable(session, actor, edition)
    name = _check(session, edition, data, category)
    before = {
        "name": category.name,
        "max_share_percent": category.max_share_percent,
        "max_unit_price_fen": category.max_unit_price_fen,
    }
    category.name, category.max_share_percent = name, data.max_share_percent
    category.max_unit_price_fen = data.max_unit_price_fen
    after = {"name": name, "max_share_percent": data.max_share_percent, "max_unit_price_fen": data.max_unit_price_fen}
    if before != after:
        audit.record(
            session,
            actor=actor,
            action="budget_category.update",
            obj=category,
            district_id=edition.district_id,
            before=before,
            after=after,
        )
    session.flush()
    return category


def delete_category(session: Session, *, actor, edition: Edition, category: BudgetCategory) -> None:
    """Raises: NotAllowed, DomainError (proposals exist, or it is the last category)."""
    _editable(session, actor, edition)
    if len(ensure_budget_categories(session, edition)) <= 1:
        raise DomainError(_("至少要保留一个支出类别。"))
    audit.record(
        session,
        actor=actor,
        action="budget_category.delete",
        obj=category,
        district_id=edition.district_id,
        before={"name": category.name},
    )
    session.delete(category)
    session.flush()
