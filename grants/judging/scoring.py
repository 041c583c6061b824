"""Score aggregation and ranking: pure functions, no Flask, no database.

Exact arithmetic (``Fraction``) is used wherever it can be, so that equal scores really tie and
the ranking never depends on floating-point noise; only z-score normalisation and the spread
figures, which need square roots, are floats.

Worked example — five judges give one proposal the totals 78, 85, 90, 92 and 60:

* mean = (78 + 85 + 90 + 92 + 60) / 5 = 81
* trimmed mean (n = 5 ≥ threshold 5): drop the highest (92) and the lowest (60),
  (78 + 85 + 90) / 3 = 84.33…
* with three judges (78, 85, 90) the threshold is not reached and the mean 84.33… is used;
  dropping the extremes of three would leave the median only.
* disagreement: population standard deviation √(668 / 5) = 11.56…, range 92 − 60 = 32.

Normalisation (optional per round): each judge's totals become z-scores against that judge's own
mean and standard deviation, then are rescaled to the round's overall mean and standard
deviation, so a harsh or lenient judge weighs no more than any other. A judge who gave every
proposal the same total (no spread) contributes the round mean.

Judge groups (optional per round): e.g. 专家评委 70 % and 大众评审 30 %. Each group is aggregated
on its own (same method, same normalisation), then the groups' scores are weighted; with expert
means 85 and public mean 50 the score is 0.7 × 85 + 0.3 × 50 = 74.5.

Rounds combined (optional per edition): when an earlier scoring round carries a weight, the last
round's score is the weighted mean of the rounds' scores, each first put on a 100-point scale
(``on_hundred``): 初评 40/50 points with weight 40 and 终评 75/100 with weight 60 give
(40 × 80 + 60 × 75) / 100 = 77.

Ranking is a total order: higher score first, then the higher previous-round score, then the
earlier submission, then the lower id.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, Inexact, InvalidOperation, localcontext
from fractions import Fraction

Number = int | Decimal | Fraction
DEFAULT_TRIM_THRESHOLD = 5


def as_fraction(value: Number) -> Fraction:
    return Fraction(value)


def exact_sum(values: Iterable[Number]) -> Fraction:
    """The exact sum. Points are Decimals with two places: adding them as Decimals (exact, checked)
    and converting once is several times faster than adding Fractions."""
    values = list(values)
    if all(type(v) is Decimal or type(v) is int for v in values):
        with localcontext() as context:
            context.traps[Inexact] = True
            try:
                return Fraction(sum(values, Decimal(0)))
            except Inexact:
                pass  # more digits than the context holds: add them as Fractions
    return sum((as_fraction(v) for v in values), Fraction(0))


def judge_total(points: Iterable[Number]) -> Fraction:
    """One judge's total for one proposal: the sum of the criterion points."""
    return exact_sum(points)


def mean(values: Sequence[Number]) -> Fraction:
    """Raises: ValueError on an empty sequence."""
    if not values:
        raise ValueError("mean of no values")
    return exact_sum(values) / len(values)


def trimmed_mean(values: Sequence[Number], threshold: int = DEFAULT_TRIM_THRESHOLD) -> Fraction:
    """Mean without one highest and one lowest value when there are at least ``threshold`` values."""
    if threshold < 3:
        raise ValueError("the trimming threshold must be at least 3")
    ordered = sorted(as_fraction(v) for v in values)
    if len(ordered) >= threshold:
        ordered = ordered[1:-1]
    return mean(ordered)


def spread(values: Sequence[Number]) -> tuple[float, float]:
    """(population standard deviation, max − min) of the judges' totals: how much they disagree."""
    if not values:
        return 0.0, 0.0
    floats = [float(v) for v in values]
    centre = math.fsum(floats) / len(floats)
    deviation = math.sqrt(math.fsum((x - centre) ** 2 for x in floats) / len(floats))
    return deviation, max(floats) - min(floats)


def normalise(totals: Mapping[int, Mapping[int, Number]]) -> dict[int, dict[int, float]]:
    """Per-judge z-scores rescaled to the round: {judge: {proposal: total}} → same shape."""
    everything = [float(t) for by_proposal in totals.values() for t in by_proposal.values()]
    if not everything:
        return {}
    round_mean = statistics.fmean(everything)
    round_sd = statistics.pstdev(everything)
    result: dict[int, dict[int, float]] = {}
    for judge, by_proposal in totals.items():
        values = [float(t) for t in by_proposal.values()]
        judge_mean = statistics.fmean(values)
        judge_sd = statistics.pstdev(values)
        result[judge] = {
            proposal: round_mean + (((float(t) - judge_mean) / judge_sd) * round_sd if judge_sd > 0 else 0.0)
            for proposal, t in by_proposal.items()
        }
    return result


@dataclass(frozen=True)
class ProposalScore:
    proposal_id: int
    score: Fraction | float  # what the ranking uses
    raw_mean: Fraction  # plain mean of the judges' totals, for reference
    judges: int
    stdev: float
    range: float


def aggregate(
    totals: Mapping[int, Mapping[int, Number]],
    *,
    method: str = "mean",
    threshold: int = DEFAULT_TRIM_THRESHOLD,
    normalised: bool = False,
) -> dict[int, ProposalScore]:
    """Scores per proposal from {judge: {proposal: total}}.

    ``method`` is "mean" or "trimmed_mean"; with ``normalised`` the judges' totals are first
    normalised (the score is then a float).
    """
    if method not in ("mean", "trimmed_mean"):
        raise ValueError(f"unknown aggregation {method!r}")
    source: Mapping[int, Mapping[int, Number | float]] = normalise(totals) if normalised else totals
    by_proposal: dict[int, list] = defaultdict(list)
    raw: dict[int, list[Number]] = defaultdict(list)
    for judge, values in source.items():
        for proposal, value in values.items():
            by_proposal[proposal].append(value)
            raw[proposal].append(totals[judge][proposal])
    scores = {}
    for proposal, values in by_proposal.items():
        if normalised:
            ordered = sorted(values)
            if method == "trimmed_mean" and len(ordered) >= threshold:
                ordered = ordered[1:-1]
            score: Fraction | float = math.fsum(ordered) / len(ordered)
        else:
            score = trimmed_mean(values, threshold) if method == "trimmed_mean" else mean(values)
        sd, rng = spread(raw[proposal])
        scores[proposal] = ProposalScore(proposal, score, mean(raw[proposal]), len(values), sd, rng)
    return scores


def weighted(parts: Iterable[tuple[Number, Fraction | float]]) -> Fraction | float:
    """Σ weight × score / Σ weight, e.g. 专家评委 70 % and 大众评审 30 %, or rounds 15/25/60 %.

    Raises: ValueError when the weights sum to zero.
    """
    parts = list(parts)
    total_weight = sum(as_fraction(w) for w, _s in parts)
    if total_weight == 0:
        raise ValueError("weights sum to zero")
    if any(isinstance(s, float) for _w, s in parts):
        return math.fsum(float(w) * float(s) for w, s in parts) / float(total_weight)
    return sum((as_fraction(w) * s for w, s in parts), Fraction(0)) / total_weight


@dataclass(frozen=True)
class Entry:
    proposal_id: int
    score: Fraction | float
    previous_score: Fraction | float | None = None
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class Ranked:
    rank: int
    entry: Entry


def _descending(value: Number) -> tuple[float, Fraction]:
    """A sort key for ``value``, largest first. The float decides unless two floats are equal
    (rounding to float never reverses an order), then the exact value does: as exact as sorting
    Fractions, and much faster on long lists."""
    exact = as_fraction(value)
    return (-float(exact), -exact)


def _key(entry: Entry):
    previous = entry.previous_score
    submitted = entry.submitted_at.timestamp() if entry.submitted_at else math.inf
    return (*_descending(entry.score), previous is None, *_descending(previous or 0), submitted, entry.proposal_id)


def rank(entries: Iterable[Entry]) -> list[Ranked]:
    """A total order (ranks 1..n, no two alike), deterministic whatever the input order."""
    return [Ranked(i, entry) for i, entry in enumerate(sorted(entries, key=_key), start=1)]


def advancing(
    ranked: Sequence[Ranked], *, rule: str, top_n: int | None = None, min_score: Number | None = None
) -> set[int]:
    """Proposal ids that advance under the round's rule ("all", "top_n" or "min_score")."""
    if rule == "all":
        return {r.entry.proposal_id for r in ranked}
    if rule == "top_n":
        return {r.entry.proposal_id for r in ranked[: top_n or 0]}
    if rule == "min_score":
        bar = as_fraction(min_score or 0)
        return {r.entry.proposal_id for r in ranked if r.entry.score >= bar}
    raise ValueError(f"unknown advancement rule {rule!r}")


def aggregate_groups(
    totals: Mapping[int, Mapping[int, Number]],
    group_of: Mapping[int, int] | None = None,
    group_weights: Mapping[int, Number] | None = None,
    **options,
) -> dict[int, ProposalScore]:
    """Like :func:`aggregate`, with judges in weighted groups each aggregated on its own.

    ``group_of`` maps judge → group and ``group_weights`` group → weight; a proposal's score is the
    weighted mean of its groups' scores (groups that did not score it are left out). The judge
    count and the disagreement figures are over all the proposal's judges. Without groups this is
    :func:`aggregate`.

    Raises: ValueError when a judge has no group.
    """
    if not group_of:
        return aggregate(totals, **options)
    weights = group_weights or {}
    split: dict[int, dict[int, Mapping[int, Number]]] = defaultdict(dict)
    for judge, values in totals.items():
        if judge not in group_of:
            raise ValueError(f"judge {judge} has no group")
        split[group_of[judge]][judge] = values
    per_group = {group: aggregate(members, **options) for group, members in split.items()}
    raw: dict[int, list[Number]] = defaultdict(list)
    for values in totals.values():
        for proposal, value in values.items():
            raw[proposal].append(value)
    result = {}
    for proposal, values in raw.items():
        parts = [(weights[g], scores[proposal].score) for g, scores in per_group.items() if proposal in scores]
        sd, rng = spread(values)
        result[proposal] = ProposalScore(proposal, weighted(parts), mean(values), len(values), sd, rng)
    return result


def on_hundred(score: Fraction | float, max_total: Number) -> Fraction | float:
    """A round's score on a 100-point scale, so that rounds with different rubrics can be weighted."""
    if isinstance(score, float):
        return score * 100 / float(max_total)
    return as_fraction(score) * 100 / as_fraction(max_total)


TYPED_LIMIT = Decimal(10) ** 9  # no criterion is worth this much: a typed value beyond it counts as nothing


def entered_total(texts: Iterable[str]) -> Decimal:
    """The score sheet's running total of the points typed so far, as sheet-total.js keeps it while
    the judge types: text that is not a number ("", "abc", "NaN", "1e309") counts as nothing.
    Saving checks every value (``sheets.parse_points``); this only shows the sum."""
    total = Decimal(0)
    for text in texts:
        try:
            value = Decimal((text or "").strip())
        except InvalidOperation:
            continue
        if value.is_finite() and abs(value) < TYPED_LIMIT:
            total += value
    return total


def format_points(value: Number | float | None) -> str:
    """Two decimals, rounded half up, for display ("84.33"); an em dash for no value."""
    if value is None:
        return "—"
    exact = Decimal(repr(value)) if isinstance(value, float) else value
    # floor(value × 100 + ½) on the exact ratio, in integers: a page of a round's results shows
    # hundreds of scores, and a Fraction built from each Decimal took a tenth of its time.
    numerator, denominator = exact.as_integer_ratio()
    hundredths = (200 * numerator + denominator) // (2 * denominator)
    return str(Decimal(hundredths).scaleb(-2))
