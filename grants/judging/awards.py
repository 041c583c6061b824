"""Award tiers of an edition and the approved amount of each winner of the final round.

Tiers (一等奖 3, 二等奖 5, 三等奖 8, 优秀奖 10 — or simply 资助 20) are given in ranking order
to the proposals that advanced in the last scoring round. Each winner's approved amount defaults
to the amount requested and may be lowered, never raised; the winners' total must stay within the
edition's pool. Everything is stored on the final round's `RoundResult`s and audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from grants import audit, money
from grants.editions import policy as edition_policy
from grants.editions.models import Edition, Round
from grants.editions.states import RoundStatus
from grants.errors import DomainError, NotAllowed
from grants.judging.closing import scoring_rounds, stored_results
from grants.judging.models import AwardTier, RoundResult
from grants.params import whole_number

TIER_ROWS = 6  # rows of the tier form


@dataclass(frozen=True)
class TierInput:
    name: str
    winners: str  # as typed


def tiers_of(session: Session, edition_id: int) -> list[AwardTier]:
    return list(
        session.scalars(select(AwardTier).where(AwardTier.edition_id == edition_id).order_by(AwardTier.position))
    )


def _check_organizer(actor, edition: Edition) -> None:
    if not edition_policy.can_manage_edition(actor, edition):
        raise NotAllowed(_("您没有权限执行此操作。"))


def set_tiers(session: Session, *, actor, edition: Edition, rows: list[TierInput]) -> list[AwardTier]:
    """Replace the edition's award tiers (blank rows are ignored).

    Raises: NotAllowed; DomainError naming the row (no name, duplicate, count not a whole number).
    """
    _check_organizer(actor, edition)
    parsed: list[tuple[str, int]] = []
    for number, row in enumerate(rows, start=1):
        name, count = (row.name or "").strip(), (row.winners or "").strip()
        if not name and not count:
            continue
        if not name or len(name) > 40:
            raise DomainError(_("第%(n)d行：奖项名称必填，最多40个字。", n=number), field="tiers")
        winners = whole_number(count, maximum=10_000)
        if winners is None:
            raise DomainError(_("第%(n)d行：“%(name)s”的名额应为0或正整数。", n=number, name=name), field="tiers")
        if name in {p[0] for p in parsed}:
            raise DomainError(_("奖项“%(name)s”重复了。", name=name), field="tiers")
        parsed.append((name, winners))
    if not parsed:
        raise DomainError(_("请至少设置一个奖项，例如“资助”。"), field="tiers")
    before = [(t.name, t.winners) for t in tiers_of(session, edition.id)]
    session.execute(delete(AwardTier).where(AwardTier.edition_id == edition.id))
    tiers = [
        AwardTier(edition_id=edition.id, position=i, name=name, winners=count)
        for i, (name, count) in enumerate(parsed, start=1)
    ]
    session.add_all(tiers)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="edition.award_tiers",
        obj=edition,
        district_id=edition.district_id,
        before={"tiers": before},
        after={"tiers": parsed},
    )
    return tiers


def final_round(session: Session, edition_id: int) -> Round | None:
    rounds = scoring_rounds(session, edition_id)
    return rounds[-1] if rounds else None


def _closed_final(session: Session, edition: Edition) -> Round:
    rnd = final_round(session, edition.id)
    if rnd is None or rnd.status != RoundStatus.CLOSED.value:
        raise DomainError(_("终评结束后才能评定奖项和核定金额。"))
    return rnd


def assign_tiers(session: Session, *, actor, edition: Edition) -> int:
    """Give the tiers in ranking order to the final round's advanced proposals; returns winners.

    Approved amounts default to the request for new winners; winners who keep a tier keep the
    amount already approved. Running it again after changing the tiers re-deals them.

    Raises: NotAllowed; DomainError (final round not closed, no tiers).
    """
    _check_organizer(actor, edition)
    rnd = _closed_final(session, edition)
    tiers = tiers_of(session, edition.id)
    if not tiers:
        raise DomainError(_("请先设置奖项和名额。"))
    slots = [t.name for t in tiers for _i in range(t.winners)]
    results = stored_results(session, rnd, with_proposals=True)
    winners = [r for r in results if r.advanced]
    before = {r.proposal_id: r.tier for r in results if r.tier}
    place = {r.id: i for i, r in enumerate(winners)}
    for result in results:
        i = place.get(result.id)
        if i is not None and i < len(slots):
            result.tier = slots[i]
            if result.approved_fen is None:
                result.approved_fen = result.proposal.requested_fen
        else:
            result.tier, result.approved_fen = None, None
    session.flush()
    after = {r.proposal_id: r.tier for r in results if r.tier}
    audit.record(
        session,
        actor=actor,
        action="round.award_tiers",
        obj=rnd,
        district_id=edition.district_id,
        before={"tiers": before},
        after={"tiers": after},
    )
    return len(after)


def approved_total(results: list[RoundResult]) -> int:
    return sum(r.approved_fen or 0 for r in results if r.tier)


def set_amounts(session: Session, *, actor, edition: Edition, amounts: dict[int, str]) -> int:
    """Approve amounts (yuan, as typed) per winning result id; all or nothing; returns the total fen.

    Raises:
        NotAllowed: not the edition's organizer.
        DomainError: an amount that is not money, is zero, is above the request, or a total above
            the pool (the message names the project or the figures).
    """
    _check_organizer(actor, edition)
    rnd = _closed_final(session, edition)
    results = [r for r in stored_results(session, rnd, with_proposals=True) if r.tier]
    before = {r.proposal_id: r.approved_fen for r in results}
    for result in results:
        if result.id not in amounts:
            continue
        title = result.proposal.title
        try:
            fen = money.yuan_to_fen((amounts[result.id] or "").strip().replace(",", ""))
        except ValueError as exc:
            raise DomainError(_("“%(title)s”的核定金额不是有效的金额。", title=title), field=f"r{result.id}") from exc
        if fen <= 0:
            raise DomainError(_("“%(title)s”的核定金额必须大于0。", title=title), field=f"r{result.id}")
        if fen > result.proposal.requested_fen:
            raise DomainError(
                _(
                    "“%(title)s”的核定金额不能高于申请金额%(requested)s。",
                    title=title,
                    requested=money.format_fen(result.proposal.requested_fen),
                ),
                field=f"r{result.id}",
            )
        result.approved_fen = fen
    total = approved_total(results)
    if total > edition.pool_fen:
        raise DomainError(
            _(
                "核定金额合计%(total)s，超过了本届资金池%(pool)s。",
                total=money.format_fen(total),
                pool=money.format_fen(edition.pool_fen),
            )
        )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="round.approve_amounts",
        obj=rnd,
        district_id=edition.district_id,
        before={"approved_fen": before},
        after={"approved_fen": {r.proposal_id: r.approved_fen for r in results}, "total_fen": total},
    )
    return total
