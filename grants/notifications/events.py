"""Which notifications each event sends (called by the services that cause them, in their
transaction): a return for correction, a round's results, a public notice. One query and one
insert per event, whatever the number of proposals."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from grants.editions.models import Round, RoundKind
from grants.judging.models import EligibilityDecision, RoundResult
from grants.notifications import labels
from grants.notifications.service import Note, send, send_many
from grants.proposals.models import Proposal
from grants.results.models import Publication, PublicationEntry


def proposal_returned(session: Session, proposal: Proposal) -> None:
    send(
        session,
        Note(
            proposal.applicant_id,
            labels.RETURNED,
            proposal.id,
            {
                "title": proposal.title,
                "reason": proposal.return_reason or "",
                "deadline": proposal.resubmit_deadline.isoformat() if proposal.resubmit_deadline else None,
            },
        ),
    )


def eligibility_closed(session: Session, rnd: Round) -> int:
    """Each screened applicant learns whether the proposal passed (and why not)."""
    rows = session.execute(
        select(
            Proposal.id, Proposal.applicant_id, Proposal.title, EligibilityDecision.outcome, EligibilityDecision.reason
        )
        .join(EligibilityDecision, EligibilityDecision.proposal_id == Proposal.id)
        .where(EligibilityDecision.round_id == rnd.id)
    ).all()
    return send_many(
        session,
        [
            Note(
                applicant_id,
                labels.PASSED if outcome == "pass" else labels.FAILED,
                proposal_id,
                {"title": title, "round": rnd.name, "reason": reason or ""},
            )
            for proposal_id, applicant_id, title, outcome, reason in rows
        ],
    )


def scoring_closed(session: Session, rnd: Round) -> int:
    """Applicants learn whether they advanced; the last round's outcome is told by the notice."""
    later = session.scalar(
        select(func.count())
        .select_from(Round)
        .where(Round.edition_id == rnd.edition_id, Round.position > rnd.position, Round.kind == RoundKind.SCORING.value)
    )
    if not later:
        return 0
    rows = session.execute(
        select(Proposal.id, Proposal.applicant_id, Proposal.title, RoundResult.advanced)
        .join(RoundResult, RoundResult.proposal_id == Proposal.id)
        .where(RoundResult.round_id == rnd.id)
    ).all()
    return send_many(
        session,
        [
            Note(
                applicant_id,
                labels.ADVANCED if advanced else labels.NOT_ADVANCED,
                proposal_id,
                {"title": title, "round": rnd.name},
            )
            for proposal_id, applicant_id, title, advanced in rows
        ],
    )


def notice_published(session: Session, publication: Publication) -> int:
    """Each listed applicant learns the notice, the tier and when objections close."""
    rows = session.execute(
        select(
            PublicationEntry.id,
            PublicationEntry.proposal_id,
            PublicationEntry.tier,
            Proposal.applicant_id,
            Proposal.title,
        )
        .join(Proposal, Proposal.id == PublicationEntry.proposal_id)
        .where(PublicationEntry.publication_id == publication.id)
    ).all()
    closes_at = publication.closes_at.isoformat() if publication.closes_at else None
    return send_many(
        session,
        [
            Note(
                applicant_id,
                labels.LISTED,
                proposal_id,
                {
                    "title": title,
                    "tier": tier,
                    "notice": publication.title,
                    "closes_at": closes_at,
                    "entry_id": entry_id,
                },
            )
            for entry_id, proposal_id, tier, applicant_id, title in rows
        ],
    )


def judges_reminded(session: Session, rnd: Round, judge_ids: list[int], message: str) -> int:
    """The organizer's reminder (also shown on the queue) reaches each late judge's messages."""
    return send_many(
        session, [Note(j, labels.REMINDER, None, {"round": rnd.name, "message": message}) for j in judge_ids]
    )
