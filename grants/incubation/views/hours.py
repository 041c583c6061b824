"""Volunteer hours pages: a group's members with their confirmed hours by year, a member's confirmed
activities, and their 志愿服务证明 (issued by the community's staff, downloaded by the leader too)."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants import params
from grants.db import db, get_or_404, unit_of_work
from grants.errors import DomainError
from grants.incubation import certificates, hours, policy
from grants.incubation.hourmath import format_hours
from grants.incubation.models import VolunteerCertificate
from grants.incubation.views import bp, group_or_404, member_or_404, refuse_unless
from grants.reports.responses import attachment_headers
from grants.results.masking import mask_mobile


@bp.record_once
def _report_record(state) -> None:
    # A grant's report pages (templates/funding/report*.html) list the group's record of the period.
    state.app.jinja_env.globals.update(
        {
            "grant_period_record": lambda grant, period: hours.grant_record(
                db.session, grant.id, period.since, period.until
            )
        }
    )


@bp.app_template_filter("volunteer_hours")
def _volunteer_hours(halves: int) -> str:
    return format_hours(halves or 0, _("小时"))


def _day(name: str, default: date) -> date | None:
    """A date field of the request; None when it is not a date (the service says so)."""
    value = request.values.get(name, "").strip()
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


@bp.get("/<int:group_id>/hours")
@login_required
def group_hours(group_id: int):
    group = group_or_404(group_id)
    refuse_unless(policy.can_view_hours(current_user, group))
    return render_template("incubation/hours.html", group=group, table=hours.group_hours(db.session, group))


def _member_page(group, member, *, start: date | None, end: date | None, status: int = 200):
    session = db.session
    years, totals = hours.member_hours(session, member)
    may_download = policy.can_download_certificates(current_user, group)
    return render_template(
        "incubation/member_hours.html",
        group=group,
        member=member,
        mobile=member.mobile if policy.can_see_mobiles(current_user, group) else mask_mobile(member.mobile),
        years=years,
        totals=totals,
        listing=hours.member_activities_page(session, member.id, params.page_arg()),
        issued=certificates.certificates_of(session, member.id) if may_download else [],
        may_issue=policy.can_issue_certificates(current_user, group),
        may_download=may_download,
        start=start,
        end=end,
    ), status


@bp.get("/<int:group_id>/members/<int:member_id>/hours")
@login_required
def member_hours(group_id: int, member_id: int):
    group = group_or_404(group_id)
    member = member_or_404(group, member_id)
    refuse_unless(policy.can_view_hours(current_user, group))
    start, end = certificates.default_period()
    return _member_page(group, member, start=start, end=end)


@bp.post("/<int:group_id>/members/<int:member_id>/certificates")
@login_required
def issue_certificate(group_id: int, member_id: int):
    group = group_or_404(group_id)
    member = member_or_404(group, member_id)
    refuse_unless(policy.can_issue_certificates(current_user, group))
    first, last = certificates.default_period()
    start, end = _day("start", first), _day("end", last)
    try:
        with unit_of_work() as session:
            certificate, new = certificates.issue_certificate(
                session, actor=current_user, group=group, member=member, start=start, end=end
            )
    except DomainError as err:
        flash(str(err), "error")
        return _member_page(group, member, start=start or first, end=end or last, status=400)
    if new:
        flash(_("志愿服务证明已开具，编号%(number)s。", number=certificate.number), "success")
    else:
        flash(_("这一期间的证明已经开具过（编号%(number)s），没有重复开具。", number=certificate.number), "info")
    return redirect(url_for(".member_hours", group_id=group.id, member_id=member.id) + "#certificates-heading")


@bp.get("/<int:group_id>/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_pdf(group_id: int, certificate_id: int):
    group = group_or_404(group_id)
    certificate = get_or_404(VolunteerCertificate, certificate_id)
    if certificate.group_id != group.id:
        abort(404)
    refuse_unless(policy.can_download_certificates(current_user, group))
    member = member_or_404(group, certificate.member_id)
    body = certificates.certificate_pdf(db.session, certificate, member, group, request.url_root)
    name = certificates.certificate_filename(certificate, member)
    headers = attachment_headers(name, "application/pdf", ascii_name=f"{certificate.number}.pdf")
    return Response(body, headers=headers)
