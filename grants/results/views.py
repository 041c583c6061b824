"""The organizer's publication pages: prepare a list, preview it, publish, correct, finalize;
the district's holidays for counting objection windows."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants import timeutil
from grants.db import db, get_or_404, unit_of_work
from grants.editions.models import Edition
from grants.errors import DomainError
from grants.forms import apply_domain_error
from grants.results import documents, holidays, objections, policy, queries, service
from grants.results.forms import HolidayForm, PrepareForm, SettingsForm
from grants.results.models import Holiday, Publication
from grants.results.states import PublicationStatus, objection_status_label, publication_status_label

bp = Blueprint("results", __name__)


window_end = timeutil.format_deadline  # kept under its template name


@bp.record_once
def _labels(state) -> None:
    state.app.jinja_env.globals.update(
        {
            "publication_status_label": publication_status_label,
            "objection_status_label": objection_status_label,
            "window_is_open": queries.window_is_open,
            "window_end": window_end,
        }
    )


def _edition_for_organizer(edition_id: int) -> Edition:
    edition = get_or_404(Edition, edition_id)
    if not policy.can_manage(current_user, edition):
        abort(403)
    return edition


def _publication_for_organizer(publication_id: int) -> Publication:
    publication = get_or_404(Publication, publication_id)
    if not policy.can_manage(current_user, publication.edition):
        abort(403)
    return publication


def _settings(form: SettingsForm) -> service.Settings:
    return service.Settings(
        title=form.title.data or "",
        introduction=form.introduction.data or "",
        office_name=form.office_name.data or "",
        list_judges=bool(form.list_judges.data),
        window_days=form.window_days.data or "",
    )


def _manage_page(edition: Edition, form: PrepareForm, status: int = 200):
    session = db.session
    rounds = queries.publishable_rounds(session, edition)
    form.round_id.choices = [(r.id, r.name) for r in rounds]
    if not form.is_submitted() and rounds:
        form.round_id.data = rounds[-1].id
        form.office_name.data = documents.default_office(edition)
        form.title.data = _("%(edition)s评选结果公示", edition=edition.name)
    publications = queries.publications_of(session, edition.id)
    return (
        render_template(
            "results/manage.html",
            edition=edition,
            form=form,
            rounds=rounds,
            publications=publications,
            draft=next((p for p in publications if p.status == PublicationStatus.DRAFT.value), None),
            open_objections=queries.open_objections(session, edition.id),
        ),
        status,
    )


@bp.get("/editions/<int:edition_id>/publications")
@login_required
def manage(edition_id: int):
    return _manage_page(_edition_for_organizer(edition_id), PrepareForm())


@bp.post("/editions/<int:edition_id>/publications")
@login_required
def prepare(edition_id: int):
    edition = _edition_for_organizer(edition_id)
    form = PrepareForm()
    rnd = next((r for r in queries.publishable_rounds(db.session, edition) if r.id == form.round_id.data), None)
    if not form.validate_on_submit() or rnd is None:
        if rnd is None:
            form.round_id.errors = [_("请选择一个已结束的评审轮次。")]
        return _manage_page(edition, form, 400)
    try:
        with unit_of_work() as session:
            publication = service.prepare(
                session, actor=current_user, edition=edition, rnd=rnd, settings=_settings(form)
            )
    except DomainError as err:
        if not apply_domain_error(form, err):
            flash(str(err), "error")
        return _manage_page(edition, form, 400)
    flash(_("公示草稿已生成，请检查预览后发布。"), "success")
    return redirect(url_for(".publication", publication_id=publication.id))


def _publication_page(publication: Publication, form: SettingsForm | None = None, status: int = 200):
    session = db.session
    if form is None:
        form = SettingsForm(
            title=publication.title,
            office_name=publication.office_name,
            introduction=publication.introduction,
            list_judges=bool(publication.judges),
            window_days=publication.window_days,
        )
    entries = queries.entries_of(session, publication)
    grants = queries.grants_of(session, publication.id)
    return (
        render_template(
            "results/publication.html",
            publication=publication,
            corrected=queries.predecessor_of(session, publication),
            edition=publication.edition,
            entries=entries,
            form=form,
            now_open=queries.window_is_open(publication),
            objection_list=objections.objections_of(session, publication.edition_id)
            if publication.status != PublicationStatus.DRAFT.value
            else [],
            open_objections=queries.open_objections(session, publication.edition_id),
            grants=grants,
            total_fen=sum(e.approved_fen or 0 for e in entries),
        ),
        status,
    )


@bp.get("/publications/<int:publication_id>")
@login_required
def publication(publication_id: int):
    return _publication_page(_publication_for_organizer(publication_id))


@bp.post("/publications/<int:publication_id>/settings")
@login_required
def update_settings(publication_id: int):
    publication = _publication_for_organizer(publication_id)
    form = SettingsForm()
    if not form.validate_on_submit():
        return _publication_page(publication, form, 400)
    try:
        with unit_of_work() as session:
            service.update_settings(session, actor=current_user, publication=publication, settings=_settings(form))
    except DomainError as err:
        if not apply_domain_error(form, err):
            flash(str(err), "error")
        return _publication_page(publication, form, 400)
    flash(_("公示设置已保存。"), "success")
    return redirect(url_for(".publication", publication_id=publication_id))


def _act(publication_id: int, action, done: str, **kwargs):
    """Run one service ``action`` on the organizer's publication; flash; back to its page."""
    publication = _publication_for_organizer(publication_id)
    try:
        with unit_of_work() as session:
            action(session, actor=current_user, publication=publication, **kwargs)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(done, "success")
    return redirect(url_for(".publication", publication_id=publication_id))


@bp.post("/publications/<int:publication_id>/rebuild")
@login_required
def rebuild(publication_id: int):
    return _act(publication_id, service.rebuild_entries, _("名单已按最新的评审结果重新生成。"))


@bp.post("/publications/<int:publication_id>/entries/<int:entry_id>")
@login_required
def change_entry(publication_id: int, entry_id: int):
    remove = request.form.get("action") == "remove"
    return _act(
        publication_id,
        service.change_entry,
        _("已从名单中移除。") if remove else _("名单已修改。"),
        entry_id=entry_id,
        tier=request.form.get("tier"),
        approved=request.form.get("approved"),
        remove=remove,
    )


@bp.post("/publications/<int:publication_id>/publish")
@login_required
def publish(publication_id: int):
    return _act(publication_id, service.publish, _("公示已发布，异议期开始计算。"))


@bp.post("/publications/<int:publication_id>/finalize")
@login_required
def finalize(publication_id: int):
    return _act(publication_id, service.finalize, _("结果已确定，获奖项目已转为资助项目。"))


@bp.post("/publications/<int:publication_id>/discard")
@login_required
def discard(publication_id: int):
    publication = _publication_for_organizer(publication_id)
    edition_id = publication.edition_id
    try:
        with unit_of_work() as session:
            service.discard(session, actor=current_user, publication=publication)
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for(".publication", publication_id=publication_id))
    flash(_("公示草稿已删除。"), "success")
    return redirect(url_for(".manage", edition_id=edition_id))


@bp.route("/editions/<int:edition_id>/holidays", methods=["GET", "POST"])
@login_required
def holidays_page(edition_id: int):
    edition = _edition_for_organizer(edition_id)
    form = HolidayForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                with unit_of_work() as session:
                    holidays.set_holiday(
                        session,
                        actor=current_user,
                        district_id=edition.district_id,
                        day=form.day.data,
                        name=form.name.data or "",
                        workday=form.kind.data == "workday",
                    )
            except DomainError as err:
                if not apply_domain_error(form, err):
                    flash(str(err), "error")
                status = 400
            else:
                flash(_("已保存。"), "success")
                return redirect(url_for(".holidays_page", edition_id=edition_id))
        else:
            status = 400
    days = holidays.holidays_of(db.session, edition.district_id)
    return render_template("results/holidays.html", edition=edition, form=form, days=days), status


@bp.post("/editions/<int:edition_id>/holidays/<int:holiday_id>/remove")
@login_required
def remove_holiday(edition_id: int, holiday_id: int):
    edition = _edition_for_organizer(edition_id)
    holiday = get_or_404(Holiday, holiday_id)
    if holiday.district_id != edition.district_id:
        abort(404)
    try:
        with unit_of_work() as session:
            holidays.remove_holiday(session, actor=current_user, holiday=holiday)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("已删除。"), "success")
    return redirect(url_for(".holidays_page", edition_id=edition_id))


from grants.results import objection_views  # noqa: E402, F401  (routes on this blueprint)
