"""Organisation forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField

from grants.forms import BaseForm, input_required, max_length, number_range, required


class StreetForm(BaseForm):
    name = StringField(_l("街道名称"), validators=[required(), max_length(60)])


class CommunityForm(BaseForm):
    name = StringField(_l("社区名称"), validators=[required(), max_length(60)])
    street_id = SelectField(_l("所属街道"), coerce=int)


class DistrictForm(BaseForm):
    office_name = StringField(
        _l("落款单位"),
        validators=[max_length(100)],
        description=_l("印在公示名单和证书上的单位名称，例如“某某区民政局”。"),
    )
    activity_log_days = IntegerField(
        _l("活动记录期限（天）"),
        validators=[input_required(), number_range(1, 365)],
        description=_l("三自组织的活动须在活动日之后这么多天内记录。"),
    )
    daily_hours_cap = StringField(
        _l("每人每日志愿服务时长上限（小时）"),
        validators=[required(), max_length(5)],
        description=_l("按半小时计，例如 8 或 7.5。"),
    )


class ImportForm(BaseForm):
    file = FileField(
        _l("CSV文件"),
        validators=[FileRequired(message=_l("请选择要导入的文件。"))],
        description=_l("第一行为表头：街道,社区（可加“区”列）。支持UTF-8和GBK编码，最多5000行。"),
    )
