"""Where a proposal stands — the one place its stage is read, for the applicant's list, its page
and the home page: from its status, the stored round results, the current public notice and the
grant. A fixed number of queries for any number of proposals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from grants.editions.models import Round, RoundKind
from grants.editions.states import RESULTS_OUT, RoundStatus
from grants.funding.models import Grant
from grants.judging.models import Assignment, RoundResult
from grants.judging.states import SheetStatus
from grants.proposals.models import Proposal
from grants.proposals.states import ProposalStatus, proposal_status_label
from grants.results.models import Publication, PublicationEntry
from grants.results.states import PublicationStatus


class Stage(StrEnum):
    DRAFT = "draft"
    RETURNED = "returned"
    WITHDRAWN = "withdrawn"
    SCREENING = "screening"  # submitted, waiting for round 1
    INELIGIBLE = "ineligible"
    ELIGIBLE = "eligible"  # passed round 1, scoring not started
    IN_REVIEW = "in_review"  # in an open scoring round
    ADVANCED = "advanced"  # advanced from a scoring round, the next one not yet closed
    NOT_ADVANCED = "not_advanced"
    AWAITING_NOTICE = "awaiting_notice"  # ranked in the last round, results not yet published
    IN_NOTICE = "in_notice"  # listed in the current public notice
    AWARDED = "awarded"  # results final: a grant
    FUNDED = "funded"  # the grant agreement is signed


@dataclass
class Standing:
    proposal: Proposal
    stage: Stage
    label: str
    round_name: str | None = None
    tier: str | None = None
    approved_fen: int | None = None
    deadline: datetime | None = None  # what the applicant must act before
    deadline_label: str = ""
    entry_id: int | None = None  # its line in the current public notice
    grant_id: int | None = None  # its grant (the funding page: payments, expenses, reports)
    comments: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def tone(self) -> str:
        """The badge's class: ok, warn, err or plain."""
        if self.stage in (Stage.AWARDED, Stage.FUNDED, Stage.IN_NOTICE, Stage.ADVANCED):
            return "ok"
        if self.stage in (Stage.RETURNED, Stage.DRAFT):
            return "warn"
        if self.stage in (Stage.INELIGIBLE, Stage.NOT_ADVANCED):
            return "err"
        return ""


def _lean(query):
    """Proposals without their child rows (a list shows none of them)."""
    return query.options(
        lazyload(Proposal.team),
        lazyload(Proposal.activities),
        lazyload(Proposal.budget_lines),
        lazyload(Proposal.attachments),
    )


def standings_of_applicant(session: Session, applicant_id: int) -> list[Standing]:
    """The applicant's proposals, newest first, each with its stage."""
    proposals = list(
        session.scalars(
            _lean(select(Proposal)).where(Proposal.applicant_id == applicant_id).order_by(Proposal.created_at.desc())
        ).unique()
    )
    return standings(session, proposals)


def standings(session: Session, proposals: list[Proposal]) -> list[Standing]:
    """Each proposal's stage, in the order given; five queries whatever the number of proposals."""
    if not proposals:
        return []
    ids = [p.id for p in proposals]
    edition_ids = {p.edition_id for p in proposals}
    rounds: dict[int, list[Round]] = {}
    for rnd in session.scalars(
        select(Round)
        .where(Round.edition_id.in_(edition_ids), Round.kind == RoundKind.SCORING.value)
        .options(lazyload(Round.criteria), lazyload(Round.edition))
        .order_by(Round.edition_id, Round.position)
    ):
        rounds.setdefault(rnd.edition_id, []).append(rnd)
    results: dict[int, tuple[Round, RoundResult]] = {}
    for result, rnd in session.execute(
        select(RoundResult, Round)
        .join(Round, Round.id == RoundResult.round_id)
        .where(RoundResult.proposal_id.in_(ids))
        .options(lazyload(Round.criteria), lazyload(Round.edition))
        .order_by(Round.position)
    ):
        results[result.proposal_id] = (rnd, result)  # the latest round wins
    listed: dict[int, tuple[Publication, PublicationEntry]] = {}
    for entry, publication in session.execute(
        select(PublicationEntry, Publication)
        .join(Publication, Publication.id == PublicationEntry.publication_id)
        .where(PublicationEntry.proposal_id.in_(ids), Publication.status == PublicationStatus.PUBLISHED.value)
        .options(lazyload(Publication.edition), lazyload(Publication.round))
        .order_by(Publication.number)
    ):
        listed[entry.proposal_id] = (publication, entry)
    grants = {
        g.proposal_id: g
        for g in session.scalars(select(Grant).where(Grant.proposal_id.in_(ids)).options(lazyload(Grant.proposal)))
    }
    comments = released_comments_of(session, ids)
    return [
        _standing(p, rounds.get(p.edition_id, []), results.get(p.id), listed.get(p.id), grants.get(p.id), comments)
        for p in proposals
    ]


def standing_of(session: Session, proposal: Proposal) -> Standing:
    return standings(session, [proposal])[0]


def released_comments_of(session: Session, proposal_ids: list[int]) -> dict[int, list[tuple[str, list[str]]]]:
    """{proposal: [(round name, comments)]} of the rounds whose comments were released (never names or scores)."""
    rows = session.execute(
        select(Assignment.proposal_id, Round.name, Assignment.comment)
        .join(Round, Round.id == Assignment.round_id)
        .where(
            Assignment.proposal_id.in_(proposal_ids),
            Assignment.status == SheetStatus.SUBMITTED.value,
            Round.comments_released_at.is_not(None),
            Assignment.comment != "",
        )
        .order_by(Assignment.proposal_id, Round.position, Assignment.id)
    ).all()
    grouped: dict[int, dict[str, list[str]]] = {}
    for proposal_id, name, comment in rows:
        grouped.setdefault(proposal_id, {}).setdefault(name, []).append(comment)
    return {pid: list(by_round.items()) for pid, by_round in grouped.items()}


def _standing(proposal, rounds, result, listed, grant, comments) -> Standing:
    standing = _stage(proposal, rounds, result, listed, grant)
    standing.comments = comments.get(proposal.id, [])
    return standing


def _stage(proposal: Proposal, rounds: list[Round], result, listed, grant) -> Standing:
    status = proposal.status
    if status == ProposalStatus.WITHDRAWN:
        return Standing(proposal, Stage.WITHDRAWN, proposal_status_label(status))
    if status == ProposalStatus.DRAFT:
        return Standing(
            proposal,
            Stage.DRAFT,
            proposal_status_label(status),
            deadline=proposal.edition.submission_closes_at,
            deadline_label=_("申报截止"),
        )
    if status == ProposalStatus.RETURNED:
        return Standing(
            proposal,
            Stage.RETURNED,
            proposal_status_label(status),
            deadline=proposal.resubmit_deadline,
            deadline_label=_("补正截止"),
        )
    if status == ProposalStatus.SUBMITTED:
        return Standing(proposal, Stage.SCREENING, _("等待资格审查"))
    if status == ProposalStatus.INELIGIBLE:
        return Standing(proposal, Stage.INELIGIBLE, proposal_status_label(status))
    if grant is not None:
        stage = Stage.FUNDED if grant.signed_at is not None else Stage.AWARDED
        label = _("资助实施中") if stage == Stage.FUNDED else _("获得资助")
        return Standing(proposal, stage, label, tier=grant.tier, approved_fen=grant.approved_fen, grant_id=grant.id)
    if listed is not None:
        publication, entry = listed
        return Standing(
            proposal,
            Stage.IN_NOTICE,
            _("公示中"),
            round_name=publication.title,
            tier=entry.tier,
            approved_fen=entry.approved_fen,
            deadline=publication.closes_at,
            deadline_label=_("异议期截止"),
            entry_id=entry.id,
        )
    if result is not None:
        rnd, row = result
        later = [r for r in rounds if r.position > rnd.position]
        # Once the final list is out, a finalist neither listed nor granted (e.g. removed by a
        # correction after an upheld objection) was not awarded, whatever its stored tier.
        if not later and (not row.advanced or proposal.edition.status in RESULTS_OUT):
            return Standing(proposal, Stage.NOT_ADVANCED, _("未获资助"), round_name=rnd.name)
        if not row.advanced:
            return Standing(proposal, Stage.NOT_ADVANCED, _("未晋级"), round_name=rnd.name)
        if later:
            nxt = later[0]
            if nxt.status == RoundStatus.OPEN.value:
                return Standing(proposal, Stage.IN_REVIEW, _("评审中"), round_name=nxt.name)
            return Standing(proposal, Stage.ADVANCED, _("已晋级"), round_name=nxt.name)
        return Standing(proposal, Stage.AWAITING_NOTICE, _("评审已结束，等待公示"), round_name=rnd.name)
    first = rounds[0] if rounds else None
    if first is not None and first.status != RoundStatus.PENDING.value:
        return Standing(proposal, Stage.IN_REVIEW, _("评审中"), round_name=first.name)
    return Standing(proposal, Stage.ELIGIBLE, proposal_status_label(status))
