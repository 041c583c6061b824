"""Forms of the agreement pages: signing, and a change of the receiving account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from grants.forms import BaseForm, input_required, max_length, optional, required
from grants.funding.agreement import MAX_REASON
from grants.funding.service import MAX_ACCOUNT_FIELD, MAX_ACCOUNT_NO


class AccountFields(BaseForm):
    # Lengths and the account number's form are checked by the service, whose message names the field.
    receiving_unit = StringField(
        _l("收款单位"),
        validators=[required(), max_length(MAX_ACCOUNT_FIELD)],
        description=_l("居民团队没有法人资格，资金拨付给社区居委会或枢纽型社会组织。"),
    )
    account_name = StringField(_l("账户名称"), validators=[required(), max_length(MAX_ACCOUNT_FIELD)])
    account_bank = StringField(_l("开户银行"), validators=[required(), max_length(MAX_ACCOUNT_FIELD)])
    account_no = StringField(
        _l("银行账号"),
        validators=[required(), max_length(MAX_ACCOUNT_NO + 10)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )


class SignForm(AccountFields):
    signed_on = DateField(_l("签订日期"), validators=[input_required()])
    scan = FileField(_l("协议扫描件"), description=_l("双方签字盖章后的协议，照片（JPG、PNG、WebP）或PDF。"))


class AccountChangeForm(AccountFields):
    reason = TextAreaField(_l("变更原因"), validators=[required(), max_length(MAX_REASON)])


class DecisionForm(BaseForm):
    outcome = RadioField(
        _l("审批结论"),
        choices=[SelectChoice("approve", _l("同意变更")), SelectChoice("reject", _l("驳回"))],
        validators=[required()],
        validate_choice=True,
    )
    note = TextAreaField(
        _l("审批意见"), validators=[optional(), max_length(MAX_REASON)], description=_l("驳回时必须填写原因。")
    )
