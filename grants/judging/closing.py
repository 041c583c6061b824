"""Results of scoring rounds: the ranking preview, closing a round (stored `RoundResult`s and
advancement), re-opening it, and which proposals a round scores.

Closing reads the submitted sheets with one aggregate query, ranks with the pure functions of
`grants.judging.scoring`, and writes every result with one bulk insert, in the caller's
transaction. The round row is locked first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite write
transactions start with ``BEGIN IMMEDIATE``), so two concurrent closings store one result set:
the second finds the round closed and returns the stored results.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.orm import Session, joinedload, lazyload

from grants import audit
from grants.editions import policy as edition_policy
from grants.editions.models import Advancement, Round, RoundKind
from grants.editions.states import RoundStatus, round_machine
from grants.errors import DomainError, NotAllowed
from grants.judging import integrity, scoring
from grants.judging.models import Assignment, JudgeGroup, JudgeGroupMember, RoundResult, Score
from grants.judging.states import SheetStatus
from grants.memory import collector_paused
from grants.notifications import events as notification_events
from grants.org.models import Community
from grants.proposals.models import Proposal
from grants.proposals.states import ProposalStatus
from grants.timeutil import now

SCALE = Decimal("0.0001")


@dataclass(frozen=True)
class Row:
    """One proposal's line in a ranking (a preview, or what closing stores)."""

    proposal_id: int
    rank: int
    score: Fraction | float
    round_score: Fraction | float
    raw_score: Fraction | float
    normalised_score: float | None
    judges: int
    stdev: float
    spread: float
    advanced: bool


@dataclass
class Ranking:
    rows: list[Row] | list[RoundResult]  # a closed round's: its stored results, with the same fields
    combined: bool  # the score weighs earlier rounds in
    judge_means: dict[int, float] = field(default_factory=dict)  # judge → mean of their totals
    round_mean: float | None = None
    missing_sheets: int = 0
    unscored: list[int] = field(default_factory=list)  # proposals in the round without a submitted sheet
    held: list[integrity.BlockedSheet] = field(default_factory=list)  # judge revoked: the organizer decides
    withdrawn: list[integrity.BlockedSheet] = field(default_factory=list)  # to reassign before closing


def to_decimal(value: Fraction | float | Decimal) -> Decimal:
    if isinstance(value, Fraction):
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(SCALE)
    return Decimal(repr(float(value)) if isinstance(value, float) else value).quantize(SCALE)


def preceding_round(session: Session, rnd: Round) -> Round | None:
    return session.scalar(
        select(Round)
        .where(Round.edition_id == rnd.edition_id, Round.position < rnd.position)
        .order_by(Round.position.desc())
        .limit(1)
        # The edition is the one already loaded with `rnd` (an identity-map look-up, no query).
        .options(lazyload(Round.edition), lazyload(Round.criteria))
    )


def scoring_rounds(session: Session, edition_id: int) -> list[Round]:
    return list(
        session.scalars(
            select(Round)
            .where(Round.edition_id == edition_id, Round.kind == RoundKind.SCORING.value)
            .order_by(Round.position)
            .options(lazyload(Round.edition))
        ).unique()
    )


def _combines(rounds: list[Round], rnd: Round) -> bool:
    # The last scoring round combines the rounds when an earlier one carries a weight too.
    return rounds[-1].id == rnd.id and any(r.id != rnd.id and r.weight_percent > 0 for r in rounds)


def combines_rounds(session: Session, rnd: Round) -> bool:
    """Whether the round's score weighs earlier rounds in (else it is the round's own score)."""
    return _combines(scoring_rounds(session, rnd.edition_id), rnd)


# The statements a ranking reads, built once (those with loader options on first use): the
# organizer's round page computes a ranking on every visit while the round is open (issue 12 item 9).
@cache
def _edition_rounds():
    return (
        select(Round)
        .where(Round.edition_id == bindparam("edition_id"))
        .order_by(Round.position)
        .options(lazyload(Round.edition), lazyload(Round.criteria))
    )


def edition_rounds(session: Session, edition_id: int) -> list[Round]:
    """Every round of the edition by position, in one query (criteria are read only where a
    round's maximum is needed; ``rnd`` itself comes from the identity map as loaded)."""
    return list(session.scalars(_edition_rounds(), {"edition_id": edition_id}).unique())


_UNKNOWN = object()
_ADVANCED_FROM = (
    select(RoundResult.proposal_id)
    .join(Proposal, Proposal.id == RoundResult.proposal_id)
    .where(
        RoundResult.round_id == bindparam("round_id"),
        RoundResult.advanced.is_(True),
        Proposal.status != ProposalStatus.WITHDRAWN.value,
    )
)
_IN_EDITION_WITH_STATUS = select(Proposal.id).where(
    Proposal.edition_id == bindparam("edition_id"), Proposal.status == bindparam("status")
)


def proposal_ids_in_round(session: Session, rnd: Round, *, before=_UNKNOWN) -> list[int]:
    """The proposals a round takes: those that passed the eligibility round before it, or that
    advanced from the scoring round before it (withdrawn proposals never). ``before``: the round
    before it (None for the first), when the caller has it already."""
    if before is _UNKNOWN:
        before = preceding_round(session, rnd)
    if before is not None and before.kind == RoundKind.SCORING:
        return sorted(session.scalars(_ADVANCED_FROM, {"round_id": before.id}))
    wanted = ProposalStatus.ELIGIBLE.value if before is not None else ProposalStatus.SUBMITTED.value
    return sorted(session.scalars(_IN_EDITION_WITH_STATUS, {"edition_id": rnd.edition_id, "status": wanted}))


def proposals_in_round(session: Session, rnd: Round) -> list[Proposal]:
    ids = proposal_ids_in_round(session, rnd)
    if not ids:
        return []
    return list(session.scalars(select(Proposal).where(Proposal.id.in_(ids)).order_by(Proposal.id)).unique())


_JUDGE_TOTALS = (
    select(Assignment.judge_id, Assignment.proposal_id, func.sum(Score.points))
    .join(Score, Score.assignment_id == Assignment.id)
    .where(
        Assignment.round_id == bindparam("round_id"),
        Assignment.status == SheetStatus.SUBMITTED.value,
        ~integrity.in_conflict(bindparam("edition_id")),
    )
    .group_by(Assignment.judge_id, Assignment.proposal_id)
)


def judge_totals(session: Session, rnd: Round) -> dict[int, dict[int, Decimal]]:
    """{judge: {proposal: total}} over the round's submitted sheets, in one aggregate query.

    A sheet whose judge has a declared conflict with the proposal never counts, whatever its status.
    """
    rows = session.execute(_JUDGE_TOTALS, {"round_id": rnd.id, "edition_id": rnd.edition_id})
    totals: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for judge_id, proposal_id, total in rows:
        totals[judge_id][proposal_id] = Decimal(total).quantize(Decimal("0.01"))
    return totals


_GROUP_WEIGHTS = select(JudgeGroup.id, JudgeGroup.weight_percent).where(JudgeGroup.round_id == bindparam("round_id"))
_GROUP_MEMBERS = select(JudgeGroupMember.judge_id, JudgeGroupMember.group_id).where(
    JudgeGroupMember.round_id == bindparam("round_id")
)


def groups_of_round(session: Session, rnd: Round) -> tuple[dict[int, int], dict[int, int]]:
    """(judge → group, group → weight) of a round's judge groups; empty when it has none."""
    weights = dict(session.execute(_GROUP_WEIGHTS, {"round_id": rnd.id}).all())
    members = dict(session.execute(_GROUP_MEMBERS, {"round_id": rnd.id}).all())
    return members, weights


_ROUND_SCORES = select(RoundResult.round_id, RoundResult.proposal_id, RoundResult.round_score).where(
    RoundResult.round_id.in_(bindparam("round_ids", expanding=True))
)
_SUBMITTED_AT = select(Proposal.id, Proposal.submitted_at).where(Proposal.edition_id == bindparam("edition_id"))
_MISSING_SHEETS = (
    select(func.count())
    .select_from(Assignment)
    .where(Assignment.round_id == bindparam("round_id"), Assignment.status == SheetStatus.ASSIGNED.value)
)


def _earlier_scores(session: Session, rounds: list[Round]) -> dict[int, dict[int, Decimal]]:
    """{round: {proposal: round score}} of closed rounds."""
    if not rounds:
        return {}
    by_round: dict[int, dict[int, Decimal]] = defaultdict(dict)
    rows = session.execute(_ROUND_SCORES, {"round_ids": [r.id for r in rounds]})
    for round_id, proposal_id, value in rows:
        by_round[round_id][proposal_id] = value
    return by_round


def rank_round(session: Session, rnd: Round) -> Ranking:
    """The ranking the round's submitted sheets give now (a preview while the round is open).

    Raises: DomainError when the round's rubric has no points, or a judge is missing from the
        round's judge groups.
    """
    if rnd.max_total <= 0:
        raise DomainError(_("这一轮没有评分标准，无法计算得分。"))
    totals = judge_totals(session, rnd)
    all_rounds = edition_rounds(session, rnd.edition_id)
    earlier_rounds = [r for r in all_rounds if r.position < rnd.position]
    in_round = proposal_ids_in_round(session, rnd, before=earlier_rounds[-1] if earlier_rounds else None)
    group_of, group_weights = groups_of_round(session, rnd)
    if group_of and (strays := sorted(set(totals) - set(group_of))):
        raise DomainError(_("有%(n)d位评委不属于本轮任何评委组，请先在评委组中加入他们。", n=len(strays)))
    options = {"method": rnd.aggregation, "threshold": rnd.trim_min_judges}
    raw = scoring.aggregate_groups(totals, group_of, group_weights, normalised=False, **options)
    normalised = scoring.aggregate_groups(totals, group_of, group_weights, normalised=True, **options) if totals else {}

    rounds = [r for r in all_rounds if r.kind == RoundKind.SCORING]
    weighted_rounds = [r for r in rounds if r.weight_percent > 0]
    combined = _combines(rounds, rnd)
    previous = [r for r in rounds if r.position < rnd.position]
    earlier = _earlier_scores(session, [r for r in weighted_rounds if r.id != rnd.id] + previous[-1:])
    previous_scores = earlier.get(previous[-1].id, {}) if previous else {}
    submitted_at = dict(session.execute(_SUBMITTED_AT, {"edition_id": rnd.edition_id}).all())

    entries, own = [], {}
    for proposal_id in sorted(raw):
        round_score = (normalised if rnd.normalize else raw)[proposal_id].score
        own[proposal_id] = round_score
        score = round_score
        if combined:
            parts = []
            for r in weighted_rounds:
                value = round_score if r.id == rnd.id else earlier.get(r.id, {}).get(proposal_id)
                if value is not None:
                    value = Fraction(value) if isinstance(value, Decimal) else value
                    parts.append((r.weight_percent, scoring.on_hundred(value, r.max_total)))
            score = scoring.weighted(parts) if parts else scoring.on_hundred(round_score, rnd.max_total)
        previous_score = previous_scores.get(proposal_id)
        entries.append(
            scoring.Entry(
                proposal_id,
                score,
                Fraction(previous_score) if previous_score is not None else None,
                submitted_at.get(proposal_id),
            )
        )
    ranked = scoring.rank(entries)
    going_on = scoring.advancing(
        ranked, rule=rnd.advancement or Advancement.ALL.value, top_n=rnd.advance_top_n, min_score=rnd.advance_min_score
    )
    rows = [
        Row(
            proposal_id=r.entry.proposal_id,
            rank=r.rank,
            score=r.entry.score,
            round_score=own[r.entry.proposal_id],
            raw_score=raw[r.entry.proposal_id].score,
            normalised_score=float(normalised[r.entry.proposal_id].score) if normalised else None,
            judges=raw[r.entry.proposal_id].judges,
            stdev=raw[r.entry.proposal_id].stdev,
            spread=raw[r.entry.proposal_id].range,
            advanced=r.entry.proposal_id in going_on,
        )
        for r in ranked
    ]
    missing = session.scalar(_MISSING_SHEETS, {"round_id": rnd.id})
    held, withdrawn = integrity.blocking_sheets(session, rnd)
    return Ranking(
        rows=rows,
        combined=combined,
        **_judge_means(totals),
        missing_sheets=missing or 0,
        unscored=[p for p in in_round if p not in raw],
        held=held,
        withdrawn=withdrawn,
    )


def closed_round(session: Session, rnd: Round) -> Ranking:
    """What the page of a closed round shows: its stored results (``rows``: the RoundResults, in
    rank order; they carry a ranking row's fields), whether they combine rounds, the judges' means
    and the sheets that do not count. Nothing is ranked again: the stored results are the round's.
    """
    held, withdrawn = integrity.blocking_sheets(session, rnd)
    return Ranking(
        rows=stored_results(session, rnd),
        combined=combines_rounds(session, rnd),
        **_judge_means(judge_totals(session, rnd)),
        held=held,
        withdrawn=withdrawn,
    )


def _judge_means(totals: dict[int, dict[int, Decimal]]) -> dict:
    """Each judge's mean total and the round's mean of every total (the page's scale chart)."""
    every = [float(t) for by_proposal in totals.values() for t in by_proposal.values()]
    return {
        "judge_means": {j: float(scoring.mean(list(v.values()))) for j, v in totals.items() if v},
        "round_mean": sum(every) / len(every) if every else None,
    }


def _lock(session: Session, rnd: Round) -> Round:
    """The round re-read under a row lock (waits for a concurrent closing to finish)."""
    return session.execute(
        select(Round).where(Round.id == rnd.id).with_for_update(of=Round).execution_options(populate_existing=True)
    ).scalar_one()


def close_scoring_round(session: Session, *, actor, rnd: Round) -> list[RoundResult]:
    """Close a complete scoring round: store each proposal's score, rank and advancement.

    Idempotent: closing a closed round returns the stored results and changes nothing.

    Raises:
        NotAllowed: not the edition's organizer.
        DomainError: not an open scoring round, sheets missing, a proposal without any score.
    """
    if not edition_policy.can_manage_round(actor, rnd):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if rnd.kind != RoundKind.SCORING:
        raise DomainError(_("这一轮不是评分轮次。"))
    rnd = _lock(session, rnd)
    if rnd.status == RoundStatus.CLOSED.value:
        return stored_results(session, rnd)
    if rnd.status != RoundStatus.OPEN.value:
        raise DomainError(_("本轮评审没有在进行中。"))
    with collector_paused():  # a large round allocates millions of short-lived numbers
        return _rank_and_store(session, actor=actor, rnd=rnd)


def _rank_and_store(session: Session, *, actor, rnd: Round) -> list[RoundResult]:
    ranking = rank_round(session, rnd)
    if ranking.missing_sheets:
        raise DomainError(_("还有%(n)d张评分表没有提交，不能结束本轮。", n=ranking.missing_sheets))
    if ranking.held:
        raise DomainError(
            _(
                "有%(n)d张评分表的评委评审资格已撤销，请先决定保留或作废：%(sheets)s",
                n=len(ranking.held),
                sheets=integrity.listing(ranking.held),
            )
        )
    if ranking.withdrawn:
        raise DomainError(
            _(
                "有%(n)d张评分表因利益冲突或评审资格撤销不计分，项目评委不足，请先改派：%(sheets)s",
                n=len(ranking.withdrawn),
                sheets=integrity.listing(ranking.withdrawn),
            )
        )
    if ranking.unscored:
        raise DomainError(_("有%(n)d个项目还没有任何评委的评分，请先分配评委。", n=len(ranking.unscored)))
    if not ranking.rows:
        raise DomainError(_("这一轮没有可排名的项目。"))
    round_machine.transition(session, rnd, RoundStatus.CLOSED.value, actor=actor)
    stamp = now()
    session.execute(
        insert(RoundResult),
        [
            {
                "round_id": rnd.id,
                "proposal_id": row.proposal_id,
                "score": to_decimal(row.score),
                "round_score": to_decimal(row.round_score),
                "raw_score": to_decimal(row.raw_score),
                "normalised_score": to_decimal(row.normalised_score) if row.normalised_score is not None else None,
                "judges": row.judges,
                "stdev": to_decimal(row.stdev),
                "spread": to_decimal(row.spread),
                "rank": row.rank,
                "advanced": row.advanced,
                "computed_at": stamp,
            }
            for row in ranking.rows
        ],
    )
    audit.record(
        session,
        actor=actor,
        action="round.results",
        obj=rnd,
        district_id=rnd.edition.district_id,
        after={
            "ranked": len(ranking.rows),
            "advanced": sum(1 for r in ranking.rows if r.advanced),
            "first": ranking.rows[0].proposal_id,
            "combined": ranking.combined,
        },
    )
    notification_events.scoring_closed(session, rnd)
    return stored_results(session, rnd)


def close_round(session: Session, *, actor, rnd: Round):
    """Close any round: eligibility (every proposal decided) or scoring (results stored)."""
    from grants.judging import eligibility

    if rnd.kind == RoundKind.ELIGIBILITY:
        return eligibility.close_round(session, actor=actor, rnd=rnd)
    return close_scoring_round(session, actor=actor, rnd=rnd)


def reopen_round(session: Session, *, actor, rnd: Round, reason: str) -> None:
    """Re-open a closed round (organizer, with a reason). Scores are kept; the stored results are
    discarded (recorded in the audit log) and computed again when the round closes again.

    Raises:
        NotAllowed: not the edition's organizer.
        DomainError: a later round has started or has judges assigned; no reason given.
    """
    if not edition_policy.can_manage_round(actor, rnd):
        raise NotAllowed(_("您没有权限执行此操作。"))
    later = session.scalars(
        select(Round).where(Round.edition_id == rnd.edition_id, Round.position > rnd.position).order_by(Round.position)
    ).all()
    for other in later:
        started = other.status != RoundStatus.PENDING.value or session.scalar(
            select(func.count()).select_from(Assignment).where(Assignment.round_id == other.id)
        )
        if started:
            raise DomainError(_("后面的轮次“%(name)s”已经开始或已分配评委，不能重新开启本轮。", name=other.name))
    rnd = _lock(session, rnd)
    round_machine.transition(session, rnd, RoundStatus.OPEN.value, actor=actor, reason=reason)
    discarded = session.execute(delete(RoundResult).where(RoundResult.round_id == rnd.id)).rowcount
    if discarded:
        audit.record(
            session,
            actor=actor,
            action="round.results_discarded",
            obj=rnd,
            district_id=rnd.edition.district_id,
            before={"results": discarded},
            reason=reason,
        )


class ProposalLabel(NamedTuple):
    id: int
    title: str
    community_name: str | None


_PROPOSAL_LABELS = (
    select(Proposal.id, Proposal.title, Community.name)
    .outerjoin(Community, Community.id == Proposal.community_id)
    .where(Proposal.id.in_(bindparam("ids", expanding=True)))
)


def proposal_labels(session: Session, ids) -> dict[int, ProposalLabel]:
    """{id: (id, title, community name)} in one query: what a ranking table shows of each proposal."""
    ids = list(ids)
    if not ids:
        return {}
    return {row[0]: ProposalLabel(*row) for row in session.execute(_PROPOSAL_LABELS, {"ids": ids})}


def load_proposals(session: Session, ids) -> dict[int, Proposal]:
    """{id: proposal} in one query, without the proposals' child rows (for ranking tables)."""
    ids = list(ids)
    if not ids:
        return {}
    query = (
        select(Proposal)
        .where(Proposal.id.in_(ids))
        .options(
            lazyload(Proposal.team),
            lazyload(Proposal.activities),
            lazyload(Proposal.budget_lines),
            lazyload(Proposal.attachments),
            # Ranking tables show title and community; the edition is the round's (already loaded).
            lazyload(Proposal.edition),
            lazyload(Proposal.applicant),
        )
    )
    return {p.id: p for p in session.scalars(query).unique()}


def stored_results(session: Session, rnd: Round, *, with_proposals: bool = False) -> list[RoundResult]:
    """The round's results in rank order; ``with_proposals`` loads each proposal (for pages) in
    the same query, without the proposal's child rows."""
    query = select(RoundResult).where(RoundResult.round_id == rnd.id).order_by(RoundResult.rank)
    if with_proposals:
        query = query.options(joinedload(RoundResult.proposal).lazyload("*"))
    return list(session.scalars(query).unique())


def release_comments(session: Session, *, actor, rnd: Round) -> None:
    """Show the judges' comments of a closed round to the applicants (never names or scores).

    Raises: NotAllowed (not the organizer); DomainError (the round is not a closed scoring round).
    """
    if not edition_policy.can_manage_round(actor, rnd):
        raise NotAllowed(_("您没有权限执行此操作。"))
    if rnd.kind != RoundKind.SCORING or rnd.status != RoundStatus.CLOSED.value:
        raise DomainError(_("评审意见只能在评分轮次结束后发布。"))
    if rnd.comments_released_at is not None:
        return
    rnd.comments_released_at = now()
    audit.record(session, actor=actor, action="round.release_comments", obj=rnd, district_id=rnd.edition.district_id)


def released_comments(session: Session, proposal_id: int) -> list[tuple[str, list[str]]]:
    """(round name, comments) of the rounds whose comments were released, for the applicant."""
    rows = session.execute(
        select(Round.name, Assignment.comment)
        .join(Assignment, Assignment.round_id == Round.id)
        .where(
            Assignment.proposal_id == proposal_id,
            Assignment.status == SheetStatus.SUBMITTED.value,
            ~integrity.in_conflict(Round.edition_id),
            Round.comments_released_at.is_not(None),
            Assignment.comment != "",
        )
        .order_by(Round.position, Assignment.id)
    ).all()
    grouped: dict[str, list[str]] = {}
    for name, comment in rows:
        grouped.setdefault(name, []).append(comment)
    return list(grouped.items())
