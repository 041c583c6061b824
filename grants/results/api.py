"""Open data: the published lists as JSON, with an OpenAPI description.

Read-only and anonymous (GET only, so no CSRF); open to any origin (CORS ``*``), cacheable for a
minute by shared caches, rate limited per address. Errors are JSON ``{"error", "message"}``
(grants.setup.render_error does that for every /api/ path).
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _

from grants import http_cache
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


@bp.get("/openapi.json")
def openapi():
    return _json(openapi_document())
