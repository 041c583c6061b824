"""The role-grant form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField

from grants.forms import BaseForm, max_length, required


class GrantRoleForm(BaseForm):
    login = StringField(
        _l("用户的手机号或用户名"),
        validators=[required(), max_length(32)],
        description=_l("请输入完整的手机号或用户名；对方需要先注册。"),
    )
    role = SelectField(_l("角色"), validators=[required()])
    district_id = SelectField(_l("区（主办方、财务）"), coerce=int, default=0)
    street_id = SelectField(_l("街道（街道工作人员）"), coerce=int, default=0)
    community_id = SelectField(_l("社区（社区工作者）"), coerce=int, default=0)
    edition_id = SelectField(_l("大赛届次（评审专家）"), coerce=int, default=0)

    def scope_id(self) -> int:
        from grants.auth.models import ROLE_SCOPE, Role

        column = ROLE_SCOPE.get(Role(self.role.data)) if self.role.data in set(Role) else None
        return getattr(self, column).data if column else 0
