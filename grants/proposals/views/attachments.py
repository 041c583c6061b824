"""Upload, download and delete a proposal's attachments (every route checks the proposal)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants.db import get_or_404, unit_of_work
from grants.errors import DomainError
from grants.proposals import attachments, policy
from grants.proposals.models import Attachment
from grants.proposals.views import bp
from grants.proposals.views.drafts import load_readable, load_visible
from grants.reports.responses import attachment_headers
from grants.uploads import checked_upload


def _upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


@bp.post("/proposals/<int:proposal_id>/attachments")
@login_required
def upload_attachment(proposal_id: int):
    proposal = load_visible(proposal_id)
    if not policy.can_edit(current_user, proposal):
        abort(403)
    try:
        checked = checked_upload("file")  # before the write transaction: re-encoding a photo takes time
        if checked is None:
            flash(_("请选择要上传的文件。"), "error")
            return redirect(url_for(".edit", proposal_id=proposal_id, _anchor="attachments"))
        with unit_of_work() as session:
            attachments.add_attachment(
                session,
                actor=current_user,
                proposal=proposal,
                upload=checked,
                upload_dir=_upload_dir(),
                max_count=current_app.config["ATTACHMENT_MAX_COUNT"],
            )
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("附件已上传。"), "success")
    return redirect(url_for(".edit", proposal_id=proposal_id, _anchor="attachments"))


def _visible_attachment(attachment_id: int, *, load=load_visible):
    """(attachment, its proposal) when the user may see the proposal; 404 otherwise."""
    attachment = get_or_404(Attachment, attachment_id)
    if attachment.proposal_id is None:
        abort(404)
    return attachment, load(attachment.proposal_id)


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    # An assigned judge reads the files too, also in a blind round (they are part of the proposal).
    item, _proposal = _visible_attachment(attachment_id, load=partial(load_readable, named=False))
    path = attachments.file_path(_upload_dir(), item)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=item.mime, conditional=False, etag=False)
    response.headers.update(attachment_headers(item.original_name, item.mime, inline=item.mime.startswith("image/")))
    return response


@bp.post("/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(attachment_id: int):
    item, proposal = _visible_attachment(attachment_id)
    proposal_id = proposal.id
    try:
        with unit_of_work() as session:
            attachments.delete_attachment(
                session, actor=current_user, proposal=proposal, attachment=item, upload_dir=_upload_dir()
            )
    except DomainError as err:
        flash(str(err), "error")
        abort(403)
    flash(_("附件已删除。"), "success")
    return redirect(url_for(".edit", proposal_id=proposal_id, _anchor="attachments"))
