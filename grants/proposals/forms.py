"""The 申报书 form: one page, grouped in fieldsets, with repeatable rows for team, plan and budget."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import ValidationError

from grants.forms import BaseForm, max_length, number_range, optional
from grants.money import fen_to_yuan_input, yuan_to_fen
from grants.params import whole_number
from grants.proposals import budget
from grants.proposals.service import (
    SUMMARY_MAX,
    TEXT_MAX,
    ActivityData,
    ProposalData,
    TeamMemberData,
)

BLANK_ROWS = 2


class TeamMemberForm(Form):
    name = StringField(_l("姓名"), validators=[max_length(50)])
    mobile = StringField(_l("手机号"), validators=[max_length(11)], render_kw={"inputmode": "numeric"})
    role = StringField(_l("团队分工"), validators=[max_length(50)])
    community_name = StringField(_l("所在社区"), validators=[max_length(60)])


class ActivityForm(Form):
    when = StringField(_l("时间"), validators=[max_length(40)])
    activity = StringField(_l("活动内容"), validators=[max_length(200)])
    place = StringField(_l("地点"), validators=[max_length(100)])
    expected_participants = IntegerField(_l("预计参与人数"), validators=[optional(), number_range(0, 1_000_000)])


class BudgetLineForm(Form):
    category_id = SelectField(_l("支出类别"), coerce=int, default=0)
    item = StringField(_l("支出项目"), validators=[max_length(100)])
    unit_price = StringField(_l("单价（元）"), validators=[max_length(15)], render_kw={"inputmode": "decimal"})
    quantity = IntegerField(_l("数量"), validators=[optional(), number_range(1, budget.MAX_QUANTITY)])


def _text(label, limit: int = TEXT_MAX, **kw) -> TextAreaField:
    return TextAreaField(label, validators=[optional(), max_length(limit)], **kw)


def _group_choice(value) -> int:
    """A posted group id: 0 for none, -1 for anything that is not a number (refused by the service)."""
    text = str(value if value is not None else "").strip()
    if not text:
        return 0
    number = whole_number(text)
    return -1 if number is None else number


class ProposalForm(BaseForm):
    title = StringField(_l("项目名称"), validators=[optional(), max_length(100)])
    category_id = SelectField(_l("服务领域"), coerce=int, default=0)
    community_id = SelectField(_l("实施社区"), coerce=int, default=0)
    period_start = DateField(_l("项目开始日期"), validators=[optional()])
    period_end = DateField(_l("项目结束日期"), validators=[optional()])
    summary = _text(
        _l("项目简介"),
        SUMMARY_MAX,
        description=_l("不超过500字：做什么、为谁做、怎么做。"),
        render_kw={"maxlength": SUMMARY_MAX, "data-counter": SUMMARY_MAX},
    )
    need_analysis = _text(_l("需求分析"), description=_l("社区存在什么问题或需求，有什么依据。"))
    overall_objective = _text(_l("总目标"))
    specific_objectives = _text(_l("分目标"), description=_l("可分条填写，尽量具体、可衡量。"))
    beneficiaries = _text(_l("受益对象"), description=_l("谁会从项目中受益。"))
    direct_beneficiaries = IntegerField(_l("直接受益人数"), validators=[optional(), number_range(0, 10_000_000)])
    indirect_beneficiaries = IntegerField(_l("间接受益人数"), validators=[optional(), number_range(0, 10_000_000)])
    risks = _text(_l("风险预计与防控"))
    sustainability = _text(_l("可持续发展计划"), description=_l("项目结束后，团队如何作为居民自组织继续活动。"))
    prior_experience = _text(_l("以往开展过的类似项目"), description=_l("没有可以不填。"))
    self_funds = StringField(
        _l("自筹/配套资金（元）"),
        validators=[max_length(15)],
        default="0",
        description=_l("另外筹集的资金，不计入申请金额。"),
        render_kw={"inputmode": "decimal"},
    )
    applicant_mobile = StringField(
        _l("申报人手机号"),
        validators=[max_length(11)],
        description=_l("11位手机号，只有主办方和审查人员能看到，用于联系申报人。"),
        render_kw={"inputmode": "numeric", "autocomplete": "tel"},
    )
    # Choices are the groups the applicant leads (grants/proposals/groups.py); anything else
    # posted, a number or not, reaches save_draft, which refuses it with a message.
    group_id = SelectField(
        _l("以组织名义申报"),
        coerce=_group_choice,
        default=0,
        validate_choice=False,
        description=_l("您负责的三自组织可以在新一届大赛中申报，评委会看到组织以往的记录。"),
    )
    commitment = BooleanField(_l("我承诺：所填内容真实；获得资助后专款专用，按要求接受监督和评估。"))
    team = FieldList(FormField(TeamMemberForm), min_entries=0, max_entries=40)
    activities = FieldList(FormField(ActivityForm), min_entries=0, max_entries=40)
    budget_lines = FieldList(FormField(BudgetLineForm), min_entries=0, max_entries=70)

    def set_choices(self, categories, communities, budget_categories, groups=()) -> None:
        self.category_id.choices = [(0, _("请选择"))] + [(c.id, c.name) for c in categories]
        self.group_id.choices = [(0, _("不以组织名义（个人申报）")), *groups]
        self.community_id.choices = [(0, _("请选择"))] + [(c.id, c.full_name) for c in communities]
        self._budget_choices = [(0, _("请选择"))] + [(c.id, c.name) for c in budget_categories]
        for entry in self.budget_lines:
            entry.form.category_id.choices = self._budget_choices

    def add_blank_rows(self, n: int = BLANK_ROWS) -> None:
        for field in (self.team, self.activities, self.budget_lines):
            for _i in range(n):
                field.append_entry()
        for entry in self.budget_lines:
            entry.form.category_id.choices = self._budget_choices

    def fill_from(self, proposal) -> None:
        """GET: the stored proposal, amounts shown in yuan."""
        self.process(obj=proposal)
        self.category_id.data = proposal.category_id or 0
        self.community_id.data = proposal.community_id or 0
        self.group_id.data = proposal.group_id or 0
        self.self_funds.data = fen_to_yuan_input(proposal.self_funds_fen)
        self.applicant_mobile.data = proposal.applicant_mobile or proposal.applicant.mobile or ""
        for line, entry in zip(proposal.budget_lines, self.budget_lines, strict=True):
            entry.form.unit_price.data = fen_to_yuan_input(line.unit_price_fen)

    def validate_self_funds(self, field) -> None:
        try:
            self.self_funds_fen = yuan_to_fen(field.data or "0")
        except ValueError as exc:
            raise ValidationError(_("请输入金额（元），最多两位小数。")) from exc

    def to_data(self) -> ProposalData:
        """The typed input as service data; raises ValidationError naming a bad budget amount."""
        lines = []
        for i, entry in enumerate(self.budget_lines, start=1):
            row = entry.form
            price_text = (row.unit_price.data or "").strip()
            if not (price_text or (row.item.data or "").strip() or row.quantity.data):
                continue
            try:
                price = yuan_to_fen(price_text or "0")
            except ValueError as exc:
                raise ValidationError(_("预算第%(n)d行：单价请输入金额（元），最多两位小数。", n=i)) from exc
            lines.append(
                budget.Line(i, row.category_id.data or None, row.item.data or "", price, row.quantity.data or 0)
            )
        return ProposalData(
            title=self.title.data or "",
            category_id=self.category_id.data or None,
            community_id=self.community_id.data or None,
            period_start=self.period_start.data,
            period_end=self.period_end.data,
            summary=self.summary.data or "",
            need_analysis=self.need_analysis.data or "",
            overall_objective=self.overall_objective.data or "",
            specific_objectives=self.specific_objectives.data or "",
            beneficiaries=self.beneficiaries.data or "",
            direct_beneficiaries=self.direct_beneficiaries.data,
            indirect_beneficiaries=self.indirect_beneficiaries.data,
            risks=self.risks.data or "",
            sustainability=self.sustainability.data or "",
            prior_experience=self.prior_experience.data or "",
            self_funds_fen=getattr(self, "self_funds_fen", 0),
            commitment=bool(self.commitment.data),
            applicant_mobile=self.applicant_mobile.data or "",
            group_id=self.group_id.data or None,
            team=[
                TeamMemberData(
                    e.form.name.data or "",
                    e.form.mobile.data or "",
                    e.form.role.data or "",
                    e.form.community_name.data or "",
                )
                for e in self.team
            ],
            activities=[
                ActivityData(
                    e.form.when.data or "",
                    e.form.activity.data or "",
                    e.form.place.data or "",
                    e.form.expected_participants.data,
                )
                for e in self.activities
            ],
            budget_lines=lines,
        )


class StartForm(BaseForm):
    """The button that starts a draft (CSRF only)."""


class BudgetCategoryForm(BaseForm):
    name = StringField(_l("支出类别名称"), validators=[max_length(40)])
    max_share_percent = IntegerField(
        _l("占申请金额的比例上限（%）"), validators=[optional(), number_range(1, 100)], description=_l("不限制可留空。")
    )
    max_unit_price = StringField(_l("单价上限（元）"), validators=[max_length(15)], description=_l("不限制可留空。"))

    def validate_max_unit_price(self, field) -> None:
        self.max_unit_price_fen = None
        if (field.data or "").strip():
            try:
                self.max_unit_price_fen = yuan_to_fen(field.data)
            except ValueError as exc:
                raise ValidationError(_("请输入金额（元），最多两位小数。")) from exc
