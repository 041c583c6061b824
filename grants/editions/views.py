"""Organizer pages for editions (届), their rounds and rubrics."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.auth import policy as auth_policy
from grants.db import db, get_or_404, unit_of_work
from grants.editions import labels, policy, queries, service
from grants.editions.forms import CriterionForm, EditionForm, RoundForm, TransitionForm
from grants.editions.models import Criterion, Edition, Round
from grants.editions.states import edition_machine, edition_status_label, round_status_label
from grants.errors import DomainError
from grants.forms import apply_domain_error
from grants.money import fen_to_yuan_input
from grants.org.models import District
from grants.timeutil import local_to_utc, to_local

bp = Blueprint("editions", __name__, url_prefix="/admin/editions")


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _refused(err: DomainError, form=None) -> None:
    if form is None or not apply_domain_error(form, err):
        flash(str(err), "error")


@bp.record_once
def _labels(state) -> None:
    state.app.jinja_env.globals.update(
        {"labels": labels, "edition_status_label": edition_status_label, "round_status_label": round_status_label}
    )


@bp.get("/")
@login_required
def index():
    _require(auth_policy.is_organizer(current_user))
    editions = service.editions_for_organizer(db.session, auth_policy.organizer_district_ids(current_user))
    round_counts = service.round_counts(db.session, [e.id for e in editions])
    return render_template("editions/index.html", editions=editions, round_counts=round_counts)


def _edition_form(edition: Edition | None = None) -> EditionForm:
    form = EditionForm(obj=edition)
    ids = auth_policy.organizer_district_ids(current_user)
    form.district_id.choices = [(d.id, d.name) for d in service.districts(db.session, ids)]
    if request.method == "GET":
        if edition is None:
            form.categories.data = "\n".join(service.default_categories())
            form.number.data = service.next_number(db.session, next(iter(sorted(ids)), 0))
        else:
            form.cap_yuan.data = fen_to_yuan_input(edition.cap_fen)
            form.pool_yuan.data = fen_to_yuan_input(edition.pool_fen)
            form.categories.data = "\n".join(c.name for c in edition.categories)
            for name in ("submission_opens_at", "submission_closes_at"):
                value = getattr(edition, name)
                getattr(form, name).data = to_local(value).replace(tzinfo=None) if value else None
    return form


def _edition_data(form: EditionForm) -> service.EditionData:
    def utc(value):
        return local_to_utc(value) if value else None

    return service.EditionData(
        number=form.number.data,
        name=form.name.data or "",
        theme=form.theme.data or "",
        description=form.description.data or "",
        cap_fen=form.cap_fen,
        pool_fen=form.pool_fen,
        min_team_size=form.min_team_size.data,
        one_proposal_per_applicant=form.one_proposal_per_applicant.data,
        submission_opens_at=utc(form.submission_opens_at.data),
        submission_closes_at=utc(form.submission_closes_at.data),
        categories=(form.categories.data or "").splitlines(),
        objection_contact=form.objection_contact.data or "",
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require(auth_policy.is_organizer(current_user))
    form = _edition_form()
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                district = get_or_404(District, form.district_id.data)
                edition = service.create_edition(
                    session, actor=current_user, district=district, data=_edition_data(form)
                )
                edition_id = edition.id
        except DomainError as err:
            _refused(err, form)
        else:
            flash(_("大赛已创建，默认包含三轮评审，可以按需修改。"), "success")
            return redirect(url_for(".detail", edition_id=edition_id))
    return render_template("editions/form.html", form=form, edition=None), 400 if form.errors else 200


@bp.route("/<int:edition_id>/edit", methods=["GET", "POST"])
@login_required
def edit(edition_id: int):
    edition = get_or_404(Edition, edition_id)
    _require(policy.can_manage_edition(current_user, edition))
    form = _edition_form(edition)
    form.district_id.choices = [(edition.district_id, edition.district.name)]
    form.district_id.data = edition.district_id
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.update_edition(session, actor=current_user, edition=edition, data=_edition_data(form))
        except DomainError as err:
            _refused(err, form)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for(".detail", edition_id=edition_id))
    return render_template("editions/form.html", form=form, edition=edition), 400 if form.errors else 200


@bp.get("/<int:edition_id>")
@login_required
def detail(edition_id: int):
    edition = queries.edition_with_categories(db.session, edition_id) or abort(404)
    _require(policy.can_manage_edition(current_user, edition))
    return render_template(
        "editions/detail.html",
        edition=edition,
        rounds=queries.round_cards(db.session, edition.id),
        options=edition_machine.options(edition, current_user),
        steps=edition_machine.pending_steps(edition),
    )


@bp.post("/<int:edition_id>/status")
@login_required
def change_status(edition_id: int):
    edition = get_or_404(Edition, edition_id)
    _require(policy.can_manage_edition(current_user, edition))
    form = TransitionForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.change_edition_status(
                    session, actor=current_user, edition=edition, target=form.target.data or "", reason=form.reason.data
                )
        except DomainError as err:
            _refused(err)
        else:
            flash(_("状态已更新为“%(status)s”。", status=edition_status_label(edition.status)), "success")
    return redirect(url_for(".detail", edition_id=edition_id))


@bp.post("/<int:edition_id>/rounds/new")
@login_required
def new_round(edition_id: int):
    edition = get_or_404(Edition, edition_id)
    _require(policy.can_manage_edition(current_user, edition))
    try:
        with unit_of_work() as session:
            rnd = service.add_round(session, actor=current_user, edition=edition)
            round_id = rnd.id
    except DomainError as err:
        _refused(err)
        return redirect(url_for(".detail", edition_id=edition_id))
    flash(_("已增加一轮评审，请完成设置。"), "success")
    return redirect(url_for(".edit_round", round_id=round_id))


def _round_data(form: RoundForm) -> service.RoundData:
    return service.RoundData(
        name=form.name.data or "",
        kind=form.kind.data,
        mode=form.mode.data,
        judges_per_proposal=form.judges_per_proposal.data,
        aggregation=form.aggregation.data,
        trim_min_judges=form.trim_min_judges.data,
        normalize=form.normalize.data,
        blind=form.blind.data,
        advancement=form.advancement.data,
        advance_top_n=form.advance_top_n.data,
        advance_min_score=form.min_score,
        weight_percent=form.weight_percent.data,
    )


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@login_required
def edit_round(round_id: int):
    rnd = get_or_404(Round, round_id)
    _require(policy.can_manage_round(current_user, rnd))
    form = RoundForm(obj=rnd)
    if request.method == "GET" and rnd.advance_min_score is not None:
        form.advance_min_score.data = str(rnd.advance_min_score)
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.update_round(session, actor=current_user, rnd=rnd, data=_round_data(form))
        except DomainError as err:
            _refused(err, form)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for(".detail", edition_id=rnd.edition_id))
    return render_template(
        "editions/round_form.html", form=form, rnd=rnd, criterion_form=CriterionForm(formdata=None)
    ), 400 if form.errors else 200


def _round_action(round_id: int, action) -> int:
    rnd = get_or_404(Round, round_id)
    _require(policy.can_manage_round(current_user, rnd))
    edition_id = rnd.edition_id
    try:
        with unit_of_work() as session:
            action(session, rnd)
    except DomainError as err:
        _refused(err)
    return edition_id


@bp.post("/rounds/<int:round_id>/delete")
@login_required
def delete_round(round_id: int):
    edition_id = _round_action(round_id, lambda s, r: service.delete_round(s, actor=current_user, rnd=r))
    return redirect(url_for(".detail", edition_id=edition_id))


@bp.post("/rounds/<int:round_id>/move")
@login_required
def move_round(round_id: int):
    offset = -1 if request.form.get("direction") == "up" else 1
    edition_id = _round_action(round_id, lambda s, r: service.move_round(s, actor=current_user, rnd=r, offset=offset))
    return redirect(url_for(".detail", edition_id=edition_id))


def _criterion_data(form: CriterionForm) -> service.CriterionData:
    return service.CriterionData(
        name=form.name.data or "", description=form.description.data or "", max_points=form.max_points.data
    )


@bp.post("/rounds/<int:round_id>/criteria/new")
@login_required
def new_criterion(round_id: int):
    rnd = get_or_404(Round, round_id)
    _require(policy.can_manage_round(current_user, rnd))
    form = CriterionForm()
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.add_criterion(session, actor=current_user, rnd=rnd, data=_criterion_data(form))
        except DomainError as err:
            _refused(err, form)
        else:
            flash(_("评分标准已添加。"), "success")
            return redirect(url_for(".edit_round", round_id=round_id))
    return render_template("editions/round_form.html", form=RoundForm(obj=rnd), rnd=rnd, criterion_form=form), 400


@bp.route("/criteria/<int:criterion_id>/edit", methods=["GET", "POST"])
@login_required
def edit_criterion(criterion_id: int):
    criterion = get_or_404(Criterion, criterion_id)
    _require(policy.can_manage_round(current_user, criterion.round))
    form = CriterionForm(obj=criterion)
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                service.update_criterion(session, actor=current_user, criterion=criterion, data=_criterion_data(form))
        except DomainError as err:
            _refused(err, form)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for(".edit_round", round_id=criterion.round_id))
    return render_template("editions/criterion_form.html", form=form, criterion=criterion), (
        400 if form.errors else 200
    )


def _criterion_action(criterion_id: int, action) -> int:
    criterion = get_or_404(Criterion, criterion_id)
    _require(policy.can_manage_round(current_user, criterion.round))
    round_id = criterion.round_id
    try:
        with unit_of_work() as session:
            action(session, criterion)
    except DomainError as err:
        _refused(err)
    return round_id


@bp.post("/criteria/<int:criterion_id>/delete")
@login_required
def delete_criterion(criterion_id: int):
    round_id = _criterion_action(
        criterion_id, lambda s, c: service.delete_criterion(s, actor=current_user, criterion=c)
    )
    return redirect(url_for(".edit_round", round_id=round_id))


@bp.post("/criteria/<int:criterion_id>/move")
@login_required
def move_criterion(criterion_id: int):
    offset = -1 if request.form.get("direction") == "up" else 1
    round_id = _criterion_action(
        criterion_id, lambda s, c: service.move_criterion(s, actor=current_user, criterion=c, offset=offset)
    )
    return redirect(url_for(".edit_round", round_id=round_id))
