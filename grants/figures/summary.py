"""The one-line summary in the district's own words, from the real numbers: "某区已先后开展了三届社区
公益微创投大赛，支持N个居民项目开展各类服务活动M场次，惠及居民群众K人次。" In Chinese the counts read as
an office writes them (三届, 1.2万余人次, grants/figures/numbers.py); in English as digits."""

from __future__ import annotations

from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from grants.figures import numbers
from grants.figures.queries import Figures


def _in_chinese() -> bool:
    return str(get_locale() or "zh").startswith("zh")


def sentence(figures: Figures) -> str:
    """The summary of these figures in the visitor's language."""
    chinese = _in_chinese()

    def count(n: int) -> str:
        return numbers.chinese_count(n) if chinese else format_decimal(n)

    scope = figures.scope
    words = {
        "place": scope.place_name,
        "editions": numbers.chinese_numeral(figures.editions_held) if chinese else str(figures.editions_held),
        "proposals": count(figures.proposals),
        "projects": count(figures.funded),
        "activities": count(figures.activities),
        "served": count(figures.served),
    }
    if scope.edition is not None:
        return _(
            "%(edition)s中，%(place)s收到居民项目申报%(proposals)s份，支持%(projects)s个居民项目，"
            "开展各类服务活动%(activities)s场次，惠及居民群众%(served)s人次。",
            edition=scope.edition.name,
            **words,
        )
    if scope.year is not None:
        return _(
            "%(year)d年，%(place)s收到居民项目申报%(proposals)s份，支持%(projects)s个居民项目，"
            "开展各类服务活动%(activities)s场次，惠及居民群众%(served)s人次。",
            year=scope.year,
            **words,
        )
    if figures.editions_held == 0:
        return _("%(place)s还没有开展过社区公益微创投大赛。", place=scope.place_name)
    if scope.place_kind == "district":
        return _(
            "%(place)s已先后开展了%(editions)s届社区公益微创投大赛，支持%(projects)s个居民项目"
            "开展各类服务活动%(activities)s场次，惠及居民群众%(served)s人次。",
            **words,
        )
    return _(
        "在已开展的%(editions)s届社区公益微创投大赛中，%(place)s有%(projects)s个居民项目获得支持，"
        "开展各类服务活动%(activities)s场次，惠及居民群众%(served)s人次。",
        **words,
    )
