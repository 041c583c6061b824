"""Numbers as a district office writes them in Chinese: 三届, 1.2万余人次. Pure (no Flask, no database)."""

from __future__ import annotations

DIGITS = "〇一二三四五六七八九"
WAN = 10_000
YI = 100_000_000


def chinese_numeral(n: int) -> str:
    """0 … 99 in Chinese numerals (3 → 三, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五); others as digits."""
    if not 0 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return DIGITS[ones]
    head = "" if tens == 1 else DIGITS[tens]
    return head + "十" + (DIGITS[ones] if ones else "")


def chinese_count(n: int) -> str:
    """A count in a sentence: as it is below 10,000 (8765), else in 万 or 亿 with one decimal at most,
    rounded down, and 余 when something was left out: 12,345 → 1.2万余, 20,000 → 2万, 150,000 → 15万."""
    if n < WAN:
        return str(n)
    unit, size = ("亿", YI) if n >= YI else ("万", WAN)
    tenths = n * 10 // size
    whole, decimal = divmod(tenths, 10)
    text = f"{whole}.{decimal}" if decimal else str(whole)
    return f"{text}{unit}" + ("" if tenths * size == n * 10 else "余")
