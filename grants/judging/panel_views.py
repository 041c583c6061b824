"""Pages for the judge pool, conflicts of interest, reassignment and importing paper sheets."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from grants import params
from grants.auth.models import User
from grants.db import db, get_or_404, unit_of_work
from grants.editions import policy as edition_policy
from grants.editions.models import Edition
from grants.errors import DomainError
from grants.forms import posted_text
from grants.judging import groups, integrity, panel, policy, sheets
from grants.judging.closing import proposals_in_round
from grants.judging.models import Assignment
from grants.judging.views import bp, scoring_round_for_organizer
from grants.proposals.models import Proposal


def _edition_for_organizer(edition_id: int) -> Edition:
    edition = get_or_404(Edition, edition_id)
    if not edition_policy.can_manage_edition(current_user, edition):
        abort(403)
    return edition


def _uploaded_table() -> panel.Table:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise DomainError(_("请选择要上传的文件。"), field="file")
    return panel.read_table(upload.read(), upload.filename)


def _problems(err: DomainError) -> list[str]:
    return [str(err), *getattr(err, "problems", [])]


@bp.route("/editions/<int:edition_id>/judges", methods=["GET", "POST"])
@login_required
def judge_pool(edition_id: int):
    edition = _edition_for_organizer(edition_id)
    errors: list[str] = []
    imported: list[panel.ImportedJudge] = []
    if request.method == "POST":  # CSRFProtect has checked the token
        try:
            if request.form.get("action") == "import":
                table = _uploaded_table()
                # New accounts' passwords are hashed before the write transaction (argon2 is slow by design).
                passwords = panel.one_time_passwords(db.session, table)
                with unit_of_work() as session:
                    imported = panel.import_judges(
                        session, actor=current_user, edition=edition, table=table, passwords=passwords
                    )
                flash(_("已导入%(n)d位评委。", n=len(imported)), "success")
            else:
                with unit_of_work() as session:
                    user = panel.add_judge(
                        session, actor=current_user, edition=edition, login=request.form.get("login", "")
                    )
                flash(_("已将%(name)s加入本届评委。", name=user.display_name), "success")
        except DomainError as err:
            errors = _problems(err)
        else:
            if not any(item.password for item in imported):
                return redirect(url_for(".judge_pool", edition_id=edition_id))
    return render_template(
        "judging/pool.html",
        edition=edition,
        entries=panel.pool(db.session, edition),
        errors=errors,
        new_accounts=[item for item in imported if item.password],
    ), 400 if errors else 200


@bp.post("/editions/<int:edition_id>/judges/<int:judge_id>/remove")
@login_required
def remove_judge(edition_id: int, judge_id: int):
    edition = _edition_for_organizer(edition_id)
    judge = get_or_404(User, judge_id)
    try:
        with unit_of_work() as session:
            panel.remove_judge(session, actor=current_user, edition=edition, judge=judge)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("已将%(name)s移出本届评委。", name=judge.display_name), "success")
    return redirect(url_for(".judge_pool", edition_id=edition_id))


@bp.route("/editions/<int:edition_id>/conflicts", methods=["GET", "POST"])
@login_required
def conflicts(edition_id: int):
    edition = _edition_for_organizer(edition_id)
    errors: list[str] = []
    if request.method == "POST":  # CSRFProtect has checked the token
        try:
            with unit_of_work() as session:
                panel.declare_conflict(
                    session,
                    actor=current_user,
                    edition=edition,
                    judge_id=params.form_id("judge_id"),
                    proposal_id=params.form_id("proposal_id"),
                    reason=posted_text("reason", _("原因")),
                )
        except DomainError as err:
            errors = [str(err)]
        else:
            flash(_("利益冲突已登记，相关的未评分表已撤回。"), "success")
            return redirect(url_for(".conflicts", edition_id=edition_id))
    proposals = db.session.execute(
        select(Proposal.id, Proposal.title)
        .where(Proposal.edition_id == edition.id, Proposal.status != "draft")
        .order_by(Proposal.id)
    ).all()
    judges = sheets.judges_of_edition(db.session, edition.id)
    return render_template(
        "judging/conflicts.html",
        edition=edition,
        records=panel.conflicts_of(db.session, edition),
        judges=judges,
        proposals=proposals,
        titles=dict(proposals),
        names={u.id: u.display_name for u in judges},
        errors=errors,
    ), 400 if errors else 200


@bp.route("/assignments/<int:assignment_id>/conflict", methods=["GET", "POST"])
@login_required
def declare_conflict(assignment_id: int):
    assignment = get_or_404(Assignment, assignment_id)
    if not policy.can_open_sheet(current_user, assignment):
        abort(403)
    errors: list[str] = []
    if request.method == "POST":  # CSRFProtect has checked the token
        try:
            with unit_of_work() as session:
                panel.declare_own_conflict(
                    session, actor=current_user, assignment=assignment, reason=posted_text("reason", _("原因"))
                )
        except DomainError as err:
            errors = [str(err)]
        else:
            flash(_("已登记利益冲突，这个项目不再由您评审。"), "success")
            return redirect(url_for(".queue"))
    return render_template(
        "judging/conflict_declare.html", assignment=assignment, errors=errors
    ), 400 if errors else 200


@bp.route("/assignments/<int:assignment_id>/reassign", methods=["GET", "POST"])
@login_required
def reassign(assignment_id: int):
    assignment = get_or_404(Assignment, assignment_id)
    rnd = scoring_round_for_organizer(assignment.round_id)
    errors: list[str] = []
    if request.method == "POST":  # CSRFProtect has checked the token
        previous = assignment.judge_id
        try:
            with unit_of_work() as session:
                panel.reassign(
                    session,
                    actor=current_user,
                    assignment=assignment,
                    judge_id=params.form_id("judge_id"),
                )
        except DomainError as err:
            errors = [str(err)]
        else:
            flash(_("评分表已改派。"), "success")
            return redirect(url_for(".judge_sheets", round_id=rnd.id, judge_id=previous))
    return render_template(
        "judging/reassign.html",
        assignment=assignment,
        rnd=rnd,
        judges=[j for j in sheets.judges_of_edition(db.session, rnd.edition_id) if j.id != assignment.judge_id],
        errors=errors,
    ), 400 if errors else 200


@bp.post("/assignments/<int:assignment_id>/decide")
@login_required
def decide_held_sheet(assignment_id: int):
    assignment = get_or_404(Assignment, assignment_id)
    rnd = scoring_round_for_organizer(assignment.round_id)
    action = request.form.get("action")
    if action not in ("keep", "discard"):
        flash(_("请选择保留或作废。"), "error")
        return redirect(url_for(".results", round_id=rnd.id))
    try:
        with unit_of_work() as session:
            integrity.decide_held_sheet(
                session,
                actor=current_user,
                assignment=assignment,
                keep=action == "keep",
                reason=posted_text("reason", _("原因")),
            )
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("评分表已保留，计入本轮得分。") if action == "keep" else _("评分表已作废，可以改派。"), "success")
    return redirect(url_for(".results", round_id=rnd.id))


@bp.route("/rounds/<int:round_id>/import", methods=["GET", "POST"])
@login_required
def import_sheets(round_id: int):
    rnd = scoring_round_for_organizer(round_id)
    errors: list[str] = []
    if request.method == "POST":  # CSRFProtect has checked the token
        try:
            with unit_of_work() as session:
                count = panel.import_sheets(session, actor=current_user, rnd=rnd, table=_uploaded_table())
        except DomainError as err:
            errors = _problems(err)
        else:
            flash(_("已导入并提交%(n)d张评分表（标记为代录入）。", n=count), "success")
            return redirect(url_for(".results", round_id=round_id))
    return render_template(
        "judging/import_sheets.html", rnd=rnd, errors=errors, in_round=len(proposals_in_round(db.session, rnd))
    ), 400 if errors else 200


@bp.route("/rounds/<int:round_id>/groups", methods=["GET", "POST"])
@login_required
def judge_groups(round_id: int):
    rnd = scoring_round_for_organizer(round_id)
    judges = sheets.judges_of_edition(db.session, rnd.edition_id)
    errors: list[str] = []
    if request.method == "POST":  # CSRFProtect has checked the token
        membership = {j.id: request.form.get(f"judge_{j.id}", "") for j in judges}
        try:
            rows = [
                (posted_text(f"group_name_{i}", _("评委组名称")), request.form.get(f"group_weight_{i}", ""))
                for i in range(1, 5)
            ]
            with unit_of_work() as session:
                groups.set_groups(session, actor=current_user, rnd=rnd, groups=rows, membership=membership)
        except DomainError as err:
            errors = [str(err)]
        else:
            flash(_("评委组已保存。"), "success")
            return redirect(url_for(".judge_groups", round_id=round_id))
    current = groups.groups_of(db.session, rnd)
    member_of = {m.judge_id: g.name for g in current for m in g.members}
    return render_template(
        "judging/groups.html", rnd=rnd, judges=judges, groups=current, member_of=member_of, errors=errors
    ), 400 if errors else 200
