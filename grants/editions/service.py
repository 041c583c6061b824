"""Editions: create and edit, default rounds and rubrics, status changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

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
from grants.editions.states import EditionStatus, RoundStatus, edition_machine
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
    objection_contact: str = ""


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
    "objection_contact",
)
# What an organizer may still change once review has started: only how the public reaches them.
EDITABLE_AFTER_REVIEW = {"objection_contact"}


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
    if len(data.objection_contact.strip()) > 300:
        raise DomainError(_("异议受理联系方式不能超过300个字符。"), field="objection_contact")
    if data.submission_opens_at and data.submission_closes_at and data.submission_closes_at <= data.submission_opens_at:
        raise DomainError(_("申报截止时间必须晚于开始时间。"), field="submission_closes_at")
    clash = session.scalar(select(Edition.id).where(Edition.district_id == district_id, Edition.number == data.number))
    if clash is not None and (edition is None or clash != edition.id):
        raise Conflict(_("本区已经有第%(n)d届大赛了。", n=data.number), field="number")
    return _clean_categories(data.categories)


def _to_minute(value):
    # The form gives times to the minute; a stored time may carry seconds.
    return value.replace(second=0, microsecond=0) if isinstance(value, datetime) else value


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
    from grants.proposals.service import ensure_budget_categories  # budget rules are edition data

    ensure_budget_categories(session, edition)
    from grants.funding.plan import ensure_tranche_plan  # the tranche plan is edition data too

    ensure_tranche_plan(session, edition)
    audit.record(
        session, actor=actor, action="edition.create", obj=edition, district_id=district.id, after=_snapshot(edition)
    )
    return edition


def update_edition(session: Session, *, actor, edition: Edition, data: EditionData) -> Edition:
    """Change an edition's settings while it is in draft or open for submissions; afterwards only
    the objection contact printed on its notices.

    Raises:
        NotAllowed: not an organizer of the edition's district.
        DomainError: a field breaks a rule, or a locked setting changes after review started.
    """
    if not policy.can_manage_edition(actor, edition):
        raise NotAllowed(_("您没有权限修改这届大赛。"))
    data.objection_contact = data.objection_contact.strip()
    categories = _validate(session, edition.district_id, data, edition)
    before = _snapshot(edition)
    if edition.status not in (EditionStatus.DRAFT, EditionStatus.OPEN):
        wanted = {**{name: getattr(data, name) for name in EDITABLE_FIELDS}, "categories": categories}
        wanted["name"] = wanted["name"].strip()
        if any(_to_minute(wanted[k]) != _to_minute(before[k]) for k in before if k not in EDITABLE_AFTER_REVIEW):
            raise DomainError(_("评审开始后不能再修改大赛设置（异议受理联系方式除外）。"))
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


# --- rounds and rubrics ---------------------------------------------------------------------------

ROUND_FIELDS = (
    "name",
    "kind",
    "mode",
    "judges_per_proposal",
    "aggregation",
    "trim_min_judges",
    "normalize",
    "blind",
    "advancement",
    "advance_top_n",
    "advance_min_score",
    "weight_percent",
)


@dataclass
class RoundData:
    name: str
    kind: str = RoundKind.SCORING.value
    mode: str = ScoringMode.ASSIGNED.value
    judges_per_proposal: int = 3
    aggregation: str = Aggregation.MEAN.value
    trim_min_judges: int = 5
    normalize: bool = False
    blind: bool = False
    advancement: str = Advancement.ALL.value
    advance_top_n: int | None = None
    advance_min_score: Decimal | None = None
    weight_percent: int = 0


def rounds_of(session: Session, edition_id: int) -> list[Round]:
    """The edition's rounds in order. Their edition is not joined again (nor its district and
    categories): a round's ``edition`` is taken from the session, where the caller has it, or read
    once on first use."""
    return list(
        session.scalars(
            select(Round)
            .where(Round.edition_id == edition_id)
            .order_by(Round.position)
            .options(lazyload(Round.edition))
        )
    )


def _editable_round(actor, rnd: Round) -> None:
    if not policy.can_manage_round(actor, rnd):
        raise NotAllowed(_("您没有权限修改这届大赛。"))
    if rnd.status != RoundStatus.PENDING.value:
        raise DomainError(_("“%(name)s”已经开始，不能再修改设置和评分标准。", name=rnd.name))


def _round_snapshot(rnd: Round) -> dict:
    return {name: getattr(rnd, name) for name in ROUND_FIELDS}


def update_round(session: Session, *, actor, rnd: Round, data: RoundData) -> Round:
    """Change a pending round's settings.

    Raises: NotAllowed; DomainError naming the field that breaks a rule.
    """
    _editable_round(actor, rnd)
    if not data.name.strip():
        raise DomainError(_("请填写轮次名称。"), field="name")
    for value, enum, field_name in (
        (data.kind, RoundKind, "kind"),
        (data.mode, ScoringMode, "mode"),
        (data.aggregation, Aggregation, "aggregation"),
        (data.advancement, Advancement, "advancement"),
    ):
        if value not in set(enum):
            raise DomainError(_("请从列表中选择。"), field=field_name)
    if not 1 <= data.judges_per_proposal <= 50:
        raise DomainError(_("每个项目的评委人数应在1到50之间。"), field="judges_per_proposal")
    if data.trim_min_judges < 3:
        raise DomainError(_("去掉最高分和最低分至少需要3位评委。"), field="trim_min_judges")
    if not 0 <= data.weight_percent <= 100:
        raise DomainError(_("权重应在0到100之间。"), field="weight_percent")
    if data.advancement == Advancement.TOP_N and not data.advance_top_n:
        raise DomainError(_("请填写前N名的N。"), field="advance_top_n")
    if data.advancement == Advancement.MIN_SCORE:
        if data.advance_min_score is None:
            raise DomainError(_("请填写分数线。"), field="advance_min_score")
        if data.kind == RoundKind.SCORING and data.advance_min_score > rnd.max_total:
            raise DomainError(_("分数线不能高于本轮满分%(max)d分。", max=rnd.max_total), field="advance_min_score")
    before = _round_snapshot(rnd)
    for name in ROUND_FIELDS:
        setattr(rnd, name, getattr(data, name))
    rnd.name = rnd.name.strip()
    if rnd.advancement != Advancement.TOP_N:
        rnd.advance_top_n = None
    if rnd.advancement != Advancement.MIN_SCORE:
        rnd.advance_min_score = None
    after = _round_snapshot(rnd)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        audit.record(
            session,
            actor=actor,
            action="round.update",
            obj=rnd,
            district_id=rnd.edition.district_id,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    session.flush()
    return rnd


def add_round(session: Session, *, actor, edition: Edition) -> Round:
    """Append a pending scoring round at the end. Raises: NotAllowed, DomainError."""
    if not policy.can_manage_edition(actor, edition):
        raise NotAllowed(_("您没有权限修改这届大赛。"))
    if edition.status in (EditionStatus.PUBLICIZING, EditionStatus.FUNDING, EditionStatus.CLOSED):
        raise DomainError(_("评审结束后不能再增加轮次。"))
    rounds = rounds_of(session, edition.id)
    position = (rounds[-1].position if rounds else 0) + 1
    rnd = Round(
        edition_id=edition.id,
        position=position,
        name=_("第%(n)d轮评审", n=position),
        kind=RoundKind.SCORING.value,
        advancement=Advancement.ALL.value,
    )
    session.add(rnd)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="round.create",
        obj=rnd,
        district_id=edition.district_id,
        after={"name": rnd.name, "position": position},
    )
    return rnd


def _renumber(session: Session, rounds: list[Round]) -> None:
    # UNIQUE(edition_id, position): park every row on a negative position first.
    for i, rnd in enumerate(rounds, start=1):
        rnd.position = -i
    session.flush()
    for i, rnd in enumerate(rounds, start=1):
        rnd.position = i
    session.flush()


def delete_round(session: Session, *, actor, rnd: Round) -> None:
    """Raises: NotAllowed; DomainError when the round started or is the last one."""
    _editable_round(actor, rnd)
    rounds = rounds_of(session, rnd.edition_id)
    if len(rounds) == 1:
        raise DomainError(_("每届大赛至少要有一轮评审。"))
    audit.record(
        session,
        actor=actor,
        action="round.delete",
        obj=rnd,
        district_id=rnd.edition.district_id,
        before={"name": rnd.name, "position": rnd.position},
    )
    session.delete(rnd)
    session.flush()
    _renumber(session, [r for r in rounds if r.id != rnd.id])


def move_round(session: Session, *, actor, rnd: Round, offset: int) -> None:
    """Move a pending round up (-1) or down (+1), past pending rounds only."""
    _editable_round(actor, rnd)
    rounds = rounds_of(session, rnd.edition_id)
    index = next(i for i, r in enumerate(rounds) if r.id == rnd.id)
    other = index + offset
    if offset not in (-1, 1) or not 0 <= other < len(rounds):
        return
    if rounds[other].status != RoundStatus.PENDING.value:
        raise DomainError(_("不能移到已经开始的轮次之前。"))
    rounds[index], rounds[other] = rounds[other], rounds[index]
    _renumber(session, rounds)
    audit.record(
        session,
        actor=actor,
        action="round.move",
        obj=rnd,
        district_id=rnd.edition.district_id,
        before={"position": index + 1},
        after={"position": other + 1},
    )


@dataclass
class CriterionData:
    name: str
    description: str = ""
    max_points: int | None = None


def _check_criterion(rnd: Round, data: CriterionData) -> None:
    if not data.name.strip():
        raise DomainError(_("请填写名称。"), field="name")
    if rnd.kind == RoundKind.SCORING and not data.max_points:
        raise DomainError(_("评分标准需要填写满分（正整数）。"), field="max_points")
    if data.max_points is not None and data.max_points <= 0:
        raise DomainError(_("满分必须是正整数。"), field="max_points")


def add_criterion(session: Session, *, actor, rnd: Round, data: CriterionData) -> Criterion:
    """Raises: NotAllowed, DomainError."""
    _editable_round(actor, rnd)
    _check_criterion(rnd, data)
    position = max((c.position for c in rnd.criteria), default=0) + 1
    criterion = Criterion(
        round_id=rnd.id,
        name=data.name.strip(),
        description=data.description.strip(),
        max_points=data.max_points if rnd.kind == RoundKind.SCORING else None,
        position=position,
    )
    rnd.criteria.append(criterion)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="criterion.create",
        obj=criterion,
        district_id=rnd.edition.district_id,
        after={"round": rnd.name, "name": criterion.name, "max_points": criterion.max_points},
    )
    return criterion


def update_criterion(session: Session, *, actor, criterion: Criterion, data: CriterionData) -> Criterion:
    """Raises: NotAllowed, DomainError."""
    rnd = criterion.round
    _editable_round(actor, rnd)
    _check_criterion(rnd, data)
    before = {"name": criterion.name, "description": criterion.description, "max_points": criterion.max_points}
    criterion.name = data.name.strip()
    criterion.description = data.description.strip()
    criterion.max_points = data.max_points if rnd.kind == RoundKind.SCORING else None
    after = {"name": criterion.name, "description": criterion.description, "max_points": criterion.max_points}
    if before != after:
        audit.record(
            session,
            actor=actor,
            action="criterion.update",
            obj=criterion,
            district_id=rnd.edition.district_id,
            before=before,
            after=after,
        )
    session.flush()
    return criterion


def delete_criterion(session: Session, *, actor, criterion: Criterion) -> None:
    """Raises: NotAllowed, DomainError."""
    rnd = criterion.round
    _editable_round(actor, rnd)
    audit.record(
        session,
        actor=actor,
        action="criterion.delete",
        obj=criterion,
        district_id=rnd.edition.district_id,
        before={"round": rnd.name, "name": criterion.name, "max_points": criterion.max_points},
    )
    rnd.criteria.remove(criterion)
    session.flush()
    for i, item in enumerate(rnd.criteria, start=1):
        item.position = i
    session.flush()


def move_criterion(session: Session, *, actor, criterion: Criterion, offset: int) -> None:
    rnd = criterion.round
    _editable_round(actor, rnd)
    items = list(rnd.criteria)
    index = items.index(criterion)
    other = index + offset
    if offset not in (-1, 1) or not 0 <= other < len(items):
        return
    items[index], items[other] = items[other], items[index]
    for i, item in enumerate(items, start=1):
        item.position = i
    rnd.criteria.sort(key=lambda c: c.position)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="criterion.move",
        obj=criterion,
        district_id=rnd.edition.district_id,
        before={"position": index + 1},
        after={"position": other + 1},
    )


def round_counts(session: Session, edition_ids: list[int]) -> dict[int, int]:
    """Number of rounds per edition, in one query."""
    rows = session.execute(
        select(Round.edition_id, func.count())
        .where(Round.edition_id.in_(edition_ids or [-1]))
        .group_by(Round.edition_id)
    )
    return dict(rows.all())


def districts(session: Session, district_ids: set[int]) -> list:
    from grants.org.models import District

    return list(session.scalars(select(District).where(District.id.in_(district_ids or {-1})).order_by(District.name)))


def next_number(session: Session, district_id: int) -> int:
    return (session.scalar(select(func.max(Edition.number)).where(Edition.district_id == district_id)) or 0) + 1
