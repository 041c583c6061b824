"""Forms of the group pages: a group's facts, its 备案, a member. The service checks the rules and
names the field a message belongs to; the forms check only what a browser can get wrong."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from grants.forms import BaseForm, input_required, max_length, optional, required
from grants.incubation import service
from grants.incubation.states import GROUP_KIND_LABELS, MEMBER_ROLE_LABELS


def _choices(labels) -> list[SelectChoice]:
    return [SelectChoice(str(key), label) for key, label in labels.items()]


class GroupForm(BaseForm):
    name = StringField(_l("组织名称"), validators=[required(), max_length(service.NAME_MAX)])
    # The service refuses an unknown choice with a message naming the field.
    kind = SelectField(_l("组织类型"), choices=_choices(GROUP_KIND_LABELS), validate_choice=False)
    founded_on = DateField(_l("成立日期"), validators=[optional()])
    scope = TextAreaField(_l("宗旨和业务范围"), validators=[optional(), max_length(service.TEXT_MAX)])
    venue = StringField(_l("常用活动场所"), validators=[optional(), max_length(service.PLACE_MAX)])
    supervisor = StringField(
        _l("指导居委会"),
        validators=[optional(), max_length(service.PLACE_MAX)],
        description=_l("例如：樱桃社区居民委员会"),
    )
    leader_login = StringField(
        _l("负责人账号"),
        validators=[optional(), max_length(32)],
        description=_l("负责人在平台注册的手机号或用户名；可以稍后再填。"),
        render_kw={"autocomplete": "off"},
    )

    def data_object(self) -> service.GroupData:
        return service.GroupData(
            name=self.name.data or "",
            kind=self.kind.data or "",
            founded_on=self.founded_on.data,
            scope=self.scope.data or "",
            venue=self.venue.data or "",
            supervisor=self.supervisor.data or "",
            leader_login=(self.leader_login.data or "") if self.leader_login else "",
        )


class FromGrantForm(GroupForm):
    """From a grant the leader is the applicant: no leader field."""

    leader_login = None


class FilingForm(BaseForm):
    filed_on = DateField(_l("备案日期"), validators=[input_required()])
    filing_no = StringField(_l("备案编号"), validators=[required(), max_length(service.FILING_NO_MAX)])


class MemberForm(BaseForm):
    name = StringField(_l("姓名"), validators=[required(), max_length(50)])
    mobile = StringField(
        _l("手机号"),
        validators=[optional(), max_length(11)],
        description=_l("11位手机号，只有组织负责人、社区工作人员和主办方能看到完整号码。"),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    role = SelectField(_l("角色"), choices=_choices(MEMBER_ROLE_LABELS), default="member", validate_choice=False)
    joined_on = DateField(_l("加入日期"), validators=[input_required()])
    left_on = DateField(
        _l("退出日期"), validators=[optional()], description=_l("成员退出后填写；退出的成员仍保留在历史记录中。")
    )

    def data_object(self) -> service.MemberData:
        return service.MemberData(
            name=self.name.data or "",
            mobile=self.mobile.data or "",
            role=self.role.data or "",
            joined_on=self.joined_on.data,
            left_on=self.left_on.data,
        )
