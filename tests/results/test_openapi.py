"""The OpenAPI description of /api/v1 is true: schemathesis generates requests for every
operation (valid and invalid ones) against real published data and checks that no response is a
server error and that every response matches the documented status codes and schemas."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from grants.extensions import limiter
from grants.results.openapi import openapi_document
from tests.results.test_api import _correct, _public_edition


@pytest.fixture
def corrected(session, world, published):
    """The awards list published, then corrected: one superseded and one current publication."""
    old, _proposals = published
    return old, _correct(session, world, old)


@pytest.fixture
def api_schema(app, corrected):
    """The description as the app serves it."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


# schemathesis.pytest.from_fixture (a schema loaded lazily from a fixture) fails under pytest 9.2
# (it sets Function._nodeid, which pytest no longer has), so the generated tests take the
# description from the module and call the test's app; test_the_app_serves_this_description
# checks that the two are the same.
schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture
def listed(session, make, world):
    """Edition A (id 1, which the generated ids hit first) with a superseded, a current and a
    draft list, written directly: cheap, as each operation is a test of its own."""
    proposals = [make.proposal(world.edition_a) for _ in range(2)]
    return _public_edition(session, make, None, *proposals, edition=world.edition_a)


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_matches_its_description(case, app, listed):
    limiter.reset()  # hundreds of requests from one address: the rate limit is tested elsewhere
    case.call_and_validate(app=app)


def test_known_lists_match_their_description(api_schema, corrected, world):
    """Lists made by the service (published, then corrected), fetched explicitly and validated."""
    old, new = corrected
    operation = api_schema["/editions/{edition_id}/results"]["GET"]
    cases = [
        api_schema["/editions"]["GET"].Case(),
        operation.Case(path_parameters={"edition_id": world.edition_a.id}),
        operation.Case(path_parameters={"edition_id": world.edition_a.id}, query={"publication": old.id}),
        operation.Case(path_parameters={"edition_id": world.edition_a.id}, query={"publication": new.id}),
        operation.Case(path_parameters={"edition_id": world.edition_a.id}, query={"publication": "abc"}),
        operation.Case(path_parameters={"edition_id": world.edition_b.id}),
    ]
    statuses = [case.call_and_validate().status_code for case in cases]
    assert statuses == [200, 200, 200, 200, 400, 404]


def test_the_app_serves_this_description(client):
    assert client.get("/api/v1/openapi.json").get_json() == openapi_document()


def test_the_description_is_openapi_3_1_and_closed():
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    for name, component in document["components"]["schemas"].items():
        assert component["additionalProperties"] is False, name
        assert set(component["required"]) == set(component["properties"]), name
