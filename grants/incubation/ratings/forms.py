"""Forms of the star-rating pages. The points of a sheet are read per criterion from fields named
``c<criterion id>`` (the indicator system is data); the services check every rule."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from grants.forms import BaseForm, input_required, max_length, number_range, optional, required
from grants.incubation.ratings import campaigns, decisions, scoring, sheets
from grants.incubation.ratings.states import STAR_LABELS
from grants.params import whole_number
from grants.results import objections


class CampaignForm(BaseForm):
    title = StringField(_l("评定名称"), validators=[required(), max_length(campaigns.TITLE_MAX)])
    year = IntegerField(_l("评定年度"), validators=[input_required(), number_range(*campaigns.YEARS)])
    notice_days = IntegerField(_l("公示期（工作日）"), default=5, validators=[input_required(), number_range(1, 30)])
    cut_three = StringField(_l("三星分数线"), default="70", validators=[required(), max_length(6)])
    cut_four = StringField(_l("四星分数线"), default="80", validators=[required(), max_length(6)])
    cut_five = StringField(_l("五星分数线"), default="90", validators=[required(), max_length(6)])
    indicators = TextAreaField(
        _l("评分指标"),
        validators=[optional(), max_length(5000)],
        description=_l("每行一个二级指标：一级指标 | 二级指标 | 分值（可到0.5分）。"),
        render_kw={"rows": 14},
    )

    def data_object(self, *, with_indicators: bool) -> campaigns.CampaignData:
        return campaigns.CampaignData(
            title=self.title.data or "",
            year=self.year.data,
            notice_days=self.notice_days.data,
            cut_three=self.cut_three.data or "",
            cut_four=self.cut_four.data or "",
            cut_five=self.cut_five.data or "",
            indicators=(self.indicators.data or "") if with_indicators else None,
        )


class AssessorForm(BaseForm):
    login = StringField(
        _l("评审专家账号"),
        validators=[required(), max_length(32)],
        description=_l("专家在平台注册的手机号或用户名。"),
        render_kw={"autocomplete": "off"},
    )


class RecommendForm(BaseForm):
    evidence = TextAreaField(
        _l("推荐理由和佐证材料"),
        validators=[required(), max_length(sheets.EVIDENCE_MAX)],
        description=_l("写明组织的主要活动、服务成效和可查的台账、照片等材料。"),
    )
    file = FileField(_l("佐证材料附件"), description=_l("可选：一张照片（JPG、PNG、WebP）或一个PDF文件。"))


class SheetForm(BaseForm):
    comment = TextAreaField(_l("评语"), validators=[optional(), max_length(sheets.COMMENT_MAX)])


def _stars_choices(first) -> list[SelectChoice]:
    return [SelectChoice("", first)] + [SelectChoice(str(k), v) for k, v in STAR_LABELS.items()]


class DecideForm(BaseForm):
    stars = SelectField(_l("确定星级"), validate_choice=False)
    note = StringField(
        _l("说明"),
        validators=[optional(), max_length(decisions.NOTE_MAX)],
        description=_l("与平均分对应的星级不同时必须填写。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stars.choices = _stars_choices(_l("按平均分确定"))

    def stars_value(self) -> int | None:
        return whole_number(self.stars.data)


class ObjectionForm(BaseForm):
    text = TextAreaField(
        _l("异议内容"),
        validators=[required(), max_length(objections.MAX_TEXT)],
        description=_l("请写明事实和理由（至少10个字）。"),
    )


class AnswerForm(BaseForm):
    outcome = SelectField(
        _l("答复结果"),
        choices=[SelectChoice("dismissed", _l("异议不成立")), SelectChoice("upheld", _l("异议成立"))],
        validate_choice=False,
    )
    reply = TextAreaField(_l("公开答复"), validators=[required(), max_length(decisions.MAX_REPLY)])
    stars = SelectField(_l("调整星级"), validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stars.choices = _stars_choices(_l("不调整"))

    def stars_value(self) -> int | None:
        return whole_number(self.stars.data)


def posted_points(form_data, criteria) -> dict[int, int]:
    """{criterion id: half points} read from the posted ``c<id>`` fields; what cannot be read is left
    out, so the service names that criterion."""
    points = {}
    for criterion in criteria:
        halves = scoring.parse_points(form_data.get(f"c{criterion.id}", ""))
        if halves is not None:
            points[criterion.id] = halves
    return points
