"""Shared form pieces: messages in the user's language for the common validators."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


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
