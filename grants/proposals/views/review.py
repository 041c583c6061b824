"""The reviewers' side: an edition's proposal list, return for correction, version history,
and the organizer's window extension (edition-level, kept here next to the submission rules)."""

from __future__ import annotations

import itertools
import math
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms import DateTimeLocalField, TextAreaField

from grants import params
from grants.db import db, get_or_404, unit_of_work
from grants.editions import policy as edition_policy
from grants.editions.models import Edition
from grants.editions.window import extend_submission_window
from grants.errors import DomainError
from grants.forms import BaseForm, apply_domain_error, max_length, required
from grants.proposals import budget_rules as budget_rules_service
from grants.proposals import policy, queries, service, versions
from grants.proposals.forms import BudgetCategoryForm
from grants.proposals.models import BudgetCategory, ProposalVersion
from grants.proposals.states import PROPOSAL_STATUS_LABELS, RECEIVED
from grants.proposals.views import bp
from grants.proposals.views.drafts import load_visible
from grants.timeutil import local_to_utc, now, to_local


class ReturnForm(BaseForm):
    reason = TextAreaField(
        _l("退回原因"),
        validators=[required(), max_length(1000)],
        description=_l("请写清楚需要补充或修改什么，申报人会看到。"),
    )
    deadline = DateTimeLocalField(_l("补正截止时间（北京时间）"), format="%Y-%m-%dT%H:%M", validators=[required()])


class WindowForm(BaseForm):
    closes_at = DateTimeLocalField(_l("新的截止时间（北京时间）"), format="%Y-%m-%dT%H:%M", validators=[required()])


@bp.get("/admin/editions/<int:edition_id>/proposals")
@login_required
def edition_list(edition_id: int):
    edition = get_or_404(Edition, edition_id)
    if not policy.can_list_edition(current_user, edition):
        abort(403)
    status = request.args.get("status")
    flt = queries.ProposalFilter(
        status=status if status in PROPOSAL_STATUS_LABELS or status == RECEIVED else None,
        community_id=params.int_arg("community", label=_("社区")),
        category_id=params.int_arg("category", label=_("服务领域")),
        search=(request.args.get("q") or "").strip()[:50] or None,
        street_id=params.int_arg("street", label=_("街道")),
        year=params.year_arg(),
    )
    per_page, page = current_app.config["PER_PAGE"], params.page_arg()
    rows, total = queries.edition_proposals(db.session, current_user, edition, flt, page=page, per_page=per_page)
    return render_template(
        "proposals/list.html",
        edition=edition,
        rows=rows,
        total=total,
        flt=flt,
        page=page,
        pages=max(1, math.ceil(total / per_page)),
        statuses=PROPOSAL_STATUS_LABELS,
        communities=queries.communities_in_scope(db.session, current_user, edition),
    )


@bp.route("/proposals/<int:proposal_id>/return", methods=["GET", "POST"])
@login_required
def return_proposal(proposal_id: int):
    proposal = load_visible(proposal_id)
    if not policy.can_return(current_user, proposal):
        abort(403)
    form = ReturnForm()
    if request.method == "GET":
        form.deadline.data = to_local(now() + timedelta(days=service.DEFAULT_RESUBMIT_DAYS)).replace(
            tzinfo=None, second=0, microsecond=0
        )
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.return_for_correction(
                    session,
                    actor=current_user,
                    proposal=proposal,
                    reason=form.reason.data,
                    deadline=local_to_utc(form.deadline.data),
                )
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            flash(_("已退回申报人补正。"), "success")
            return redirect(url_for(".detail", proposal_id=proposal_id))
    return render_template("proposals/return.html", form=form, proposal=proposal), 400 if form.errors else 200


@bp.get("/proposals/<int:proposal_id>/versions")
@login_required
def versions_page(proposal_id: int):
    proposal = load_visible(proposal_id)
    rows = db.session.scalars(
        select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id).order_by(ProposalVersion.version)
    ).all()
    pairs = [(old, new, *versions.diff(old.snapshot, new.snapshot)) for old, new in itertools.pairwise(rows)]
    return render_template(
        "proposals/versions.html", proposal=proposal, versions=rows, pairs=pairs, labels=service.field_labels()
    )


@bp.route("/admin/editions/<int:edition_id>/extend-window", methods=["GET", "POST"])
@login_required
def extend_window(edition_id: int):
    edition = get_or_404(Edition, edition_id)
    if not edition_policy.can_manage_edition(current_user, edition):
        abort(403)
    form = WindowForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                extend_submission_window(
                    session, actor=current_user, edition=edition, closes_at=local_to_utc(form.closes_at.data)
                )
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            flash(_("申报截止时间已延长。"), "success")
            return redirect(url_for("editions.detail", edition_id=edition_id))
    return render_template("proposals/extend_window.html", form=form, edition=edition), 400 if form.errors else 200


@bp.route("/admin/editions/<int:edition_id>/budget-rules", methods=["GET", "POST"])
@login_required
def budget_rules(edition_id: int):
    edition = get_or_404(Edition, edition_id)
    if not edition_policy.can_manage_edition(current_user, edition):
        abort(403)
    form = BudgetCategoryForm()
    category_id = params.form_id("category_id")
    if form.validate_on_submit():
        data = budget_rules_service.CategoryData(
            form.name.data or "", form.max_share_percent.data, form.max_unit_price_fen
        )
        try:
            with unit_of_work() as session:
                if request.form.get("action") == "delete":
                    budget_rules_service.delete_category(
                        session, actor=current_user, edition=edition, category=_category(edition, category_id)
                    )
                elif category_id:
                    budget_rules_service.update_category(
                        session,
                        actor=current_user,
                        edition=edition,
                        category=_category(edition, category_id),
                        data=data,
                    )
                else:
                    budget_rules_service.add_category(session, actor=current_user, edition=edition, data=data)
        except DomainError as err:
            flash(str(err), "error")
        else:
            flash(_("预算规则已保存。"), "success")
            return redirect(url_for(".budget_rules", edition_id=edition_id))
    categories = service.budget_categories(db.session, edition.id) or service.default_budget_categories()
    return render_template(
        "proposals/budget_rules.html",
        edition=edition,
        form=form,
        categories=categories,
        locked=service.edition_has_proposals(db.session, edition.id),
    ), (400 if form.errors else 200)


def _category(edition, category_id):
    category = db.session.get(BudgetCategory, category_id) if category_id else None
    if category is None or category.edition_id != edition.id:
        abort(404)
    return category
