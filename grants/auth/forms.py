"""Account forms."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, ValidationError

from grants.auth import service
from grants.errors import DomainError
from grants.forms import BaseForm, max_length, required


class LoginForm(BaseForm):
    login = StringField(
        _l("手机号或用户名"),
        validators=[required(), max_length(32)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("密码"), validators=[required(), max_length(128)], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("在这台设备上保持登录（两周）"))


class RegisterForm(BaseForm):
    login = StringField(
        _l("手机号或用户名"),
        validators=[required(), max_length(32)],
        description=_l("11位手机号，或以字母开头的用户名；以后用它登录。"),
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    display_name = StringField(
        _l("姓名或昵称"), validators=[required(), max_length(50)], render_kw={"autocomplete": "name"}
    )
    community_id = SelectField(
        _l("所在社区"), coerce=int, default=0, description=_l("可以以后再填；申报项目时默认使用这个社区。")
    )
    password = PasswordField(
        _l("密码"),
        validators=[required(), max_length(128)],
        description=_l("至少8个字符，不要使用生日或常见密码。"),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("再次输入密码"),
        validators=[required(), EqualTo("password", message=_l("两次输入的密码不一致。"))],
        render_kw={"autocomplete": "new-password"},
    )

    # The service's own rules, run here as well so that every field's problem shows at once.
    def validate_login(self, field) -> None:
        _check(service.classify_login, field.data)

    def validate_display_name(self, field) -> None:
        _check(service.check_display_name, field.data)

    def validate_password(self, field) -> None:
        _check(
            service.check_password_rules,
            field.data or "",
            login=service.normalize_login(self.login.data or ""),
            min_length=current_app.config["PASSWORD_MIN_LENGTH"],
        )


def _check(rule, *args, **kwargs) -> None:
    try:
        rule(*args, **kwargs)
    except DomainError as err:
        raise ValidationError(str(err)) from err


class PasswordForm(BaseForm):
    current_password = PasswordField(
        _l("当前密码"), validators=[required()], render_kw={"autocomplete": "current-password"}
    )
    new_password = PasswordField(
        _l("新密码"),
        validators=[required(), max_length(128)],
        description=_l("至少8个字符。修改后，其他设备上的登录会失效。"),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("再次输入新密码"),
        validators=[required(), EqualTo("new_password", message=_l("两次输入的密码不一致。"))],
        render_kw={"autocomplete": "new-password"},
    )
