"""Names as a public notice shows them: partly masked (张三明 → 张*明). No Flask, no database."""

from __future__ import annotations

import unicodedata


def mask_name(name: str) -> str:
    """Keep the first and the last character, mask the rest; a two-character name keeps the first.

    Latin names are masked word by word (John Smith → J**n S***h). Whitespace is normalised.

    >>> [mask_name(n) for n in ("张三明", "李娜", "欧阳娜娜", "王", "John Smith", "")]
    ['张*明', '李*', '欧**娜', '王', 'J**n S***h', '']
    """
    name = " ".join(unicodedata.normalize("NFKC", name or "").split())
    if not name:
        return ""
    if " " in name and all(part.isascii() for part in name.split()):
        return " ".join(_mask_word(part) for part in name.split())
    return _mask_word(name.replace(" ", ""))


def _mask_word(word: str) -> str:
    if len(word) <= 1:
        return word
    if len(word) == 2:
        return word[0] + "*"
    return word[0] + "*" * (len(word) - 2) + word[-1]


def mask_mobile(mobile: str) -> str:
    """A mobile number as most people see it: the first three and last four digits (138****5678).

    >>> [mask_mobile(m) for m in ("13812345678", "", "123")]
    ['138****5678', '', '***']
    """
    mobile = (mobile or "").strip()
    if not mobile:
        return ""
    if len(mobile) < 8:
        return "*" * len(mobile)
    return mobile[:3] + "*" * (len(mobile) - 7) + mobile[-4:]
