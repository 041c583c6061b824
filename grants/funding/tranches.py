"""Tranche plans (拨付计划): named parts with a share and a release condition, and the split of an
approved amount into tranches in fen. Pure: no Flask, no database.

Shares are basis points (1 bp = 0.01 %, 10,000 bp = 100 %), so 33.33 / 33.33 / 33.34 % is exact.
The split uses largest-remainder rounding (Hamilton): every part gets the floor of its exact
share, and the fen left over go, one each, to the parts with the largest remainders, earlier part
first on equal remainders. The parts always add up to the approved amount and each part is
within one fen of its exact share. Like every largest-remainder method it is not monotone part
by part (the "Alabama paradox": one more fen approved may move a fen from one part to another),
but no part ever drops by more than one fen, and adding 10,000 fen adds exactly its bp to each part.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

TOTAL_BP = 10_000  # 100 %
MAX_PARTS = 10
MAX_NAME_LENGTH = 40
PERCENT_RE = re.compile(r"^\d{1,3}(\.\d{1,2})?$")


class Condition(StrEnum):
    ON_SIGNING = "on_signing"
    AFTER_MIDTERM_PASSED = "after_midterm_passed"
    AFTER_FINAL_PASSED = "after_final_passed"


# The order in which the conditions come true in a grant's life; a plan lists its parts in it.
CONDITION_ORDER = {
    Condition.ON_SIGNING: 0,
    Condition.AFTER_MIDTERM_PASSED: 1,
    Condition.AFTER_FINAL_PASSED: 2,
}


@dataclass(frozen=True)
class Part:
    name: str
    percent_bp: int
    condition: str


class PlanError(ValueError):
    """A plan breaks a rule. `code` names the rule, `index` the part (0-based) when there is one."""

    def __init__(self, code: str, index: int | None = None, **details: object) -> None:
        super().__init__(code if index is None else f"{code} (part {index})")
        self.code = code
        self.index = index
        self.details = details


def percent_to_bp(text: str) -> int:
    """'33.33' -> 3333, '60' -> 6000, '12.5%' -> 1250.

    Raises:
        ValueError: not a plain number with at most two decimals, or above 100.
    """
    cleaned = str(text).strip().removesuffix("%").removesuffix("％").strip()
    if not PERCENT_RE.match(cleaned):
        raise ValueError(f"not a percentage with at most two decimals: {text!r}")
    bp = int(Decimal(cleaned) * 100)
    if bp > TOTAL_BP:
        raise ValueError(f"more than 100 %: {text!r}")
    return bp


def bp_to_percent(bp: int) -> str:
    """3333 -> '33.33', 6000 -> '60', 1250 -> '12.5'."""
    whole, rest = divmod(bp, 100)
    return f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")


def validate(parts: list[Part] | tuple[Part, ...]) -> tuple[Part, ...]:
    """Check a plan and return it as a tuple with names stripped.

    Raises:
        PlanError: code "empty", "too_many", "name_missing", "name_too_long", "name_repeated",
            "percent_not_positive", "condition_unknown", "condition_order" or "total" (details:
            total_bp).
    """
    if not parts:
        raise PlanError("empty")
    if len(parts) > MAX_PARTS:
        raise PlanError("too_many", max=MAX_PARTS)
    cleaned: list[Part] = []
    seen: set[str] = set()
    for index, part in enumerate(parts):
        name = part.name.strip()
        if not name:
            raise PlanError("name_missing", index)
        if len(name) > MAX_NAME_LENGTH:
            raise PlanError("name_too_long", index, max=MAX_NAME_LENGTH)
        if name in seen:
            raise PlanError("name_repeated", index, name=name)
        seen.add(name)
        if isinstance(part.percent_bp, bool) or not isinstance(part.percent_bp, int) or part.percent_bp <= 0:
            raise PlanError("percent_not_positive", index)
        if part.condition not in CONDITION_ORDER:
            raise PlanError("condition_unknown", index)
        if cleaned and CONDITION_ORDER[Condition(part.condition)] < CONDITION_ORDER[Condition(cleaned[-1].condition)]:
            raise PlanError("condition_order", index)
        cleaned.append(Part(name, part.percent_bp, Condition(part.condition).value))
    total = sum(p.percent_bp for p in cleaned)
    if total != TOTAL_BP:
        raise PlanError("total", total_bp=total)
    return tuple(cleaned)


def split(approved_fen: int, plan: list[Part] | tuple[Part, ...]) -> list[int]:
    """The amount of each part in fen, by largest remainder; Σ = approved_fen exactly.

    Raises:
        PlanError: the plan is not valid (see validate).
        ValueError: the amount is negative or not an int.
    """
    if isinstance(approved_fen, bool) or not isinstance(approved_fen, int) or approved_fen < 0:
        raise ValueError(f"approved amount must be a non-negative int of fen: {approved_fen!r}")
    parts = validate(plan)
    return apportion(approved_fen, [part.percent_bp for part in parts])


def apportion(total: int, weights: list[int]) -> list[int]:
    """`total` shared in proportion to positive int `weights` by largest remainder; Σ = total.

    Used for tranches (weights in basis points) and to fit a proposal's budget lines to the
    approved amount (weights = the requested line amounts). A tie goes to the earlier share.
    """
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ValueError(f"total must be a non-negative int: {total!r}")
    if not weights or any(isinstance(w, bool) or not isinstance(w, int) or w <= 0 for w in weights):
        raise ValueError(f"weights must be positive ints: {weights!r}")
    whole = sum(weights)
    floors: list[int] = []
    remainders: list[int] = []
    for weight in weights:
        share, rest = divmod(total * weight, whole)
        floors.append(share)
        remainders.append(rest)
    left = total - sum(floors)  # 0 <= left < len(weights)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        floors[index] += 1
    return floors
