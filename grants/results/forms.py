"""Forms of the publication pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from grants.forms import BaseForm, input_required, max_length, optional, required
from grants.results.objections import MAX_REPLY, MAX_TEXT


class SettingsForm(BaseForm):
    title = StringField(_l("公示标题"), validators=[required(), max_length(200)])
    office_name = StringField(
        _l("发布单位"), validators=[optional(), max_length(100)], description=_l("公示落款，例如“××区社区建设办公室”。")
    )
    introduction = TextAreaField(
        _l("公示说明"),
        validators=[optional(), max_length(5000)],
        description=_l("评审经过、异议受理方式等，显示在名单上方。"),
    )
    list_judges = BooleanField(_l("公布评审专家名单"))
    # Checked by the service, whose message says the allowed range (also for "abc").
    window_days = StringField(
        _l("公示期（工作日）"),
        default="5",
        validators=[required(), max_length(3)],
        render_kw={"inputmode": "numeric", "size": 3},
        description=_l("从发布次日起计算，周末和节假日不计入。"),
    )


class PrepareForm(SettingsForm):
    round_id = SelectField(_l("公示哪一轮的名单"), coerce=int, validate_choice=False)


class ObjectionForm(BaseForm):
    text = TextAreaField(
        _l("异议内容"),
        validators=[required(), max_length(MAX_TEXT)],
        description=_l("请写明事实和理由（10到2000个字）；主办方会公开答复，但不公开您的姓名和异议原文。"),
    )


class AnswerForm(BaseForm):
    outcome = RadioField(
        _l("答复结论"),
        choices=[SelectChoice("dismissed", _l("异议不成立")), SelectChoice("upheld", _l("异议成立"))],
        validators=[required()],
        validate_choice=True,
    )
    reply = TextAreaField(
        _l("公开答复"),
        validators=[required(), max_length(MAX_REPLY)],
        description=_l("答复会显示在项目的公开页面上，请勿写入个人信息。"),
    )


class HolidayForm(BaseForm):
    day = DateField(_l("日期"), validators=[input_required()])
    name = StringField(_l("名称"), validators=[optional(), max_length(40)], description=_l("例如“国庆节”。"))
    kind = RadioField(
        _l("类型"),
        choices=[
            SelectChoice("holiday", _l("节假日（工作日休息）")),
            SelectChoice("workday", _l("调休上班（周末上班）")),
        ],
        default="holiday",
        validate_choice=True,
    )
