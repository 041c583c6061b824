"""An amount in fen written in Chinese financial capitals (大写金额) as on official documents and
bank forms: 1,200,000 fen → 壹万贰仟元整, 380,001 fen → 叁仟捌佰元零壹分. Pure: no Flask, no database.

Rules (《支付结算办法》 as banks apply them): every digit has its unit (壹拾, not 拾); a run of
zeros inside the number is written as one 零; zeros at the end of a group of four (before 万, 亿
or 元) are not written; a group of four zeros writes no 万; an amount with no 角 and no 分 ends
in 整, one with 角 and no 分 does not; 零 stands between 元 and 分 when 角 is zero; an amount
below one yuan starts with its 角 or 分.
"""

from __future__ import annotations

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")  # within a group of four digits
GROUP_UNITS = ("", "万", "亿")  # groups of four digits, from the right
MAX_FEN = 10**12 * 100 - 1  # below a trillion yuan (万亿 is not written on a grant)


def _yuan_words(yuan: int) -> str:
    """The integer yuan in capitals, without 元 (empty for 0)."""
    digits = str(yuan) if yuan else ""
    words: list[str] = []
    zero_pending = False
    group_has_digit = False
    for index, char in enumerate(digits):
        position = len(digits) - 1 - index  # 0 = ones
        digit = int(char)
        if digit == 0:
            zero_pending = True
        else:
            if zero_pending:
                words.append("零")
                zero_pending = False
            words.append(DIGITS[digit] + SMALL_UNITS[position % 4])
            group_has_digit = True
        if position % 4 == 0 and position:  # the end of a group of four: its 万 or 亿
            if group_has_digit:
                words.append(GROUP_UNITS[position // 4])
                zero_pending = False  # zeros at the end of a group are not written
            group_has_digit = False
    return "".join(words)


def fen_to_capitals(fen: int) -> str:
    """380001 → '叁仟捌佰元零壹分'; 0 → '零元整'.

    Raises: ValueError for a negative amount, one not below a trillion yuan, or not an int.
    """
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise ValueError(f"an amount in fen must be an int: {fen!r}")
    if fen < 0 or fen > MAX_FEN:
        raise ValueError(f"amount out of range: {fen}")
    yuan, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)
    if fen == 0:
        return "零元整"
    head = _yuan_words(yuan) + "元" if yuan else ""
    if not cents:
        return head + "整"
    if not jiao:
        return head + ("零" if yuan else "") + DIGITS[fen_digit] + "分"
    tail = DIGITS[jiao] + "角"
    if fen_digit:
        tail += DIGITS[fen_digit] + "分"
    return head + tail
