"""Open data: the published lists as JSON, with an OpenAPI description.

Read-only and anonymous (GET only, so no CSRF); open to any origin (CORS ``*``), cacheable for a
minute by shared caches, rate limited per address. Errors are JSON ``{"error", "message"}``
(grants.setup.render_error does that for every /api/ path).
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _

from grants import http_cache, params
from grants.db import db
from grants.errors import NotFound
from grants.extensions import limiter
from grants.results import opendata
from grants.results.openapi import openapi_document

RATE_LIMIT = "120 per minute"

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# One budget per address for the whole API (not one per endpoint).
limiter.shared_limit(RATE_LIMIT, scope="open-data-api")(bp)
bp.before_request(http_cache.public_page)


class BadParameter(ValueError):
    """A query parameter that is not what the API accepts (its message is translated)."""


@bp.after_request
def open_data_headers(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    # grants.setup's security_headers then adds public caching with an ETag (grants/http_cache.py).
    return response


def _json(data, status: int = 200):
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return current_app.response_class(body, status=status, mimetype="application/json")


def _error(code: int, message: str):
    from grants.setup import render_error

    return render_error(code, message)


def _results_url(edition_id: int, publication_id: int | None) -> str:
    if publication_id is None:
        return url_for("api.edition_results", edition_id=edition_id)
    return url_for("api.edition_results", edition_id=edition_id, publication=publication_id)


def _id_param(name: str) -> int | None:
    """An optional positive id in the query string. Raises: BadParameter."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and 1 <= int(raw) <= opendata.MAX_ID):
        raise BadParameter(_("参数%(name)s应为正整数（一份公示的编号）。", name=name))
    return int(raw)


@bp.get("/editions")
def editions():
    return _json(opendata.public_editions(db.session, results_url=_results_url))


@bp.get(f"/editions/<int(min=1, max={opendata.MAX_ID}):edition_id>/results")
def edition_results(edition_id: int):
    try:
        publication_id = _id_param("publication")
        data = opendata.edition_results(db.session, edition_id, publication_id=publication_id, results_url=_results_url)
    except BadParameter as err:
        return _error(400, str(err))
    except NotFound as err:
        return _error(404, str(err))
    return _json(data)


def _final_data(read, edition_id: int):
    try:
        return _json(read(db.session, edition_id, results_url=_results_url))
    except NotFound as err:
        return _error(404, str(err))


@bp.get(f"/editions/<int(min=1, max={opendata.MAX_ID}):edition_id>/funded-projects")
def edition_funded_projects(edition_id: int):
    return _final_data(opendata.funded_projects, edition_id)


@bp.get(f"/editions/<int(min=1, max={opendata.MAX_ID}):edition_id>/accounts")
def edition_accounts(edition_id: int):
    return _final_data(opendata.edition_accounts, edition_id)


def _number_param(name: str, *, lowest: int, highest: int, what: str) -> int | None:
    """An optional whole number lowest … highest in the query string. Raises: BadParameter."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and lowest <= int(raw) <= highest):
        raise BadParameter(
            _(
                "参数%(name)s应为%(lowest)d到%(highest)d之间的整数（%(what)s）。",
                name=name,
                lowest=lowest,
                highest=highest,
                what=what,
            )
        )
    return int(raw)


DISTRICT = f"/districts/<int(min=1, max={opendata.MAX_ID}):district_id>/figures"


@bp.get(DISTRICT)
@bp.get(DISTRICT + f"/editions/<int(min=1, max={opendata.MAX_ID}):edition_id>")
@bp.get(DISTRICT + f"/years/<int(min={params.FIRST_YEAR}, max={params.LAST_YEAR}):year>")
def district_figures(district_id: int, edition_id: int | None = None, year: int | None = None):
    """The district's figures (数据总览): over all time, in one of its editions, or in one year."""
    from grants.editions.models import Edition
    from grants.figures import opendata as figures_data
    from grants.figures import queries
    from grants.figures.scope import Scope
    from grants.org.models import District

    district = db.session.get(District, district_id)
    edition = db.session.get(Edition, edition_id) if edition_id is not None else None
    if district is None or (edition_id is not None and (edition is None or edition.district_id != district_id)):
        return _error(404, _("没有这个区或这个届次。"))
    figures = queries.figures(db.session, Scope(district, edition=edition, year=year))
    return _json(figures_data.district_figures(figures))


@bp.get("/groups")
def groups():
    """Resident groups a final star-rating list named, with their public facts (paged)."""
    from grants.figures import opendata as figures_data
    from grants.figures.queries import KINDS

    try:
        kind = request.args.get("kind")
        if kind is not None and kind not in KINDS:
            raise BadParameter(_("参数%(name)s应为以下之一：%(values)s。", name="kind", values=", ".join(KINDS)))
        query = figures_data.GroupQuery(
            district_id=_number_param("district", lowest=1, highest=opendata.MAX_ID, what=_("区的编号")),
            community_id=_number_param("community", lowest=1, highest=opendata.MAX_ID, what=_("社区的编号")),
            kind=kind,
            page=_number_param("page", lowest=1, highest=params.MAX_PAGE, what=_("页码")) or 1,
        )
    except BadParameter as err:
        return _error(400, str(err))
    return _json(
        figures_data.public_groups(
            db.session, query, page_url=lambda group_id: url_for("ratings.public_group", group_id=group_id)
        )
    )


@bp.get("/openapi.json")
def openapi():
    return _json(openapi_document())
