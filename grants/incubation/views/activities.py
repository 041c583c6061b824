"""Activity pages: the leader's page and log form (phone first), a group's and a community's
activity lists, an activity with its photos, and the staff's confirm (核实) and return."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from grants import jobs, params
from grants.db import db, unit_of_work
from grants.errors import DomainError
from grants.incubation import activities, activity_queries, policy, queries
from grants.incubation.hourmath import hours_number
from grants.incubation.models import Activity, ActivityStatus, Group
from grants.incubation.states import (
    ACTIVITY_KIND_LABELS,
    ACTIVITY_STATUS_LABELS,
    activity_kind_label,
    activity_machine,
    activity_status_label,
)
from grants.incubation.views import bp, community_or_404, group_or_404, refuse_unless
from grants.proposals.attachments import file_path, written
from grants.reports.responses import attachment_headers
from grants.timeutil import format_local, to_local, today
from grants.uploads import uploaded_all


def _activity_section(group: Group) -> dict:
    """What the group page shows of its activities: the figures (confirmed only) and the actions."""
    return {
        "figures": activity_queries.figures(db.session, group.id),
        "may_log": policy.can_log_activity(current_user, group) and group.status != "dissolved",
    }


@bp.record_once
def _activity_labels(state) -> None:
    state.app.jinja_env.globals.update(
        {
            "activity_section": _activity_section,
            "activity_status_label": activity_status_label,
            "activity_kind_label": activity_kind_label,
            "hours_text": hours_number,
            "local_time": format_local,
        }
    )


def activity_or_404(activity_id: int) -> Activity:
    """The activity with its group, if this user sees the group: others get the same 404."""
    activity = db.session.scalars(
        select(Activity).where(Activity.id == activity_id).options(joinedload(Activity.group))
    ).first()
    if activity is None or not policy.can_view_activity(current_user, activity):
        abort(404)
    return activity


def _data() -> activities.ActivityData:
    form = request.form
    members, hours = form.getlist("volunteer_member"), form.getlist("volunteer_hours")
    return activities.ActivityData(
        title=form.get("title", ""),
        kind=form.get("kind", ""),
        day=form.get("day", ""),
        starts=form.get("starts", ""),
        ends=form.get("ends", ""),
        place=form.get("place", ""),
        participants=form.get("participants", ""),
        served=form.get("served", ""),
        description=form.get("description", ""),
        volunteers=list(zip(members, hours + [""] * (len(members) - len(hours)), strict=False)),
    )


def _photos() -> list[activities.CheckedUpload]:
    """The uploaded photos, checked by content before the write transaction; the job queue
    re-encodes them once the activity is stored (``_clean_later``). Raises: DomainError."""
    return activities.check_photos(uploaded_all("photos"), clean_later=True)


def _clean_later(activity_id: int, photos: list[activities.CheckedUpload]) -> None:
    """After the commit: queue the re-encoding of the photos just stored (served only once done)."""
    if any(not photo.cleaned for photo in photos):
        jobs.enqueue_activity_photos(current_app._get_current_object(), activity_id)


def _form_page(group: Group, activity: Activity | None, status: int = 200):
    session = db.session
    return render_template(
        "incubation/activity_form.html",
        group=group,
        activity=activity,
        members=activity_queries.current_members(session, group.id),
        kinds=ACTIVITY_KIND_LABELS,
        values=request.form if request.method == "POST" else _defaults(group, activity),
        volunteers=_volunteer_rows(activity),
        photos=activities.photos_of(session, activity.id) if activity else [],
        max_photos=activities.MAX_PHOTOS,
        today=today().isoformat(),
    ), status


def _defaults(group: Group, activity: Activity | None) -> dict:
    if activity is None:
        return {"day": today().isoformat(), "place": group.venue, "kind": "service", "participants": "", "served": ""}
    start, end = to_local(activity.starts_at), to_local(activity.ends_at)
    return {
        "title": activity.title,
        "kind": activity.kind,
        "day": start.date().isoformat(),
        "starts": start.strftime("%H:%M"),
        "ends": end.strftime("%H:%M"),
        "place": activity.place,
        "participants": str(activity.participants),
        "served": str(activity.served),
        "description": activity.description,
    }


def _volunteer_rows(activity: Activity | None) -> list[tuple[str, str]]:
    if request.method == "POST":
        rows = list(
            zip(request.form.getlist("volunteer_member"), request.form.getlist("volunteer_hours"), strict=False)
        )
    elif activity is not None:
        rows = [(str(m), hours_number(h)) for m, h in activities.hours_of(db.session, activity.id).items()]
    else:
        rows = []
    return rows + [("", "")] * max(3, 6 - len(rows))


@bp.get("/mine")
@login_required
def my_groups():
    session = db.session
    led = queries.led_groups(session, current_user.id)
    return render_template(
        "incubation/mine.html",
        led=[(g, activity_queries.figures(session, g.id)) for g in led[:20]],
        recent={g.id: activity_queries.recent_activities(session, g.id, 5) for g in led[:20]},
    )


@bp.route("/<int:group_id>/activities/new", methods=["GET", "POST"])
@login_required
def log_activity(group_id: int):
    group = group_or_404(group_id)
    refuse_unless(policy.can_log_activity(current_user, group))
    if request.method == "GET":
        return _form_page(group, None)
    try:
        photos = _photos()
        checked = activities.check_activity(db.session, group, _data())  # before the write lock
        upload_dir = Path(current_app.config["UPLOAD_DIR"])
        with written(photos, upload_dir) as files, unit_of_work(activities.ISOLATION) as session:
            activity_id = activities.log_activity(
                session, actor=current_user, group=group, data=checked, photos=files, upload_dir=upload_dir
            ).id
    except DomainError as err:
        flash(str(err), "error")
        return _form_page(group, None, 400)
    _clean_later(activity_id, photos)
    flash(_("活动已记录，等待社区核实。"), "success")
    return redirect(url_for(".activity", activity_id=activity_id))


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def edit_activity(activity_id: int):
    activity = activity_or_404(activity_id)
    group = activity.group
    refuse_unless(policy.can_log_activity(current_user, group))
    if activity.status != ActivityStatus.RETURNED:
        flash(_("只有被退回的活动记录可以修改。"), "error")
        return redirect(url_for(".activity", activity_id=activity_id))
    if request.method == "GET":
        return _form_page(group, activity)
    try:
        photos = _photos()
        upload_dir = Path(current_app.config["UPLOAD_DIR"])
        with written(photos, upload_dir) as files, unit_of_work(activities.ISOLATION) as session:
            activities.update_activity(
                session,
                actor=current_user,
                activity=activity,
                data=_data(),
                photos=files,
                remove_photo_ids=[n for n in map(params.whole_number, request.form.getlist("remove_photo")) if n],
                upload_dir=upload_dir,
            )
    except DomainError as err:
        flash(str(err), "error")
        return _form_page(group, activity, 400)
    _clean_later(activity_id, photos)
    flash(_("活动记录已修改并重新提交，等待社区核实。"), "success")
    return redirect(url_for(".activity", activity_id=activity_id))


@bp.get("/<int:group_id>/activities")
@login_required
def group_activities(group_id: int):
    group = group_or_404(group_id)
    return render_template(
        "incubation/group_activities.html",
        group=group,
        listing=activity_queries.group_activities(db.session, group.id, page=params.page_arg()),
        figures=activity_queries.figures(db.session, group.id),
        may_log=policy.can_log_activity(current_user, group) and group.status != "dissolved",
    )


@bp.get("/communities/<int:community_id>/activities")
@login_required
def community_activities(community_id: int):
    community = community_or_404(community_id)
    status = request.args.get("status", "")
    status = status if status in ACTIVITY_STATUS_LABELS else ""
    year, edition_id = params.year_arg(), params.int_arg("edition")
    return render_template(
        "incubation/community_activities.html",
        community=community,
        listing=activity_queries.community_activities(
            db.session, community.id, status=status, year=year, edition_id=edition_id, page=params.page_arg()
        ),
        year=year,
        edition_id=edition_id,
        counts=activity_queries.community_status_counts(db.session, community.id),
        status=status,
        statuses=ACTIVITY_STATUS_LABELS,
        may_review=policy.can_review_community_activities(current_user, community),
    )


@bp.get("/activities/<int:activity_id>")
@login_required
def activity(activity_id: int):
    activity = activity_or_404(activity_id)
    session = db.session
    photos = activities.photos_of(session, activity.id)
    return render_template(
        "incubation/activity.html",
        activity=activity,
        group=activity.group,
        photos=photos,
        photo_states=activities.photo_states(Path(current_app.config["UPLOAD_DIR"]), photos),
        volunteers=activity_queries.volunteers_of(session, activity.id),
        options=activity_machine.options(activity, current_user),
        may_edit=policy.can_log_activity(current_user, activity.group) and activity.status == ActivityStatus.RETURNED,
    )


@bp.post("/activities/<int:activity_id>/confirm")
@login_required
def confirm_activity(activity_id: int):
    activity = activity_or_404(activity_id)
    refuse_unless(policy.can_review_activities(current_user, activity.group))
    back = _back(activity)
    try:
        with unit_of_work() as session:
            activities.confirm_activity(session, actor=current_user, activity=activity)
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("活动已核实，计入组织的活动统计。"), "success")
    return redirect(back)


@bp.post("/activities/<int:activity_id>/return")
@login_required
def return_activity(activity_id: int):
    activity = activity_or_404(activity_id)
    refuse_unless(policy.can_review_activities(current_user, activity.group))
    back = _back(activity)
    try:
        with unit_of_work() as session:
            activities.return_activity(
                session, actor=current_user, activity=activity, reason=request.form.get("reason", "")
            )
    except DomainError as err:
        flash(str(err), "error")
    else:
        flash(_("活动记录已退回，负责人可修改后重新提交。"), "success")
    return redirect(back)


def _back(activity: Activity) -> str:
    """Back to the community's list when the action came from it, else to the activity."""
    if request.form.get("next") == "community":
        return url_for(".community_activities", community_id=activity.group.community_id, status="pending")
    return url_for(".activity", activity_id=activity.id)


@bp.get("/activities/<int:activity_id>/photos/<int:photo_id>")
@login_required
def activity_photo(activity_id: int, photo_id: int):
    activity = activity_or_404(activity_id)
    photo = next((p for p in activities.photos_of(db.session, activity.id) if p.id == photo_id), None)
    if photo is None:
        abort(404)
    path = file_path(Path(current_app.config["UPLOAD_DIR"]), photo.attachment)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=photo.attachment.mime, max_age=0)
    response.headers.update(attachment_headers(photo.attachment.original_name, photo.attachment.mime, inline=True))
    return response
