"""Judging forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from grants.forms import BaseForm, max_length, optional


class EligibilityForm(BaseForm):
    checked = SelectMultipleField(
        _l("审查要点"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,
    )
    outcome = RadioField(
        _l("审查结论"),
        choices=[SelectChoice("pass", _l("通过")), SelectChoice("fail", _l("不通过"))],
        validate_choice=False,
    )
    reason = TextAreaField(
        _l("原因或意见"), validators=[optional(), max_length(1000)], description=_l("不通过时必填，申报人会看到。")
    )
