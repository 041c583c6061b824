"""Money is integer fen (分) everywhere; yuan strings only at the edge. No Flask, no database."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

FEN_PER_YUAN = 100
# Plain decimal notation only: no exponents, no sign, at most two decimals, at most 12 digits of yuan.
AMOUNT_RE = re.compile(r"^\d{1,12}(\.\d{1,2})?$")


def yuan_to_fen(value: str | int | Decimal) -> int:
    """Parse a yuan amount ("1,234.5", "1234", Decimal) into integer fen.

    Raises:
        ValueError: not a number, negative, or more than two decimal places.
    """
    if isinstance(value, int):
        return value * FEN_PER_YUAN
    text = str(value).strip().replace(",", "").replace("¥", "").replace("￥", "")
    if not AMOUNT_RE.match(text):
        raise ValueError(f"not a non-negative amount with at most two decimals: {value!r}")
    return int(Decimal(text) * FEN_PER_YUAN)


def fen_to_decimal(fen: int) -> Decimal:
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_fen(fen: int | None, *, symbol: str = "¥") -> str:
    """1234050 -> '¥12,340.50'."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"


def fen_to_yuan_input(fen: int | None) -> str:
    """Value for an input field: 500000 -> '5000', 12345 -> '123.45'."""
    if fen is None:
        return ""
    yuan, cents = divmod(fen, FEN_PER_YUAN)
    return f"{yuan}" if cents == 0 else f"{yuan}.{cents:02d}"
