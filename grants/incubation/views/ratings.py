"""Star-rating pages (星级评定): the organizer's campaign pages, the community's recommendation, the
street's and the assessors' score sheets, and two public pages (the notice and a rated group).

A blueprint of its own (``ratings``, under /ratings): the public pages need no sign-in, the others
check the policy for *this* campaign, nomination or group.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants import timeutil
from grants.auth import policy as auth_policy
from grants.db import db, get_or_404, unit_of_work
from grants.editions.forms import TransitionForm
from grants.errors import DomainError
from grants.forms import apply_domain_error
from grants.incubation import policy as group_policy
from grants.incubation.models import Group, StarAssessor, StarCampaign, StarNomination, StarObjection
from grants.incubation.ratings import campaigns, decisions, policy, queries, scoring, sheets
from grants.incubation.ratings.forms import (
    AnswerForm,
    AssessorForm,
    CampaignForm,
    DecideForm,
    ObjectionForm,
    RecommendForm,
    SheetForm,
    posted_points,
)
from grants.incubation.ratings.states import campaign_machine, campaign_status_label, star_objection_label, stars_label
from grants.proposals.attachments import file_path
from grants.reports.responses import attachment_headers
from grants.uploads import checked_upload

bp = Blueprint("ratings", __name__, url_prefix="/ratings")


@bp.record_once
def _rating_labels(state) -> None:
    state.app.jinja_env.globals.update(
        {
            "campaign_status_label": campaign_status_label,
            "stars_label": stars_label,
            "star_objection_label": star_objection_label,
            "star_points": scoring.format_halves,
            "star_mean": scoring.format_fraction,
            # The group page (templates/incubation/group.html) shows the group's current stars.
            "current_stars_of": lambda group: queries.current_stars(db.session, group),
            # …and its final ratings by year, each with whether it is still current.
            "star_history_of": lambda group: [
                (r, r.is_current(timeutil.today())) for r in queries.final_ratings(db.session, [group.id])[group.id]
            ],
        }
    )


def _panel(campaign: StarCampaign) -> set[int]:
    return campaigns.assessor_ids(db.session, campaign.id)


def campaign_or_404(campaign_id: int) -> StarCampaign:
    campaign = get_or_404(StarCampaign, campaign_id)
    if not policy.can_view_campaign(current_user, campaign, _panel(campaign)):
        abort(404)
    return campaign


def nomination_or_404(nomination_id: int) -> StarNomination:
    nomination = get_or_404(StarNomination, nomination_id)
    if not policy.can_view_nomination(current_user, nomination, _panel(nomination.campaign)):
        abort(404)
    return nomination


def refuse_unless(allowed: bool) -> None:
    if not allowed:
        abort(403)


def run(call: Callable, done: str, back: str):
    """Run one service call in a unit of work; flash its outcome and go back."""
    try:
        with unit_of_work() as session:
            call(session)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(done, "success")
    return redirect(back)


@bp.get("/")
@login_required
def index():
    return render_template(
        "ratings/index.html",
        campaigns=queries.campaigns_for(db.session, current_user),
        may_create=auth_policy.is_organizer(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_campaign():
    districts = sorted(auth_policy.organizer_district_ids(current_user))
    refuse_unless(bool(districts))
    form = CampaignForm(
        data={"indicators": scoring.indicators_text(campaigns.default_lines())} if request.method == "GET" else None
    )
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                campaign = campaigns.create_campaign(
                    session, actor=current_user, district_id=districts[0], data=form.data_object(with_indicators=True)
                )
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            flash(_("星级评定已建立，开始前可以修改指标和分数线。"), "success")
            return redirect(url_for(".campaign", campaign_id=campaign.id))
    return render_template(
        "ratings/campaign_form.html", form=form, campaign=None
    ), 400 if request.method == "POST" else 200


@bp.get("/<int:campaign_id>")
@login_required
def campaign(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    session, panel = db.session, _panel(campaign)
    organizer = policy.is_organizer(current_user, campaign)
    scope = (
        {}
        if organizer or current_user.id in panel
        else {
            "community_ids": auth_policy.staff_community_ids(current_user),
            "street_ids": auth_policy.staff_street_ids(current_user),
        }
    )
    return render_template(
        "ratings/campaign.html",
        campaign=campaign,
        criteria=campaigns.criteria_of(session, campaign.id),
        cutoffs=decisions.cutoffs_of(campaign),
        organizer=organizer,
        is_assessor=current_user.id in panel,
        rows=queries.nomination_rows(session, campaign.id, viewer_id=current_user.id, **scope),
        candidates=queries.candidates(session, campaign, current_user),
        assessors=campaigns.assessors_of(session, campaign.id) if organizer else [],
        options=campaign_machine.options(campaign, current_user),
        objections=queries.open_objections(session, campaign.id) if organizer else [],
        assessor_form=AssessorForm(),
        answer_form=AnswerForm(),
        has_conflict=lambda nomination: policy.has_conflict(current_user, nomination.group),
        street_ids=auth_policy.staff_street_ids(current_user),
    )


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def edit_campaign(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    refuse_unless(policy.is_organizer(current_user, campaign))
    form = CampaignForm(obj=campaign if request.method == "GET" else None)
    if request.method == "GET":
        form.indicators.data = scoring.indicators_text(
            [scoring.Line(c.indicator, c.name, c.max_halves) for c in campaigns.criteria_of(db.session, campaign.id)]
        )
        for name in ("cut_three", "cut_four", "cut_five"):
            getattr(form, name).data = scoring.format_halves(getattr(campaign, name))
    if form.validate_on_submit():
        try:
            with unit_of_work() as session:
                campaigns.update_campaign(
                    session, actor=current_user, campaign=campaign, data=form.data_object(with_indicators=True)
                )
        except DomainError as err:
            if not apply_domain_error(form, err):
                flash(str(err), "error")
        else:
            flash(_("指标和分数线已保存。"), "success")
            return redirect(url_for(".campaign", campaign_id=campaign.id))
    status = 400 if request.method == "POST" else 200
    return render_template("ratings/campaign_form.html", form=form, campaign=campaign), status


@bp.post("/<int:campaign_id>/stage")
@login_required
def move_stage(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    refuse_unless(policy.is_organizer(current_user, campaign))
    form = TransitionForm()
    back = url_for(".campaign", campaign_id=campaign_id)
    if not form.validate_on_submit():
        flash(_("请求无效，请重试。"), "error")
        return redirect(back)
    target = form.target.data or ""
    return run(
        lambda s: campaigns.move_stage(s, actor=current_user, campaign=campaign, target=target),
        _("评定已进入“%(stage)s”阶段。", stage=campaign_status_label(target)),
        back,
    )


@bp.post("/<int:campaign_id>/assessors")
@login_required
def add_assessor(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    refuse_unless(policy.is_organizer(current_user, campaign))
    form = AssessorForm()
    back = url_for(".campaign", campaign_id=campaign_id)
    if not form.validate_on_submit():
        flash(_("请填写评审专家的手机号或用户名。"), "error")
        return redirect(back)
    login = form.login.data
    return run(
        lambda s: campaigns.add_assessor(s, actor=current_user, campaign=campaign, login=login),
        _("评审专家已添加。"),
        back,
    )


@bp.post("/<int:campaign_id>/assessors/<int:assessor_id>/remove")
@login_required
def remove_assessor(campaign_id: int, assessor_id: int):
    campaign = campaign_or_404(campaign_id)
    refuse_unless(policy.is_organizer(current_user, campaign))
    assessor = get_or_404(StarAssessor, assessor_id)
    if assessor.campaign_id != campaign.id:
        abort(404)
    return run(
        lambda s: campaigns.remove_assessor(s, actor=current_user, assessor=assessor),
        _("评审专家已移出。"),
        url_for(".campaign", campaign_id=campaign_id),
    )


@bp.post("/<int:campaign_id>/publish")
@login_required
def publish(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    refuse_unless(policy.is_organizer(current_user, campaign))
    return run(
        lambda s: decisions.publish(s, actor=current_user, campaign=campaign),
        _("星级评定结果已公示。"),
        url_for(".campaign", campaign_id=campaign_id),
    )


@bp.post("/<int:campaign_id>/finalize")
@login_required
def finalize(campaign_id: int):
    campaign = campaign_or_404(campaign_id)
    refuse_unless(policy.is_organizer(current_user, campaign))
    return run(
        lambda s: decisions.finalize(s, actor=current_user, campaign=campaign),
        _("星级评定结果已确定。"),
        url_for(".campaign", campaign_id=campaign_id),
    )


def _sheet_page(
    template_args: dict, form, criteria, call: Callable, done: str, back: str, prepare: Callable[[], dict] = dict
):
    """A score sheet: render it, or submit it through ``call(session, points, **prepare())`` and go
    back (``prepare`` runs before the write transaction: the check of an uploaded file)."""
    if request.method == "POST" and form.validate_on_submit():
        try:
            prepared = prepare()
            with unit_of_work() as session:
                call(session, posted_points(request.form, criteria), **prepared)
        except DomainError as err:
            if not apply_domain_error(form, err):
                template_args["errors"] = {err.field: str(err)} if err.field else {}
                flash(str(err), "error")
        else:
            flash(done, "success")
            return redirect(back)
    status = 400 if request.method == "POST" else 200
    return render_template("ratings/sheet.html", form=form, criteria=criteria, **template_args), status


@bp.route("/<int:campaign_id>/groups/<int:group_id>/recommend", methods=["GET", "POST"])
@login_required
def recommend(campaign_id: int, group_id: int):
    campaign = campaign_or_404(campaign_id)
    group = get_or_404(Group, group_id)
    if not group_policy.can_view(current_user, group):
        abort(404)
    may = policy.can_recommend(current_user, campaign, group) or policy.is_organizer(current_user, campaign)
    refuse_unless(may)
    form = RecommendForm()
    evidence = form.evidence.data
    return _sheet_page(
        {"campaign": campaign, "group": group, "stage": "self", "may_score": may},
        form,
        campaigns.criteria_of(db.session, campaign.id),
        lambda s, points, upload: sheets.recommend(
            s,
            actor=current_user,
            campaign=campaign,
            group=group,
            points=points,
            evidence=evidence or "",
            upload=upload,
            upload_dir=Path(current_app.config["UPLOAD_DIR"]),
        ),
        _("已推荐“%(name)s”参加星级评定。", name=group.name),
        url_for(".campaign", campaign_id=campaign_id),
        prepare=lambda: {"upload": checked_upload("file")},
    )


@bp.get("/nominations/<int:nomination_id>/evidence")
@login_required
def evidence_file(nomination_id: int):
    """The recommendation's evidence file, for those who see the nomination."""
    nomination = nomination_or_404(nomination_id)
    attachment = nomination.attachment
    path = file_path(Path(current_app.config["UPLOAD_DIR"]), attachment) if attachment else None
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.mime, max_age=0)
    response.headers.update(
        attachment_headers(attachment.original_name, attachment.mime, inline=attachment.mime != "application/pdf")
    )
    return response


@bp.route("/nominations/<int:nomination_id>/street", methods=["GET", "POST"])
@login_required
def street_sheet(nomination_id: int):
    nomination = nomination_or_404(nomination_id)
    may = policy.can_street_score(current_user, nomination)
    if request.method == "POST":
        refuse_unless(may)
    form = SheetForm()
    comment = form.comment.data
    return _sheet_page(
        {
            "campaign": nomination.campaign,
            "group": nomination.group,
            "nomination": nomination,
            "stage": "street",
            "may_score": may,
        },
        form,
        campaigns.criteria_of(db.session, nomination.campaign_id),
        lambda s, points: sheets.score_street(
            s, actor=current_user, nomination=nomination, points=points, comment=comment or ""
        ),
        _("街道初评评分已提交。"),
        url_for(".campaign", campaign_id=nomination.campaign_id),
    )


@bp.route("/nominations/<int:nomination_id>/assess", methods=["GET", "POST"])
@login_required
def assess(nomination_id: int):
    nomination = nomination_or_404(nomination_id)
    may = policy.can_assess(current_user, nomination, _panel(nomination.campaign))
    if request.method == "POST":
        refuse_unless(may)
    form = SheetForm()
    comment = form.comment.data
    return _sheet_page(
        {
            "campaign": nomination.campaign,
            "group": nomination.group,
            "nomination": nomination,
            "stage": "district",
            "may_score": may,
            "conflict": policy.has_conflict(current_user, nomination.group),
        },
        form,
        campaigns.criteria_of(db.session, nomination.campaign_id),
        lambda s, points: sheets.score_district(
            s, actor=current_user, nomination=nomination, points=points, comment=comment or ""
        ),
        _("区级审评评分已提交。"),
        url_for(".campaign", campaign_id=nomination.campaign_id),
    )


@bp.get("/nominations/<int:nomination_id>")
@login_required
def nomination(nomination_id: int):
    nomination = nomination_or_404(nomination_id)
    organizer = policy.is_organizer(current_user, nomination.campaign)
    return render_template(
        "ratings/nomination.html",
        nomination=nomination,
        campaign=nomination.campaign,
        **queries.nomination_detail(db.session, nomination, current_user, organizer=organizer),
        organizer=organizer,
        form=DecideForm(),
    )


@bp.post("/nominations/<int:nomination_id>/decide")
@login_required
def decide(nomination_id: int):
    nomination = nomination_or_404(nomination_id)
    refuse_unless(policy.is_organizer(current_user, nomination.campaign))
    form = DecideForm()
    back = url_for(".nomination", nomination_id=nomination_id)
    if not form.validate_on_submit():
        flash(_("请求无效，请重试。"), "error")
        return redirect(back)
    stars, note = form.stars_value(), form.note.data or ""
    return run(
        lambda s: decisions.decide(s, actor=current_user, nomination=nomination, stars=stars, note=note),
        _("星级已确定。"),
        back,
    )


@bp.post("/nominations/<int:nomination_id>/objections")
@login_required
def file_objection(nomination_id: int):
    nomination = get_or_404(StarNomination, nomination_id)
    if not policy.is_public(nomination.campaign):
        abort(404)
    form = ObjectionForm()
    back = url_for(".notice", campaign_id=nomination.campaign_id)
    if not form.validate_on_submit():
        flash(_("请写明异议的事实和理由（至少10个字）。"), "error")
        return redirect(back)
    text = form.text.data
    return run(
        lambda s: decisions.file_objection(s, actor=current_user, nomination=nomination, text=text),
        _("异议已提交，主办方会在公示页答复。"),
        back,
    )


@bp.post("/objections/<int:star_objection_id>/answer")
@login_required
def answer_objection(star_objection_id: int):
    objection = get_or_404(StarObjection, star_objection_id)
    campaign = objection.nomination.campaign
    if not policy.can_view_campaign(current_user, campaign, _panel(campaign)):
        abort(404)
    refuse_unless(policy.is_organizer(current_user, campaign))
    form = AnswerForm()
    back = url_for(".campaign", campaign_id=campaign.id)
    if not form.validate_on_submit():
        flash(_("请填写公开答复。"), "error")
        return redirect(back)
    upheld, reply, stars = form.outcome.data == "upheld", form.reply.data or "", form.stars_value()
    return run(
        lambda s: decisions.answer_objection(
            s, actor=current_user, objection=objection, upheld=upheld, reply=reply, stars=stars
        ),
        _("异议已答复。"),
        back,
    )


@bp.get("/<int:campaign_id>/notice")
def notice(campaign_id: int):
    """The public notice of the campaign's list (公示), then its final stars."""
    campaign = get_or_404(StarCampaign, campaign_id)
    if not policy.is_public(campaign):
        abort(404)
    return render_template(
        "ratings/notice.html",
        campaign=campaign,
        **queries.notice_list(db.session, campaign),
        window_open=decisions.notice_is_open(campaign),
        may_object=policy.can_object(current_user),
        form=ObjectionForm(),
    )


@bp.get("/groups/<int:group_id>")
def public_group(group_id: int):
    """A rated group's public page: facts, stars by year and confirmed figures — never a member."""
    page = queries.public_group_page(db.session, group_id)
    if page is None:
        abort(404)
    return render_template("ratings/public_group.html", **page)
