"""Figures pages: the organizer's district, a street's for its staff, a community's for its staff
(each route checks its place), a chooser of place and period, and the district's public page
(aggregates only: no name of a person, no list behind the numbers)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from grants import http_cache, jobs, params
from grants.db import db, get_or_404, unit_of_work
from grants.editions.models import Edition
from grants.errors import DomainError, NotAllowed
from grants.figures import choices, display, links, policy, queries, summary
from grants.figures.annual import jobpage
from grants.figures.annual import policy as annual_policy
from grants.figures.annual import service as annual
from grants.figures.scope import Scope
from grants.org.models import Community, District, Street
from grants.results import documents

bp = Blueprint("figures", __name__, url_prefix="/figures")
public_bp = Blueprint("public_figures", __name__, url_prefix="/results")
# The same page for every anonymous visitor: no session, cacheable by shared caches (grants/http_cache.py).
public_bp.before_request(http_cache.public_page)
jobpage.register()  # the job page shows the annual reports' jobs


def _period(district: District) -> dict:
    """The edition or year the query string names (of this district). Raises: BadParameter."""
    edition_id = params.int_arg("edition", label=_("届次"))
    year = params.year_arg()
    if edition_id is not None and year is not None:
        raise params.BadParameter(_("请只选择一个届次或一个年份。"))
    if edition_id is None:
        return {"year": year}
    edition = db.session.get(Edition, edition_id)
    if edition is None or edition.district_id != district.id:
        abort(404)
    return {"edition": edition}


def _annual_offer(scope: Scope, chooser: choices.Chooser) -> dict | None:
    """The annual report's form, for a district or a street this user may report on."""
    if scope.community is not None or not annual_policy.can_make(current_user, scope.district, scope.street):
        return None
    years = [args["year"] for value, _label in chooser.periods if "year" in (args := choices.period_args(value) or {})]
    if scope.street is not None:
        action = url_for(".street_report", street_id=scope.street.id)
    else:
        action = url_for(".district_report", district_id=scope.district.id)
    return {"action": action, "years": years, "year": scope.year or (years[0] if years else None)}


def _render(scope: Scope):
    figures = queries.figures(db.session, scope)
    chooser = choices.for_user(db.session, current_user, scope)
    return render_template(
        "figures/page.html",
        figures=figures,
        summary=summary.sentence(figures),
        charts=display.build(figures),
        links=links.links_for(figures, current_user),
        chooser=chooser,
        annual=_annual_offer(scope, chooser),
        **display.helpers(),
    )


@bp.get("/")
@login_required
def index():
    """The chooser's answer (place and period) or, without one, the widest place the user may read."""
    place = request.args.get("place") or choices.default_place(current_user)
    if place is None:
        abort(403)
    target = choices.place_url(place, request.args.get("period", ""))
    if target is None:
        raise params.BadParameter(_("请从列表中选择地区和时间范围。"))
    return redirect(target)


@bp.get("/districts/<int:district_id>")
@login_required
def district(district_id: int):
    district = get_or_404(District, district_id)
    if not policy.can_view_district(current_user, district):
        abort(403)
    return _render(Scope(district, **_period(district)))


@bp.get("/streets/<int:street_id>")
@login_required
def street(street_id: int):
    street = get_or_404(Street, street_id)
    if not policy.can_view_street(current_user, street):
        abort(403)
    return _render(Scope(street.district, street=street, **_period(street.district)))


@bp.get("/communities/<int:community_id>")
@login_required
def community(community_id: int):
    community = get_or_404(Community, community_id)
    if not policy.can_view_community(current_user, community):
        abort(403)
    district = community.street.district
    return _render(Scope(district, street=community.street, community=community, **_period(district)))


def _form_year() -> int | None:
    raw = (request.form.get("year") or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else None


def _request_report(district: District, street: Street | None, back: str):
    """Queue the place's annual report for the year the form names, and show the job's page."""
    year = _form_year()
    if year is None:
        flash(_("请选择年份。"), "error")
        return redirect(back)
    try:
        with unit_of_work() as session:
            job = annual.request_report(
                session, actor=current_user, district=district, street=street, year=year, locale=str(get_locale())
            )
    except NotAllowed:
        abort(403)
    except DomainError as err:
        flash(str(err), "error")
        return redirect(back)
    try:
        jobs.queue_for(current_app).annual_report(job.id)
    except Exception:  # the queue is down (e.g. Redis): the job fails visibly, the log says why
        current_app.logger.exception("could not enqueue annual report job %s", job.id)
        with unit_of_work() as session:
            documents.fail_job(session, job=job, message=_("任务队列暂时不可用，请稍后重试。"))
    return redirect(url_for("documents.job", job_id=job.id))


@bp.post("/districts/<int:district_id>/annual-report")
@login_required
def district_report(district_id: int):
    district = get_or_404(District, district_id)
    if not annual_policy.can_make(current_user, district):
        abort(403)
    return _request_report(district, None, url_for(".district", district_id=district.id))


@bp.post("/streets/<int:street_id>/annual-report")
@login_required
def street_report(street_id: int):
    street = get_or_404(Street, street_id)
    if not annual_policy.can_make(current_user, street.district, street):
        abort(403)
    return _request_report(street.district, street, url_for(".street", street_id=street.id))


@public_bp.get("/districts/<int:district_id>/figures")
def public_district(district_id: int):
    """The district's figures for anyone: the same numbers, no links to lists, no chooser of places."""
    district = get_or_404(District, district_id)
    if "period" in request.args:  # the page's own chooser
        args = choices.period_args(request.args["period"])
        if args is None:
            raise params.BadParameter(_("请从列表中选择时间范围。"))
        return redirect(url_for(".public_district", district_id=district.id, **args))
    scope = Scope(district, **_period(district))
    figures = queries.figures(db.session, scope)
    return render_template(
        "figures/public.html",
        figures=figures,
        summary=summary.sentence(figures),
        charts=display.build(figures),
        periods=choices.periods(db.session, district),
        **display.helpers(),
    )
