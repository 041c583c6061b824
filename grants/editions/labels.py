"""Display names of the round settings' values, used by forms and templates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from grants.editions.models import Advancement, Aggregation, RoundKind, ScoringMode

KIND_LABELS = {RoundKind.ELIGIBILITY: _l("资格审查"), RoundKind.SCORING: _l("评分")}
MODE_LABELS = {
    ScoringMode.ASSIGNED: _l("分配评审（每个项目k位评委）"),
    ScoringMode.PANEL: _l("评审团（每位评委评所有项目）"),
}
AGGREGATION_LABELS = {
    Aggregation.MEAN: _l("平均分"),
    Aggregation.TRIMMED_MEAN: _l("去掉一个最高分和一个最低分后的平均分"),
}
ADVANCEMENT_LABELS = {
    Advancement.ALL: _l("全部晋级"),
    Advancement.TOP_N: _l("排名前N名晋级"),
    Advancement.MIN_SCORE: _l("达到分数线晋级"),
}


def label(mapping: dict, value: str) -> str:
    return str(mapping.get(value, value))


def choices(mapping: dict) -> list[SelectChoice]:
    # Lazy labels: translated when the form is rendered, in the user's language.
    return [SelectChoice(key.value, text) for key, text in mapping.items()]
