"""The open data API described in OpenAPI 3.1, written by hand (served at /api/v1/openapi.json).

Keep it in step with grants/results/opendata.py: tests/results/test_openapi.py runs every
operation against real data and validates each response against these schemas.
"""

from __future__ import annotations

from grants.params import MAX_PAGE
from grants.results.opendata import MAX_ID

ISO_TIME = {"type": "string", "format": "date-time", "description": "ISO 8601 with offset, Beijing time"}
NULLABLE_TIME = {**ISO_TIME, "type": ["string", "null"]}
TWO_DECIMALS = r"^-?\d+\.\d{2}$"
ID = {"type": "integer", "minimum": 1}


def _object(properties: dict, *, required: list[str] | None = None, **extra) -> dict:
    return {
        "type": "object",
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
        "properties": properties,
        **extra,
    }


EDITION = {
    "id": ID,
    "number": {"type": "integer", "minimum": 1, "description": "第几届"},
    "name": {"type": "string"},
    "theme": {"type": "string"},
    "district": {"type": "string", "description": "Name of the organizing district."},
    "results_status": {
        "type": ["string", "null"],
        "enum": ["publicizing", "final", None],
        "description": "publicizing: the current list is published (objection window running, or over and "
        "waiting to be finalized); final: the results are final. null only when no list is current.",
    },
    "current_publication_id": {**ID, "type": ["integer", "null"]},
    "links": _object({"results": {"type": "string", "description": "Path of the current list."}}),
}

PUBLICATION = {
    "id": ID,
    "number": {"type": "integer", "minimum": 1, "description": "Number within the edition."},
    "title": {"type": "string"},
    "round": {"type": "string", "description": "Name of the review round whose list this is."},
    "final": {"type": "boolean", "description": "True for the final round's award list."},
    "status": {"type": "string", "enum": ["published", "superseded", "final"]},
    "published_at": NULLABLE_TIME,
    "closes_at": {**NULLABLE_TIME, "description": "End of the objection window."},
    "objection_window_open": {"type": "boolean"},
    "superseded_at": NULLABLE_TIME,
    "finalized_at": NULLABLE_TIME,
    "supersedes_id": {**ID, "type": ["integer", "null"]},
    "superseded_by_id": {**ID, "type": ["integer", "null"]},
    "entry_count": {"type": "integer", "minimum": 0},
    "links": _object({"results": {"type": "string", "description": "Path of this publication's list."}}),
}

ENTRY = {
    "position": {"type": "integer", "minimum": 1},
    "rank": {"type": ["integer", "null"], "minimum": 1},
    "title": {"type": "string"},
    "applicant": {"type": "string", "description": "Applicant's name, masked (张*明)."},
    "community": {"type": "string"},
    "street": {"type": "string"},
    "category": {"type": "string"},
    "summary": {"type": "string"},
    "team_size": {"type": "integer", "minimum": 1},
    "score": {
        "type": ["string", "null"],
        "pattern": TWO_DECIMALS,
        "description": "Score with two decimals as a string (exact); null for an eligibility list.",
    },
    "tier": {"type": ["string", "null"]},
    "approved_fen": {"type": ["integer", "null"], "minimum": 1, "description": "Approved amount in fen (分)."},
    "approved_yuan": {
        "type": ["string", "null"],
        "pattern": r"^\d+\.\d{2}$",
        "description": "The same amount in yuan with two decimals.",
    },
}

FEN = {"type": "integer", "description": "Amount in fen (分)."}
YUAN = {"type": "string", "pattern": TWO_DECIMALS, "description": "The same amount in yuan with two decimals."}


def _money(name: str, description: str, *, minimum: int | None = 0) -> dict:
    fen = {**FEN, "description": f"{description} in fen (分)."}
    if minimum is not None:
        fen["minimum"] = minimum
    return {f"{name}_fen": fen, f"{name}_yuan": YUAN}


FUNDED_PROJECT = {
    "position": {"type": "integer", "minimum": 1, "description": "Place in the final list."},
    "title": {"type": "string"},
    "community": {"type": "string"},
    "street": {"type": "string"},
    "category": {"type": "string"},
    "summary": {"type": "string"},
    "team_size": {"type": "integer", "minimum": 1},
    "tier": {"type": "string"},
    **_money("approved", "Approved amount", minimum=1),
}

ACCOUNT = {
    **_money("approved", "Approved amount"),
    **_money("disbursed", "Paid out, less transfers the bank sent back,"),
    **_money("spent", "Accepted expenses (pending and rejected ones are not counted)"),
    **_money("returned", "Unspent money refunded"),
    **_money("held", "Disbursed − returned − spent: not yet accounted for", minimum=None),
    "spent_by_category": {
        "type": "array",
        "items": {"$ref": "#/components/schemas/CategorySpending"},
        "description": "Accepted expenses by budget category, in the edition's order (categories without "
        "accepted expenses are left out).",
    },
}

COUNT = {"type": "integer", "minimum": 0}
HOURS = {"type": "string", "pattern": r"^\d+(\.5)?$", "description": "Volunteer hours (whole or half hours)."}
MONEY_MOVED = {
    **_money("approved", "Approved amounts of the grants"),
    **_money("disbursed", "Paid out, less transfers the bank sent back,"),
    **_money("spent", "Accepted expenses (pending and rejected ones are not counted)"),
    **_money("returned", "Unspent money refunded"),
}
GROUP_KINDS = ["self_governing", "recreation", "volunteer"]

SCHEMAS = {
    "Error": _object(
        {
            "error": {"type": "string", "description": "Short title of the error (in the visitor's language)."},
            "message": {"type": "string", "description": "What went wrong, in the visitor's language."},
        }
    ),
    "Edition": _object(EDITION),
    "EditionWithPublications": _object(
        {
            **EDITION,
            "publications": {
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/components/schemas/Publication"},
                "description": "The edition's public publications, newest first.",
            },
        }
    ),
    "Publication": _object(PUBLICATION),
    "PublicationDetail": _object(
        {
            **PUBLICATION,
            "introduction": {"type": "string"},
            "office_name": {"type": "string"},
            "judges": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Judges' names when the notice lists them, else empty.",
            },
            "is_current": {"type": "boolean", "description": "True when this is the edition's current list."},
        }
    ),
    "Entry": _object(ENTRY),
    "FundedProject": _object(FUNDED_PROJECT),
    "FundedProjects": _object(
        {
            "edition": {"$ref": "#/components/schemas/Edition"},
            "projects": {"type": "array", "items": {"$ref": "#/components/schemas/FundedProject"}},
        }
    ),
    "CategorySpending": _object({"category": {"type": "string"}, **_money("spent", "Accepted expenses")}),
    "AccountFigures": _object(ACCOUNT),
    "ProjectAccount": _object(
        {
            "position": {"type": "integer", "minimum": 1, "description": "Place in the final list."},
            "title": {"type": "string"},
            "community": {"type": "string"},
            "street": {"type": "string"},
            "tier": {"type": "string"},
            **ACCOUNT,
        }
    ),
    "Accounts": _object(
        {
            "edition": {"$ref": "#/components/schemas/Edition"},
            "last_change": {
                **NULLABLE_TIME,
                "description": "Latest ledger entry or accepted expense decision; null when no money moved yet.",
            },
            "categories": {"type": "array", "items": {"type": "string"}, "description": "Budget categories spent in."},
            "totals": {"$ref": "#/components/schemas/AccountFigures"},
            "projects": {"type": "array", "items": {"$ref": "#/components/schemas/ProjectAccount"}},
        }
    ),
    "Money": _object(MONEY_MOVED),
    "EditionFigures": _object(
        {
            "id": ID,
            "number": {"type": "integer", "minimum": 1},
            "name": {"type": "string"},
            "held": {
                "type": "boolean",
                "description": "Counted among the editions held (in a year: its submissions opened that year).",
            },
            "proposals_received": COUNT,
            "projects_funded": COUNT,
            **MONEY_MOVED,
        }
    ),
    "CommunityFigures": _object(
        {
            "community": {"type": ["string", "null"], "description": "null: proposals that name no community."},
            "street": {"type": ["string", "null"]},
            "proposals_received": COUNT,
            "projects_funded": COUNT,
            **_money("approved", "Approved amounts"),
            "activities_confirmed": COUNT,
            "residents_served": COUNT,
            "volunteer_hours": HOURS,
            "groups": COUNT,
        }
    ),
    "DistrictFigures": _object(
        {
            "district": _object({"id": ID, "name": {"type": "string"}}),
            "edition_id": {**ID, "type": ["integer", "null"], "description": "The edition counted, if one."},
            "year": {"type": ["integer", "null"], "description": "The calendar year counted (Beijing), if one."},
            "summary": _object(
                {"zh": {"type": "string"}, "en": {"type": "string"}},
                description="The figures in one sentence, in the district's own words.",
            ),
            "editions_held": COUNT,
            "proposals_received": {
                **COUNT,
                "description": "Submitted, returned for correction, passed or failed round 1; never drafts or "
                "withdrawn proposals.",
            },
            "projects_funded": COUNT,
            "money": {"$ref": "#/components/schemas/Money"},
            "activities_confirmed": {**COUNT, "description": "Confirmed activities only."},
            "residents_served": {**COUNT, "description": "Σ residents served (人次) by confirmed activities."},
            "volunteer_hours": HOURS,
            "groups": _object(
                {
                    "total": COUNT,
                    "by_kind": _object({kind: COUNT for kind in GROUP_KINDS}),
                    "by_stars": _object(
                        {level: COUNT for level in ("5", "4", "3", "0")},
                        description="By current stars; 0: none (never rated, below three stars, or expired).",
                    ),
                }
            ),
            "by_edition": {"type": "array", "items": {"$ref": "#/components/schemas/EditionFigures"}},
            "by_community": {"type": "array", "items": {"$ref": "#/components/schemas/CommunityFigures"}},
            "activities_by_month": {
                "type": "array",
                "items": _object({"month": {"type": "string", "pattern": r"^\d{4}-\d{2}$"}, "activities": COUNT}),
                "description": "Confirmed activities per month (Beijing), every month from the first to the last.",
            },
        }
    ),
    "PublicGroup": _object(
        {
            "id": ID,
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": GROUP_KINDS},
            "community": {"type": "string"},
            "street": {"type": "string"},
            "district": {"type": "string"},
            "current_stars": {
                "oneOf": [
                    {"type": "null"},
                    _object(
                        {
                            "stars": {"type": "integer", "enum": [3, 4, 5]},
                            "year": {"type": "integer"},
                            "expires_on": {"type": "string", "format": "date"},
                        }
                    ),
                ],
                "description": "The newest final rating not older than three years; null when none.",
            },
            "activities_confirmed": COUNT,
            "residents_served": COUNT,
            "links": _object({"page": {"type": "string", "description": "Path of the group's public page."}}),
        }
    ),
    "PublicGroups": _object(
        {
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1},
            "total": COUNT,
            "next_page": {"type": ["integer", "null"], "minimum": 2},
            "groups": {"type": "array", "items": {"$ref": "#/components/schemas/PublicGroup"}},
        }
    ),
    "Results": _object(
        {
            "edition": {"$ref": "#/components/schemas/Edition"},
            "publication": {"$ref": "#/components/schemas/PublicationDetail"},
            "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}},
        }
    ),
}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(description: str, schema: dict) -> dict:
    return {
        "description": description,
        "headers": {
            "Access-Control-Allow-Origin": {"schema": {"type": "string", "const": "*"}},
            "Cache-Control": {"schema": {"type": "string"}},
        },
        "content": {"application/json": {"schema": schema}},
    }


RATE_LIMITED = _error("Too many requests from this address; retry after a minute.")


EDITION_ID = {
    "name": "edition_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}


def _final_operation(operation_id: str, summary: str, schema: str) -> dict:
    return {
        "get": {
            "operationId": operation_id,
            "summary": summary,
            "parameters": [EDITION_ID],
            "responses": {
                "200": _ok(summary, {"$ref": f"#/components/schemas/{schema}"}),
                "404": _error("No such edition, or its results are not final yet."),
                "429": RATE_LIMITED,
            },
        }
    }


DISTRICT_ID = {
    "name": "district_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}


def _figures_operation(operation_id: str, period: str, parameters: list[dict]) -> dict:
    return {
        "get": {
            "operationId": operation_id,
            "summary": f"A district's figures (数据总览) {period}, counted from the records: editions, proposals, "
            "funded projects, money, confirmed activities, residents served, volunteer hours, groups.",
            "parameters": [DISTRICT_ID, *parameters],
            "responses": {
                "200": _ok("The figures.", {"$ref": "#/components/schemas/DistrictFigures"}),
                "404": _error("No such district, or no such edition in it."),
                "429": RATE_LIMITED,
            },
        }
    }


def openapi_document() -> dict:
    """The OpenAPI 3.1 document of /api/v1 (paths relative to the server URL /api/v1)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "公益微创投平台 open data API",
            "version": "1.0.0",
            "description": "Published results (公示) of the micro-grant competitions: public lists only, "
            "applicants' names masked; the districts' figures and their rated resident groups (aggregates and "
            "public facts only). No authentication. Times are ISO 8601 in Beijing time; money is "
            "integer fen plus a yuan string; scores are strings with two decimals.",
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/editions": {
                "get": {
                    "operationId": "listEditions",
                    "summary": "Editions that have published results, with their public publications.",
                    "responses": {
                        "200": _ok(
                            "The editions, by district and edition number.",
                            {"type": "array", "items": {"$ref": "#/components/schemas/EditionWithPublications"}},
                        ),
                        "429": RATE_LIMITED,
                    },
                }
            },
            "/editions/{edition_id}/results": {
                "get": {
                    "operationId": "getEditionResults",
                    "summary": "The current public list of an edition, or one of its earlier public lists.",
                    "parameters": [
                        {
                            "name": "edition_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        },
                        {
                            "name": "publication",
                            "in": "query",
                            "required": False,
                            "description": "Id of a public publication of this edition (e.g. a superseded one); "
                            "the current list when absent.",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        },
                    ],
                    "responses": {
                        "200": _ok("The list with its entries.", {"$ref": "#/components/schemas/Results"}),
                        "400": _error("A query parameter is not valid (e.g. publication=abc)."),
                        "404": _error(
                            "No such edition, nothing public in it yet, or no such public publication in it."
                        ),
                        "429": RATE_LIMITED,
                    },
                }
            },
            "/editions/{edition_id}/funded-projects": _final_operation(
                "listFundedProjects",
                "The projects funded in an edition (results final), public fields and approved amounts.",
                "FundedProjects",
            ),
            "/editions/{edition_id}/accounts": _final_operation(
                "getEditionAccounts",
                "Public accounts (资金使用公开) of an edition whose results are final: per project and in total, "
                "approved, disbursed, spent by budget category, returned.",
                "Accounts",
            ),
            "/districts/{district_id}/figures": _figures_operation("getDistrictFigures", "over all time", []),
            "/districts/{district_id}/figures/editions/{edition_id}": _figures_operation(
                "getDistrictEditionFigures",
                "in one of its editions (activities and groups: those grown from its funded projects)",
                [EDITION_ID],
            ),
            "/districts/{district_id}/figures/years/{year}": _figures_operation(
                "getDistrictYearFigures",
                "in one calendar year, Beijing time (each record by its own date)",
                [
                    {
                        "name": "year",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 2000, "maximum": 2100},
                    }
                ],
            ),
            "/groups": {
                "get": {
                    "operationId": "listPublicGroups",
                    "summary": "Resident groups (三自组织) a final star-rating list named: public facts, current "
                    "stars, confirmed activities and residents served. Never a member or a phone number.",
                    "parameters": [
                        {
                            "name": "district",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        },
                        {
                            "name": "community",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                        },
                        {
                            "name": "kind",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": GROUP_KINDS},
                        },
                        {
                            "name": "page",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                        },
                    ],
                    "responses": {
                        "200": _ok("A page of groups.", {"$ref": "#/components/schemas/PublicGroups"}),
                        "400": _error("A query parameter is not valid."),
                        "429": RATE_LIMITED,
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApi",
                    "summary": "This description.",
                    "responses": {
                        "200": _ok("The OpenAPI document.", {"type": "object", "required": ["openapi", "paths"]}),
                        "429": RATE_LIMITED,
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
