"""Shared form pieces: messages in the user's language for the common validators."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, FormField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from grants.errors import DomainError
from grants.text import has_control_characters


def control_characters_message(label) -> str:
    return _("“%(field)s”含有不可见的控制字符（常见于从其他程序复制的文字），请删除后重新填写。", field=label)


def _refuse_control_characters(fields) -> bool:
    """Add an error to every text field holding a control character; False when any does."""
    clean = True
    for field in fields:
        if isinstance(field, FieldList):
            if not _refuse_control_characters(field.entries):
                clean = False
                field.errors = [entry.errors for entry in field.entries]  # FieldList keeps a copy
        elif isinstance(field, FormField):
            clean = _refuse_control_characters(field.form) and clean
        elif isinstance(field.data, str) and has_control_characters(field.data):
            field.errors = [*field.errors, control_characters_message(field.label.text)]
            clean = False
    return clean


class BaseForm(FlaskForm):
    """The base of every form: text fields refuse control characters other than newline and tab
    (a title holding ESC once broke the public notice's spreadsheet for everyone)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        return _refuse_control_characters(self) and valid


def posted_text(name: str, label) -> str:
    """A text value posted outside a form class (a reason, a judge's comment), checked as
    ``BaseForm`` checks its fields. Raises: DomainError naming the field."""
    value = request.form.get(name, "")
    if has_control_characters(value):
        raise DomainError(control_characters_message(label), field=name)
    return value


def required():
    return DataRequired(message=_l("请填写此项。"))


def input_required():
    return InputRequired(message=_l("请填写此项。"))


def max_length(n: int):
    return Length(max=n, message=_l("不能超过%(max)d个字符。"))


def number_range(lo: int | None = None, hi: int | None = None):
    if lo is not None and hi is not None:
        message = _l("请输入%(min)s到%(max)s之间的数。")
    elif lo is not None:
        message = _l("请输入不小于%(min)s的数。")
    else:
        message = _l("请输入不大于%(max)s的数。")
    return NumberRange(min=lo, max=hi, message=message)


def optional():
    return Optional()


def apply_domain_error(form, err) -> bool:
    """Attach a DomainError to the field it names; False when it names no field of this form."""
    field = getattr(err, "field", None)
    if field and field in form._fields:
        form._fields[field].errors = [*form._fields[field].errors, str(err)]
        return True
    return False
