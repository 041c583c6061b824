"""Edition, round and criterion forms."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from grants.editions import labels
from grants.forms import BaseForm, input_required, max_length, number_range, optional, required
from grants.money import yuan_to_fen


def _yuan(field) -> int:
    try:
        return yuan_to_fen(field.data or "")
    except ValueError as exc:
        raise ValidationError(str(_l("请输入金额（元），最多两位小数，例如 5000 或 5000.50。"))) from exc


class EditionForm(BaseForm):
    district_id = SelectField(_l("所属区"), coerce=int)
    number = IntegerField(
        _l("届次"), validators=[input_required(), number_range(1, 999)], description=_l("第几届，例如 3 表示第三届。")
    )
    name = StringField(_l("大赛名称"), validators=[required(), max_length(100)])
    theme = StringField(_l("主题"), validators=[optional(), max_length(200)])
    description = TextAreaField(_l("简介"), validators=[optional(), max_length(5000)])
    cap_yuan = StringField(_l("单个项目资助上限（元）"), validators=[required()])
    pool_yuan = StringField(_l("资助总额（元）"), validators=[required()])
    min_team_size = IntegerField(
        _l("团队最少人数（含申报人）"), default=3, validators=[input_required(), number_range(1, 50)]
    )
    one_proposal_per_applicant = BooleanField(_l("每位申报人每届只能申报一个项目"), default=True)
    submission_opens_at = DateTimeLocalField(
        _l("申报开始时间（北京时间）"), format="%Y-%m-%dT%H:%M", validators=[optional()]
    )
    submission_closes_at = DateTimeLocalField(
        _l("申报截止时间（北京时间）"), format="%Y-%m-%dT%H:%M", validators=[optional()]
    )
    categories = TextAreaField(_l("服务领域"), validators=[required()], description=_l("每行一个。"))
    objection_contact = StringField(
        _l("异议受理联系方式"),
        validators=[optional(), max_length(300)],
        description=_l("印在公示上，例如：监督电话 0571-12345678；地址：××路1号区民政局302室。评审开始后仍可修改。"),
    )

    def validate_cap_yuan(self, field) -> None:
        self.cap_fen = _yuan(field)

    def validate_pool_yuan(self, field) -> None:
        self.pool_fen = _yuan(field)


class TransitionForm(BaseForm):
    target = HiddenField()
    reason = StringField(_l("原因"), validators=[optional(), max_length(500)])


class RoundForm(BaseForm):
    name = StringField(_l("轮次名称"), validators=[required(), max_length(60)])
    kind = SelectField(_l("类型"), choices=labels.choices(labels.KIND_LABELS))
    mode = SelectField(_l("评审方式"), choices=labels.choices(labels.MODE_LABELS))
    judges_per_proposal = IntegerField(
        _l("每个项目的评委人数（k）"), default=3, validators=[input_required(), number_range(1, 50)]
    )
    aggregation = SelectField(_l("汇总方式"), choices=labels.choices(labels.AGGREGATION_LABELS))
    trim_min_judges = IntegerField(
        _l("评委不少于几人时去掉最高分和最低分"), default=5, validators=[input_required(), number_range(3, 50)]
    )
    normalize = BooleanField(_l("按评委标准化分数（减少评委宽严差异）"))
    blind = BooleanField(_l("盲评（评委看不到申报人和团队）"))
    advancement = SelectField(_l("晋级规则"), choices=labels.choices(labels.ADVANCEMENT_LABELS))
    advance_top_n = IntegerField(_l("前N名"), validators=[optional(), number_range(1, 10000)])
    advance_min_score = StringField(_l("分数线"), validators=[optional(), max_length(10)])
    weight_percent = IntegerField(
        _l("在总成绩中的权重（%）"), default=0, validators=[input_required(), number_range(0, 100)]
    )

    min_score: Decimal | None = None

    def validate_advance_min_score(self, field) -> None:
        if field.data:
            try:
                self.min_score = Decimal(field.data.strip())
            except InvalidOperation as exc:
                raise ValidationError(str(_l("请输入数字。"))) from exc
            if not self.min_score.is_finite() or self.min_score < 0:
                raise ValidationError(str(_l("请输入数字。")))


class CriterionForm(BaseForm):
    name = StringField(_l("名称"), validators=[required(), max_length(80)])
    description = TextAreaField(_l("说明"), validators=[optional(), max_length(2000)])
    max_points = IntegerField(
        _l("满分"),
        validators=[optional(), number_range(1, 1000)],
        description=_l("评分轮次必填；资格审查要点不需要分值。"),
    )
