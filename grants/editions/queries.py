"""What the organizer's edition page reads: the edition with its categories, and its rounds as
cards with their criteria — each in one statement built once (issue 12 item 9)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from grants.editions.models import Criterion, Edition, Round, RoundKind


# The edition, its district (joined by the model) and its categories in one statement: the
# page and the lifecycle guards read them. Built on first use, as are the other statements with
# loader options built once (judging.reading, judging.closing, judging.views): loader options
# configure every mapper, which needs every model imported, and importing a module must not.
@cache
def _edition():
    return select(Edition).options(joinedload(Edition.categories)).where(Edition.id == bindparam("edition_id"))


def edition_with_categories(session: Session, edition_id: int) -> Edition | None:
    return session.execute(_edition(), {"edition_id": edition_id}).unique().scalar_one_or_none()


class CriterionLine(NamedTuple):
    name: str
    max_points: int | None


class RoundCard(NamedTuple):
    """A round as the edition page shows it: its settings and criteria, read-only."""

    id: int
    position: int
    name: str
    kind: str
    mode: str
    judges_per_proposal: int
    aggregation: str
    advancement: str
    advance_top_n: int | None
    advance_min_score: Decimal | None
    weight_percent: int
    status: str
    criteria: tuple[CriterionLine, ...]

    @property
    def is_scoring(self) -> bool:
        return self.kind == RoundKind.SCORING

    @property
    def max_total(self) -> int:
        return sum(c.max_points or 0 for c in self.criteria)


_ROUND_COLUMNS = (
    Round.id,
    Round.position,
    Round.name,
    Round.kind,
    Round.mode,
    Round.judges_per_proposal,
    Round.aggregation,
    Round.advancement,
    Round.advance_top_n,
    Round.advance_min_score,
    Round.weight_percent,
    Round.status,
)
_ROUND_CARDS = (
    select(*_ROUND_COLUMNS, Criterion.name, Criterion.max_points)
    .outerjoin(Criterion, Criterion.round_id == Round.id)
    .where(Round.edition_id == bindparam("edition_id"))
    .order_by(Round.position, Criterion.position, Criterion.id)
)


def round_cards(session: Session, edition_id: int) -> list[RoundCard]:
    """The edition's rounds in order, each with its criteria in order, in one query."""
    settings: dict[int, tuple] = {}
    criteria: dict[int, list[CriterionLine]] = {}
    width = len(_ROUND_COLUMNS)
    for row in session.connection().execute(_ROUND_CARDS, {"edition_id": edition_id}):
        round_id = row[0]
        if round_id not in settings:
            settings[round_id], criteria[round_id] = tuple(row[:width]), []
        if row[width] is not None:  # a round without criteria has one row of NULLs
            criteria[round_id].append(CriterionLine(row[width], row[width + 1]))
    return [RoundCard(*values, criteria=tuple(criteria[round_id])) for round_id, values in settings.items()]
