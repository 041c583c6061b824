"""Publishing an edition's results (公示): prepare a draft list, publish it with an objection
window counted in working days, supersede it, and finalize it into grants.

A publication's list is copied into ``PublicationEntry`` rows holding only public fields (the
applicant's name masked), so what the public sees never changes behind the notice: a change is a
new publication that supersedes the old one, and both stay visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session, selectinload

from grants import audit, money, timeutil
from grants.auth.models import User
from grants.editions.models import Edition, Round, RoundKind
from grants.editions.states import EditionStatus, RoundStatus, edition_machine
from grants.errors import DomainError, NotAllowed, NotFound
from grants.funding.models import Grant
from grants.judging.closing import stored_results
from grants.judging.models import Assignment, EligibilityDecision, Outcome
from grants.notifications import events as notification_events
from grants.params import whole_number
from grants.proposals.models import Proposal
from grants.results import calendar, policy
from grants.results.holidays import window_close
from grants.results.masking import mask_name
from grants.results.models import Publication, PublicationEntry
from grants.results.queries import draft_of, entries_of, grants_of, is_final_round, open_objections
from grants.results.states import PublicationStatus, publication_machine

DEFAULT_WINDOW_DAYS = 5
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Settings:
    """What the organizer writes on a notice (as typed; checked by the service)."""

    title: str
    introduction: str = ""
    office_name: str = ""
    list_judges: bool = False
    window_days: str | int = DEFAULT_WINDOW_DAYS


def _check_organizer(actor, edition: Edition) -> None:
    if not policy.can_manage(actor, edition):
        raise NotAllowed(_("您没有权限执行此操作。"))


# --- preparing a list -------------------------------------------------------------------------


def _entry(proposal: Proposal, position: int, **fields) -> PublicationEntry:
    community = proposal.community
    return PublicationEntry(
        proposal_id=proposal.id,
        position=position,
        title=proposal.title or _("（未命名）"),
        applicant=mask_name(proposal.applicant.display_name)[:50],
        community=community.name if community else "",
        street=community.street.name if community else "",
        category=proposal.category.name if proposal.category else "",
        summary=proposal.summary,
        team_size=1 + len(proposal.team),
        **fields,
    )


def _with_team(session: Session, ids: list[int]) -> dict[int, Proposal]:
    query = select(Proposal).where(Proposal.id.in_(ids)).options(selectinload(Proposal.team))
    return {p.id: p for p in session.scalars(query).unique()} if ids else {}


def build_entries(session: Session, rnd: Round, *, final: bool) -> list[PublicationEntry]:
    """The list of a closed round, as new (unsaved) entries in ranking order.

    Final round: the award winners with tier and approved amount. Another scoring round: the
    proposals that advanced, with score and rank. Eligibility round: the proposals that passed.
    """
    if rnd.kind == RoundKind.ELIGIBILITY.value:
        ids = list(
            session.scalars(
                select(EligibilityDecision.proposal_id)
                .where(EligibilityDecision.round_id == rnd.id, EligibilityDecision.outcome == Outcome.PASS.value)
                .order_by(EligibilityDecision.proposal_id)
            )
        )
        proposals = _with_team(session, ids)
        return [_entry(proposals[pid], i) for i, pid in enumerate(ids, start=1)]
    results = [r for r in stored_results(session, rnd) if (r.tier if final else r.advanced)]
    proposals = _with_team(session, [r.proposal_id for r in results])
    return [
        _entry(
            proposals[r.proposal_id],
            i,
            rank=r.rank,
            score=Decimal(r.score).quantize(TWO_PLACES, rounding=ROUND_HALF_UP),
            tier=r.tier if final else None,
            approved_fen=r.approved_fen if final else None,
        )
        for i, r in enumerate(results, start=1)
    ]


def _copy(entry: PublicationEntry) -> PublicationEntry:
    columns = ("proposal_id", "position", "rank", "title", "applicant", "community", "street", "category")
    more = ("summary", "team_size", "score", "tier", "approved_fen")
    return PublicationEntry(**{name: getattr(entry, name) for name in columns + more})


def judge_names(session: Session, edition_id: int) -> list[str]:
    """Names of the judges who scored in the edition's rounds, in name order."""
    names = session.scalars(
        select(User.display_name)
        .join(Assignment, Assignment.judge_id == User.id)
        .join(Round, Round.id == Assignment.round_id)
        .where(Round.edition_id == edition_id)
        .distinct()
    )
    return sorted(set(names))


def _apply_settings(session: Session, publication: Publication, settings: Settings) -> None:
    title = (settings.title or "").strip()
    if not title or len(title) > 200:
        raise DomainError(_("请填写公示标题（最多200个字）。"), field="title")
    office = (settings.office_name or "").strip()
    if len(office) > 100:
        raise DomainError(_("发布单位最多100个字。"), field="office_name")
    introduction = (settings.introduction or "").strip()
    if len(introduction) > 5000:
        raise DomainError(_("公示说明最多5000个字。"), field="introduction")
    days = whole_number(settings.window_days, maximum=calendar.MAX_WORKING_DAYS)
    if not days:
        raise DomainError(_("公示期应为1到%(max)d个工作日。", max=calendar.MAX_WORKING_DAYS), field="window_days")
    publication.title, publication.introduction, publication.office_name = title, introduction, office
    publication.window_days = days
    publication.judges = judge_names(session, publication.edition_id) if settings.list_judges else []


def prepare(session: Session, *, actor, edition: Edition, rnd: Round, settings: Settings) -> Publication:
    """A draft publication of a closed round's list (the organizer previews it, then publishes).

    When a list of the same round is already public, the draft supersedes it and starts as a copy
    of it, so the organizer changes only what an upheld objection requires.

    Raises: NotAllowed; DomainError (round not closed, a draft already exists, the list is final,
        the list is empty, a setting is invalid).
    """
    _check_organizer(actor, edition)
    if rnd.edition_id != edition.id or rnd.status != RoundStatus.CLOSED.value:
        raise DomainError(_("只能公示已结束的评审轮次的名单。"), field="round")
    if draft_of(session, edition.id) is not None:
        raise DomainError(_("本届已有一份未发布的公示草稿，请先发布或删除它。"))
    final = is_final_round(session, rnd)
    previous = session.scalar(
        select(Publication)
        .where(Publication.round_id == rnd.id, Publication.status != PublicationStatus.DRAFT.value)
        .order_by(Publication.number.desc())
        .limit(1)
    )
    if previous is not None and previous.status == PublicationStatus.FINAL.value:
        raise DomainError(_("这份名单的结果已经确定，不能再更正。"))
    if previous is not None and previous.status == PublicationStatus.SUPERSEDED.value:
        previous = None  # cannot happen: the newest public list of a round is never superseded
    number = (session.scalar(select(func.max(Publication.number)).where(Publication.edition_id == edition.id)) or 0) + 1
    publication = Publication(
        edition_id=edition.id,
        round_id=rnd.id,
        number=number,
        final=final,
        status=PublicationStatus.DRAFT.value,
        created_by_id=actor.id,
        supersedes_id=previous.id if previous else None,
    )
    _apply_settings(session, publication, settings)
    if previous is not None:
        entries = [_copy(e) for e in entries_of(session, previous)]
    else:
        entries = build_entries(session, rnd, final=final)
    if not entries:
        raise DomainError(
            _("这一轮没有获奖项目，请先在“奖项与核定金额”中评定奖项。") if final else _("这一轮没有可公示的项目。")
        )
    publication.entries = entries
    session.add(publication)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="publication.prepare",
        obj=publication,
        district_id=edition.district_id,
        after={
            "round_id": rnd.id,
            "number": number,
            "entries": len(entries),
            "supersedes": publication.supersedes_id,
        },
    )
    return publication


def with_entries(session: Session, publication_id: int) -> Publication:
    """The publication re-read with its entries loaded (one more query)."""
    return session.scalars(
        select(Publication)
        .where(Publication.id == publication_id)
        .options(selectinload(Publication.entries))
        .execution_options(populate_existing=True)
    ).one()


def _check_draft(actor, publication: Publication) -> None:
    _check_organizer(actor, publication.edition)
    if publication.status != PublicationStatus.DRAFT.value:
        raise DomainError(_("公示已发布，名单不能再修改；如需更正，请发布一份新的公示。"))


def update_settings(session: Session, *, actor, publication: Publication, settings: Settings) -> None:
    _check_draft(actor, publication)
    before = {"title": publication.title, "window_days": publication.window_days, "judges": len(publication.judges)}
    _apply_settings(session, publication, settings)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="publication.update",
        obj=publication,
        district_id=publication.edition.district_id,
        before=before,
        after={"title": publication.title, "window_days": publication.window_days, "judges": len(publication.judges)},
    )


def rebuild_entries(session: Session, *, actor, publication: Publication) -> int:
    """Replace a draft's list by the round's current results (e.g. after amounts were changed)."""
    _check_draft(actor, publication)
    publication = with_entries(session, publication.id)
    entries = build_entries(session, publication.round, final=publication.final)
    if not entries:
        raise DomainError(_("这一轮没有可公示的项目。"))
    publication.entries = entries
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="publication.rebuild",
        obj=publication,
        district_id=publication.edition.district_id,
        after={"entries": len(entries)},
    )
    return len(entries)


def change_entry(
    session: Session,
    *,
    actor,
    publication: Publication,
    entry_id: int,
    tier: str | None = None,
    approved: str | None = None,
    remove: bool = False,
) -> None:
    """Change (tier, approved amount in yuan as typed) or remove one entry of a draft.

    Raises: NotAllowed; NotFound (no such entry in this draft); DomainError (not a draft, amount
        invalid or above the request, last entry).
    """
    _check_draft(actor, publication)
    publication = with_entries(session, publication.id)
    entry = next((e for e in publication.entries if e.id == entry_id), None)
    if entry is None:
        raise NotFound(_("名单中没有这个项目。"))
    before = {"tier": entry.tier, "approved_fen": entry.approved_fen, "title": entry.title}
    if remove:
        if len(publication.entries) <= 1:
            raise DomainError(_("名单至少要有一个项目；如需撤销整份公示，请删除草稿。"))
        publication.entries.remove(entry)
        after = {"removed": True}
    else:
        tier = (tier or "").strip()
        if publication.final and not tier:
            raise DomainError(_("获奖名单中的项目须有奖项。"), field="tier")
        if len(tier) > 40:
            raise DomainError(_("奖项名称最多40个字。"), field="tier")
        fen = None
        if publication.final:
            try:
                fen = money.yuan_to_fen((approved or "").strip())
            except ValueError as exc:
                raise DomainError(_("核定金额不是有效的金额。"), field="approved") from exc
            requested = session.get(Proposal, entry.proposal_id).requested_fen
            if fen <= 0 or fen > requested:
                raise DomainError(
                    _("核定金额应大于0且不高于申请金额%(requested)s。", requested=money.format_fen(requested)),
                    field="approved",
                )
        entry.tier, entry.approved_fen = tier or None, fen
        after = {"tier": entry.tier, "approved_fen": entry.approved_fen}
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="publication.change_entry",
        obj=publication,
        district_id=publication.edition.district_id,
        before={"proposal_id": entry.proposal_id, **before},
        after=after,
    )


def discard(session: Session, *, actor, publication: Publication) -> None:
    _check_draft(actor, publication)
    audit.record(
        session,
        actor=actor,
        action="publication.discard",
        obj=publication,
        district_id=publication.edition.district_id,
        before={"number": publication.number, "title": publication.title},
    )
    session.delete(publication)
    session.flush()


def _lock_edition(session: Session, edition_id: int) -> Edition:
    return session.execute(
        select(Edition)
        .where(Edition.id == edition_id)
        .with_for_update(of=Edition)
        .execution_options(populate_existing=True)
    ).scalar_one()


def publish(session: Session, *, actor, publication: Publication, now: datetime | None = None) -> Publication:
    """Publish a draft: the list is frozen, the objection window starts now and closes after the
    publication's working days; a superseded list is marked so (and stays public). Publishing
    the final round's awards moves the edition into its public notice period.

    Raises: NotAllowed; InvalidTransition (not a draft); DomainError (empty list, total above pool).
    """
    _check_organizer(actor, publication.edition)
    edition = _lock_edition(session, publication.edition_id)
    publication = with_entries(session, publication.id)
    now = now or timeutil.now()
    if publication.final:
        total = sum(e.approved_fen or 0 for e in publication.entries)
        if total > edition.pool_fen:
            raise DomainError(
                _(
                    "核定金额合计%(total)s，超过了本届资金池%(pool)s。",
                    total=money.format_fen(total),
                    pool=money.format_fen(edition.pool_fen),
                )
            )
    publication_machine.transition(session, publication, PublicationStatus.PUBLISHED.value, actor=actor)
    publication.published_by_id = actor.id
    publication.opens_at = now
    publication.closes_at = window_close(session, edition.district_id, now, publication.window_days)
    if publication.supersedes_id is not None:
        previous = session.get(Publication, publication.supersedes_id)
        if previous.status == PublicationStatus.PUBLISHED.value:
            publication_machine.transition(session, previous, PublicationStatus.SUPERSEDED.value, actor=actor)
            previous.superseded_at = now
    if publication.final and edition.status == EditionStatus.REVIEWING.value:
        edition_machine.transition(session, edition, EditionStatus.PUBLICIZING.value, actor=actor, by_step=True)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="publication.window",
        obj=publication,
        district_id=edition.district_id,
        after={
            "opens_at": publication.opens_at.isoformat(),
            "closes_at": publication.closes_at.isoformat(),
            "entries": len(publication.entries),
        },
    )
    notification_events.notice_published(session, publication)
    return publication


def finalize(session: Session, *, actor, publication: Publication, now: datetime | None = None) -> list[Grant]:
    """Make the final list's results final: each listed winner becomes a grant, in one
    transaction. Running it again changes nothing and returns the grants already made.

    Raises: NotAllowed; DomainError (not the final list, window still open, objections waiting,
        total above the pool).
    """
    _check_organizer(actor, publication.edition)
    edition = _lock_edition(session, publication.edition_id)
    publication = with_entries(session, publication.id)
    existing = grants_of(session, publication.id)
    if publication.status == PublicationStatus.FINAL.value:
        return existing
    if not publication.final:
        raise DomainError(_("只有终评获奖名单的公示可以确定结果。"))
    if publication.status != PublicationStatus.PUBLISHED.value:
        raise DomainError(_("这份公示已被更正，请确定最新一份公示的结果。"))
    now = now or timeutil.now()
    if now < publication.closes_at:
        raise DomainError(
            _("公示期到%(end)s结束，结束后才能确定结果。", end=timeutil.format_deadline(publication.closes_at))
        )
    if waiting := open_objections(session, edition.id):
        raise DomainError(_("还有%(n)d条异议没有答复，全部答复后才能确定结果。", n=waiting))
    winners = [e for e in entries_of(session, publication) if e.tier and e.approved_fen]
    total = sum(e.approved_fen for e in winners)
    if total > edition.pool_fen:
        raise DomainError(
            _(
                "核定金额合计%(total)s，超过了本届资金池%(pool)s。",
                total=money.format_fen(total),
                pool=money.format_fen(edition.pool_fen),
            )
        )
    have = set(session.scalars(select(Grant.proposal_id).where(Grant.edition_id == edition.id)))
    grants = []
    for entry in winners:
        if entry.proposal_id in have:
            continue
        grant = Grant(
            edition_id=edition.id,
            proposal_id=entry.proposal_id,
            publication_id=publication.id,
            tier=entry.tier,
            approved_fen=entry.approved_fen,
            created_by_id=actor.id,
            created_at=now,
        )
        session.add(grant)
        grants.append(grant)
    session.flush()
    for grant in grants:
        audit.record(
            session,
            actor=actor,
            action="grant.create",
            obj=grant,
            district_id=edition.district_id,
            after={"proposal_id": grant.proposal_id, "tier": grant.tier, "approved_fen": grant.approved_fen},
        )
    publication.finalized_at = now
    publication_machine.transition(session, publication, PublicationStatus.FINAL.value, actor=actor)
    if edition.status == EditionStatus.PUBLICIZING.value:
        edition_machine.transition(session, edition, EditionStatus.FUNDING.value, actor=actor, by_step=True)
    return existing + grants


# --- the edition moves that follow from the results ---------------------------------------------


def _final_notice_published(edition: Edition) -> str | None:
    session = object_session(edition)
    published = session.scalar(
        select(func.count())
        .select_from(Publication)
        .where(
            Publication.edition_id == edition.id,
            Publication.final.is_(True),
            Publication.status.in_((PublicationStatus.PUBLISHED.value, PublicationStatus.FINAL.value)),
        )
    )
    return None if published else _("终评获奖名单公示发布后才能进入公示阶段。")


def _results_final(edition: Edition) -> str | None:
    session = object_session(edition)
    final = session.scalar(
        select(func.count())
        .select_from(Publication)
        .where(Publication.edition_id == edition.id, Publication.status == PublicationStatus.FINAL.value)
    )
    return None if final else _("公示期满、异议全部答复并确定结果后，才能进入资助实施。")


edition_machine.add_guard(EditionStatus.REVIEWING, EditionStatus.PUBLICIZING, _final_notice_published)
edition_machine.add_guard(EditionStatus.PUBLICIZING, EditionStatus.FUNDING, _results_final)
