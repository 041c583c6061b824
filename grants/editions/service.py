"""Editions: create and edit, default rounds and rubrics, status changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import audit
from grants.editions import policy
from grants.editions.models import (
    Advancement,
    Aggregation,
    Criterion,
    Edition,
    EditionCategory,
    Round,
    RoundKind,
    ScoringMode,
)
from grants.editions.states import EditionStatus, edition_machine
from grants.errors import Conflict, DomainError, NotAllowed


def default_categories() -> list[str]:
    return [_("环境卫生"), _("文化建设"), _("邻里互助"), _("自管自治"), _("志愿服务"), _("一老一小")]


def default_rounds() -> list[Round]:
    """The default three rounds of DESIGN §2, with rubrics organizers can edit."""
    eligibility = Round(
        position=1,
        name=_("资格审查"),
        kind=RoundKind.ELIGIBILITY.value,
        mode=ScoringMode.ASSIGNED.value,
        judges_per_proposal=1,
        advancement=Advancement.ALL.value,
        criteria=[
            Criterion(position=i, name=name, max_points=None)
            for i, name in enumerate(
                [
                    _("申报人为本区常住居民"),
                    _("团队人数符合要求"),
                    _("项目在本社区实施，属于公益性质"),
                    _("预算符合资助上限和支出范围"),
                    _("申报材料齐全、真实"),
                ],
                start=1,
            )
        ],
    )
    preliminary = Round(
        position=2,
        name=_("初评"),
        kind=RoundKind.SCORING.value,
        mode=ScoringMode.ASSIGNED.value,
        judges_per_proposal=3,
        aggregation=Aggregation.MEAN.value,
        advancement=Advancement.TOP_N.value,
        advance_top_n=30,
        criteria=[
            Criterion(position=i, name=name, max_points=points)
            for i, (name, points) in enumerate(
                [
                    (_("需求分析"), 20),
                    (_("目标与活动设计"), 25),
                    (_("团队能力"), 15),
                    (_("预算合理性"), 15),
                    (_("可持续性"), 15),
                    (_("居民参与度"), 10),
                ],
                start=1,
            )
        ],
    )
    final = Round(
        position=3,
        name=_("终评（路演答辩）"),
        kind=RoundKind.SCORING.value,
        mode=ScoringMode.PANEL.value,
        judges_per_proposal=5,
        aggregation=Aggregation.TRIMMED_MEAN.value,
        trim_min_judges=5,
        advancement=Advancement.TOP_N.value,
        advance_top_n=20,
        weight_percent=100,
        criteria=[
            Criterion(position=i, name=name, max_points=points)
            for i, (name, points) in enumerate(
                [
                    (_("项目设计"), 30),
                    (_("可行性"), 25),
                    (_("团队与答辩表现"), 20),
                    (_("预算合理性"), 15),
                    (_("创新与示范性"), 10),
                ],
                start=1,
            )
        ],
    )
    return [eligibility, preliminary, final]


@dataclass
class EditionData:
    number: int
    name: str
    cap_fen: int
    pool_fen: int
    theme: str = ""
    description: str = ""
    min_team_size: int = 3
    one_proposal_per_applicant: bool = True
    submission_opens_at: datetime | None = None
    submission_closes_at: datetime | None = None
    categories: list[str] = field(default_factory=list)


EDITABLE_FIELDS = (
    "number",
    "name",
    "theme",
    "description",
    "cap_fen",
    "pool_fen",
    "min_team_size",
    "one_proposal_per_applicant",
    "submission_opens_at",
    "submission_closes_at",
)


def _clean_categories(names: list[str]) -> list[str]:
    cleaned: list[str] = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        if len(name) > 40:
            raise DomainError(_("服务领域“%(name)s”太长（不超过40个字符）。", name=name[:40]), field="categories")
        if name in cleaned:
            raise DomainError(_("服务领域“%(name)s”重复了。", name=name), field="categories")
        cleaned.append(name)
    if not cleaned:
        raise DomainError(_("请至少填写一个服务领域。"), field="categories")
    return cleaned


def _validate(session: Session, district_id: int, data: EditionData, edition: Edition | None) -> list[str]:
    if data.number < 1:
        raise DomainError(_("届次必须是正整数。"), field="number")
    if not data.name.strip():
        raise DomainError(_("请填写大赛名称。"), field="name")
    if data.cap_fen <= 0:
        raise DomainError(_("单个项目资助上限必须大于0。"), field="cap_fen")
    if data.pool_fen < data.cap_fen:
        raise DomainError(_("资助总额不能小于单个项目资助上限。"), field="pool_fen")
    if data.min_team_size < 1 or data.min_team_size > 50:
        raise DomainError(_("团队最少人数应在1到50之间。"), field="min_team_size")
    if data.submission_opens_at and data.submission_closes_at and data.submission_closes_at <= data.submission_opens_at:
        raise DomainError(_("申报截止时间必须晚于开始时间。"), field="submission_closes_at")
    clash = session.scalar(select(Edition.id).where(Edition.district_id == district_id, Edition.number == data.number))
    if clash is not None and (edition is None or clash != edition.id):
        raise Conflict(_("本区已经有第%(n)d届大赛了。", n=data.number), field="number")
    return _clean_categories(data.categories)


def _snapshot(edition: Edition) -> dict:
    snap = {name: getattr(edition, name) for name in EDITABLE_FIELDS}
    snap["categories"] = [c.name for c in edition.categories]
    return snap


def create_edition(session: Session, *, actor, district, data: EditionData) -> Edition:
    """Create an edition in draft, with the default three rounds.

    Raises:
        NotAllowed: the actor is not an organizer of the district.
        DomainError: a field breaks a rule (the message names it).
    """
    if actor is not None and not policy.can_create_edition(actor, district.id):
        raise NotAllowed(_("您没有权限在这个区创建大赛。"))
    categories = _validate(session, district.id, data, None)
    edition = Edition(
        district_id=district.id,
        status=EditionStatus.DRAFT.value,
        **{name: getattr(data, name) for name in EDITABLE_FIELDS},
    )
    edition.name = edition.name.strip()
    edition.categories = [EditionCategory(name=name, position=i) for i, name in enumerate(categories, start=1)]
    edition.rounds = default_rounds()
    session.add(edition)
    session.flush()
    audit.record(
        session, actor=actor, action="edition.create", obj=edition, district_id=district.id, after=_snapshot(edition)
    )
    return edition


def update_edition(session: Session, *, actor, edition: Edition, data: EditionData) -> Edition:
    """Change an edition's settings while it is in draft or open for submissions.

    Raises:
        NotAllowed: not an organizer of the edition's district.
        InvalidTransition-like DomainError: the edition is past submission.
        DomainError: a field breaks a rule.
    """
    if not policy.can_manage_edition(actor, edition):
        raise NotAllowed(_("您没有权限修改这届大赛。"))
    if edition.status not in (EditionStatus.DRAFT, EditionStatus.OPEN):
        raise DomainError(_("评审开始后不能再修改大赛设置。"))
    categories = _validate(session, edition.district_id, data, edition)
    before = _snapshot(edition)
    for name in EDITABLE_FIELDS:
        setattr(edition, name, getattr(data, name))
    edition.name = edition.name.strip()
    existing = {c.name: c for c in edition.categories}
    edition.categories = [existing.get(name) or EditionCategory(name=name) for name in categories]
    for position, category in enumerate(edition.categories, start=1):
        category.position = position
    session.flush()
    after = _snapshot(edition)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        audit.record(
            session,
            actor=actor,
            action="edition.update",
            obj=edition,
            district_id=edition.district_id,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return edition


def change_edition_status(session: Session, *, actor, edition: Edition, target: str, reason: str | None = None) -> None:
    """Move an edition along its lifecycle (see editions/states.py)."""
    edition_machine.transition(session, edition, target, actor=actor, reason=reason)


def editions_for_organizer(session: Session, district_ids: set[int]) -> list[Edition]:
    return list(
        session.scalars(
            select(Edition)
            .where(Edition.district_id.in_(district_ids or {-1}))
            .order_by(Edition.district_id, Edition.number.desc())
        )
    )
