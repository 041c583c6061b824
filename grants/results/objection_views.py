"""Objections: filing one (signed-in users, during the window), following one's own, and the
organizer's answers."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.db import db, get_or_404, unit_of_work
from grants.errors import DomainError
from grants.forms import apply_domain_error
from grants.proposals.attachments import file_path
from grants.reports.responses import attachment_headers
from grants.results import objections, policy, queries
from grants.results.forms import AnswerForm, ObjectionForm
from grants.results.models import Objection, PublicationEntry
from grants.results.views import _edition_for_organizer, bp
from grants.uploads import checked_upload


def _public_entry(entry_id: int) -> PublicationEntry:
    entry = get_or_404(PublicationEntry, entry_id)
    if not policy.is_public(entry.publication):
        abort(404)
    return entry


def _visible_objection(objection_id: int) -> Objection:
    objection = get_or_404(Objection, objection_id)
    if not policy.can_view_objection(current_user, objection):
        abort(403)
    return objection


@bp.route("/entries/<int:entry_id>/objection", methods=["GET", "POST"])
@login_required
def object(entry_id: int):
    entry = _public_entry(entry_id)
    publication = entry.publication
    form = ObjectionForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                attached = checked_upload("file")
                with unit_of_work() as session:
                    objection = objections.file_objection(
                        session,
                        actor=current_user,
                        entry=entry,
                        text=form.text.data,
                        upload=attached,
                        upload_dir=Path(current_app.config["UPLOAD_DIR"]),
                    )
            except DomainError as err:
                if not apply_domain_error(form, err):
                    form.form_errors.append(str(err))
                status = 400
            else:
                flash(_("异议已提交，主办方答复后您会在“我的异议”中看到结果。"), "success")
                return redirect(url_for(".objection", objection_id=objection.id))
        else:
            status = 400
    return (
        render_template(
            "results/object.html",
            entry=entry,
            publication=publication,
            form=form,
            window_open=queries.window_is_open(publication),
        ),
        status,
    )


@bp.get("/objections/mine")
@login_required
def mine():
    return render_template("results/mine.html", objection_list=objections.objections_by(db.session, current_user.id))


@bp.get("/objections/<int:objection_id>")
@login_required
def objection(objection_id: int):
    objection = _visible_objection(objection_id)
    return render_template(
        "results/objection.html",
        objection=objection,
        manage=policy.can_manage(current_user, objection.publication.edition),
    )


@bp.get("/objections/<int:objection_id>/attachment")
@login_required
def objection_attachment(objection_id: int):
    objection = _visible_objection(objection_id)
    attachment = objection.attachment
    if attachment is None:
        abort(404)
    path = file_path(Path(current_app.config["UPLOAD_DIR"]), attachment)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.mime, max_age=0)
    response.headers.update(
        attachment_headers(attachment.original_name, attachment.mime, inline=attachment.mime != "application/pdf")
    )
    return response


@bp.get("/editions/<int:edition_id>/objections")
@login_required
def objections_page(edition_id: int):
    edition = _edition_for_organizer(edition_id)
    status = request.args.get("status") or None
    if status not in (None, "open", "upheld", "dismissed"):
        status = None
    return render_template(
        "results/objections.html",
        edition=edition,
        status=status,
        objection_list=objections.objections_of(db.session, edition.id, status=status),
    )


@bp.route("/objections/<int:objection_id>/answer", methods=["GET", "POST"])
@login_required
def answer(objection_id: int):
    objection = get_or_404(Objection, objection_id)
    if not policy.can_manage(current_user, objection.publication.edition):
        abort(403)
    form = AnswerForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                with unit_of_work() as session:
                    objections.answer(
                        session,
                        actor=current_user,
                        objection=objection,
                        upheld=form.outcome.data == "upheld",
                        reply=form.reply.data,
                    )
            except DomainError as err:
                if not apply_domain_error(form, err):
                    form.form_errors.append(str(err))
                status = 400
            else:
                flash(_("答复已发布。"), "success")
                return redirect(url_for(".objections_page", edition_id=objection.publication.edition_id))
        else:
            status = 400
    return render_template("results/answer.html", objection=objection, form=form), status
