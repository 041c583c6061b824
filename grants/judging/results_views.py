"""Organizer pages of a scoring round: dashboard with ranking (preview, then stored results),
closing and re-opening, reminders, a judge's sheets with proxy entry, per-proposal breakdown."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants import money
from grants.auth.models import User
from grants.db import db, get_or_404, unit_of_work
from grants.editions import policy as edition_policy
from grants.editions.models import Edition, Round, RoundKind
from grants.editions.states import RoundStatus
from grants.errors import DomainError
from grants.forms import posted_text
from grants.judging import awards, charts, closing, exports, sheets
from grants.judging.models import Assignment
from grants.judging.views import bp, scoring_round_for_organizer, sheet_form
from grants.params import form_ids
from grants.reports import tables
from grants.reports.pdf import render_pdf
from grants.reports.responses import attachment_headers
from grants.timeutil import now


@bp.get("/rounds/<int:round_id>/results")
@login_required
def results(round_id: int):
    rnd = scoring_round_for_organizer(round_id)
    problem = None
    if rnd.status == RoundStatus.CLOSED.value:
        ranking = closing.closed_round(db.session, rnd)  # its stored results, not a new ranking
    else:
        try:
            ranking = closing.rank_round(db.session, rnd)
        except DomainError as err:
            ranking, problem = closing.Ranking(rows=[], combined=False), str(err)
    rows = ranking.rows
    progress = sheets.progress_by_judge(db.session, rnd)
    judges = {judge.id: judge for judge, *_rest in progress}
    chart = None
    if ranking.round_mean is not None:
        chart = charts.judge_bias(
            [(judges[j].display_name, m) for j, m in sorted(ranking.judge_means.items()) if j in judges],
            ranking.round_mean,
            rnd.max_total,
        )
    return render_template(
        "judging/results.html",
        rnd=rnd,
        ranking=ranking,
        rows=rows,
        proposals=closing.proposal_labels(db.session, (r.proposal_id for r in rows)),
        progress=progress,
        chart=chart,
        problem=problem,
        held=ranking.held,
        withdrawn=ranking.withdrawn,
    )


@bp.post("/rounds/<int:round_id>/reopen")
@login_required
def reopen_round(round_id: int):
    rnd = get_or_404(Round, round_id)
    if not edition_policy.can_manage_round(current_user, rnd):
        abort(403)
    try:
        with unit_of_work() as session:
            closing.reopen_round(session, actor=current_user, rnd=rnd, reason=posted_text("reason", _("原因")))
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("本轮已重新开启，评分全部保留。"), "success")
    return redirect(_round_home(rnd))


def _round_home(rnd) -> str:
    if rnd.kind == RoundKind.ELIGIBILITY:
        return url_for(".eligibility_list", round_id=rnd.id)
    return url_for(".results", round_id=rnd.id)


@bp.post("/rounds/<int:round_id>/remind")
@login_required
def remind(round_id: int):
    rnd = scoring_round_for_organizer(round_id)
    try:
        with unit_of_work() as session:
            late = sheets.remind_late_judges(
                session, actor=current_user, rnd=rnd, message=posted_text("message", _("提醒内容"))
            )
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("已向%(n)d位评委的评审任务页发出提醒。", n=late), "success")
    return redirect(url_for(".results", round_id=round_id))


@bp.post("/rounds/<int:round_id>/release-comments")
@login_required
def release_comments(round_id: int):
    rnd = scoring_round_for_organizer(round_id)
    try:
        with unit_of_work() as session:
            closing.release_comments(session, actor=current_user, rnd=rnd)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("评审意见已向申报人发布（不含评委姓名和分数）。"), "success")
    return redirect(url_for(".results", round_id=round_id))


@bp.get("/rounds/<int:round_id>/results/<int:proposal_id>")
@login_required
def breakdown(round_id: int, proposal_id: int):
    rnd = scoring_round_for_organizer(round_id)
    if rnd.status != "closed":
        abort(404)
    result = next(
        (r for r in closing.stored_results(db.session, rnd, with_proposals=True) if r.proposal_id == proposal_id), None
    )
    if result is None:
        abort(404)
    return render_template(
        "judging/breakdown.html",
        rnd=rnd,
        result=result,
        proposal=result.proposal,
        sheets=sheets.sheets_of(db.session, rnd, proposal_id=proposal_id),
    )


@bp.get("/rounds/<int:round_id>/judges/<int:judge_id>")
@login_required
def judge_sheets(round_id: int, judge_id: int):
    rnd = scoring_round_for_organizer(round_id)
    judge = get_or_404(User, judge_id)
    rows = sheets.sheets_of(db.session, rnd, judge_id=judge.id)
    if not rows:
        abort(404)
    return render_template("judging/judge_sheets.html", rnd=rnd, judge=judge, rows=rows)


@bp.route("/assignments/<int:assignment_id>/proxy", methods=["GET", "POST"])
@login_required
def proxy_sheet(assignment_id: int):
    assignment = get_or_404(Assignment, assignment_id)
    scoring_round_for_organizer(assignment.round_id)

    def done(assignment):
        return (
            _("已代评委%(name)s录入评分表。", name=assignment.judge.display_name),
            url_for(".judge_sheets", round_id=assignment.round_id, judge_id=assignment.judge_id),
        )

    return sheet_form(assignment, on_behalf=True, done=done)


@bp.route("/editions/<int:edition_id>/awards", methods=["GET", "POST"])
@login_required
def awards_page(edition_id: int):
    edition = get_or_404(Edition, edition_id)
    if not edition_policy.can_manage_edition(current_user, edition):
        abort(403)
    errors: list[str] = []
    if request.method == "POST":  # CSRFProtect has checked the token
        action = request.form.get("action")
        try:
            with unit_of_work() as session:
                if action == "tiers":
                    rows = [
                        awards.TierInput(
                            posted_text(f"tier_name_{i}", _("奖项名称")), request.form.get(f"tier_count_{i}", "")
                        )
                        for i in range(1, awards.TIER_ROWS + 1)
                    ]
                    awards.set_tiers(session, actor=current_user, edition=edition, rows=rows)
                    message = _("奖项设置已保存。")
                elif action == "assign":
                    count = awards.assign_tiers(session, actor=current_user, edition=edition)
                    message = _("已按名次评定%(n)d个获奖项目。", n=count)
                elif action == "amounts":
                    amounts = form_ids("r")
                    total = awards.set_amounts(session, actor=current_user, edition=edition, amounts=amounts)
                    message = _("核定金额已保存，合计%(total)s。", total=money.format_fen(total))
                else:
                    abort(400)
        except DomainError as err:
            errors = [str(err)]
        else:
            flash(message, "success")
            return redirect(url_for(".awards_page", edition_id=edition_id))
    rnd = awards.final_round(db.session, edition.id)
    results = closing.stored_results(db.session, rnd, with_proposals=True) if rnd and rnd.status == "closed" else []
    return render_template(
        "judging/awards.html",
        edition=edition,
        rnd=rnd,
        tiers=awards.tiers_of(db.session, edition.id),
        tier_rows=awards.TIER_ROWS,
        results=results,
        total=awards.approved_total(results),
        errors=errors,
    ), 400 if errors else 200


@bp.get("/rounds/<int:round_id>/export/<any(sheets, summary):kind>.<any(csv, xlsx, pdf):fmt>")
@login_required
def export_round(round_id: int, kind: str, fmt: str):
    rnd = scoring_round_for_organizer(round_id)
    if kind == "sheets":
        if fmt == "pdf":
            abort(404)
        table = exports.raw_sheets(db.session, rnd)
        body, headers = tables.download(
            table, fmt, _("原始评分-%(round)s", round=rnd.name), f"raw-scores-round-{rnd.id}"
        )
        return Response(body, headers=headers)
    try:
        table, final = exports.summary(db.session, rnd)
    except DomainError as err:
        flash(str(err), "error")
        return redirect(url_for(".results", round_id=round_id))
    name = _("评审汇总表-%(round)s", round=rnd.name)
    if fmt == "pdf":
        html = render_template("pdf/round_summary.html", rnd=rnd, table=table, final=final, printed_at=now())
        headers = attachment_headers(f"{name}.pdf", "application/pdf", ascii_name=f"summary-round-{rnd.id}.pdf")
        return Response(render_pdf(html, base_url=request.url_root), headers=headers)
    body, headers = tables.download(table, fmt, name, f"summary-round-{rnd.id}")
    return Response(body, headers=headers)


@bp.get("/rounds/<int:round_id>/judges/<int:judge_id>/sheets.<any(csv, xlsx, pdf):fmt>")
@login_required
def export_judge_sheets(round_id: int, judge_id: int, fmt: str):
    rnd = scoring_round_for_organizer(round_id)
    judge = get_or_404(User, judge_id)
    table = exports.judge_sheet(db.session, rnd, judge.id)
    if not table.rows:
        abort(404)
    name = _("评分表-%(round)s-%(judge)s", round=rnd.name, judge=judge.display_name)
    if fmt == "pdf":
        html = render_template("pdf/judge_sheets.html", rnd=rnd, judge=judge, table=table, printed_at=now())
        headers = attachment_headers(
            f"{name}.pdf", "application/pdf", ascii_name=f"sheets-round-{rnd.id}-judge-{judge.id}.pdf"
        )
        return Response(render_pdf(html, base_url=request.url_root), headers=headers)
    body, headers = tables.download(table, fmt, name, f"sheets-round-{rnd.id}-judge-{judge.id}")
    return Response(body, headers=headers)
