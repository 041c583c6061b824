"""Numbers in URLs and query strings that no database can store: ids of 2^31 and 2^63 in every
URL are a 404, page numbers and numeric filters that are not small whole numbers a 400 with a
message, ids posted in forms name nothing — never a 500, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.routing import AnyConverter, IntegerConverter

from grants.params import MAX_ID, form_ids, whole_number

PLACEHOLDER = re.compile(r"<(?:[^>]*:)?(\w+)>")


def _urls(app, value: int) -> list[str]:
    """Every GET URL with an int part, each int part set to ``value``."""
    urls = []
    for rule in app.url_map.iter_rules():
        converters = rule._converters
        if "GET" not in rule.methods or not any(isinstance(c, IntegerConverter) for c in converters.values()):
            continue

        def part(match, converters=converters):
            converter = converters[match.group(1)]
            if isinstance(converter, IntegerConverter):
                return str(value)
            if isinstance(converter, AnyConverter):
                return sorted(converter.items)[0]
            return "x"

        urls.append(PLACEHOLDER.sub(part, rule.rule))
    return urls


@pytest.mark.parametrize("value", [MAX_ID + 1, 2**63, 10**30])
def test_ids_beyond_the_database_range_are_not_found(app, client, login_as, world, value):
    urls = _urls(app, value)
    assert len(urls) > 40
    for who in (None, world.organizer_a):
        if who is not None:
            login_as(who)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 404, (url, response.status_code)


def test_the_largest_storable_id_is_an_ordinary_miss(app, client, login_as, world):
    login_as(world.organizer_a)
    for url in _urls(app, MAX_ID):
        assert client.get(url).status_code < 500, url


@pytest.mark.parametrize("page", ["1e20", "-1", "0", "99999999999999999999", "²", "1.5", "abc"])
def test_bad_page_numbers_are_refused_with_a_message(client, login_as, world, page):
    login_as(world.organizer_a)
    for url in (f"/admin/editions/{world.edition_a.id}/proposals", "/admin/audit/"):
        response = client.get(url, query_string={"page": page})
        assert response.status_code == 400, (url, page)
        assert "页码应为1到" in response.get_data(as_text=True)


def test_good_page_numbers_still_work(client, login_as, world):
    login_as(world.organizer_a)
    for url in (f"/admin/editions/{world.edition_a.id}/proposals", "/admin/audit/"):
        assert client.get(url, query_string={"page": "1"}).status_code == 200
        assert client.get(url, query_string={"page": "100000"}).status_code == 200  # past the end: an empty page
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("value", [str(MAX_ID + 1), str(2**63), "-3", "1e5"])
def test_numeric_filters_out_of_range_are_refused_with_a_message(client, login_as, world, value):
    login_as(world.organizer_a)
    response = client.get("/admin/audit/", query_string={"object_id": value})
    assert response.status_code == 400 and "对象编号" in response.get_data(as_text=True)
    response = client.get(f"/admin/editions/{world.edition_a.id}/proposals", query_string={"category": value})
    assert response.status_code == 400 and "服务领域" in response.get_data(as_text=True)


def test_huge_ids_posted_in_a_form_name_nothing(client, login_as, world):
    login_as(world.organizer_a)
    response = client.post(
        f"/review/editions/{world.edition_a.id}/conflicts",
        data={"judge_id": str(2**63), "proposal_id": str(MAX_ID + 1), "reason": "亲属关系"},
    )
    assert response.status_code == 400


def test_a_whole_number_is_ascii_digits_within_its_bound():
    assert whole_number("42") == 42 and whole_number(" 7 ") == 7 and whole_number(0) == 0
    assert whole_number(str(MAX_ID)) == MAX_ID and whole_number("100", maximum=100) == 100
    for text in ("", None, "-1", "1.5", "1e3", "²", "１２", "٣", str(MAX_ID + 1), str(10**30), "101"):
        assert whole_number(text, maximum=100 if text == "101" else MAX_ID) is None, text


@given(st.text(max_size=14))
def test_whole_number_never_raises_and_stays_within_its_bound(text):
    value = whole_number(text, maximum=10_000)
    assert value is None or (0 <= value <= 10_000 and value == int(text.strip()))


@pytest.mark.parametrize("value", [str(10**20), "²", "-1"])
def test_the_grants_list_ignores_a_community_or_street_no_database_can_hold(client, login_as, world, value):
    login_as(world.organizer_a)
    url = f"/funding/editions/{world.edition_a.id}/grants"
    for name in ("community", "street"):
        assert client.get(url, query_string={name: value}).status_code == 200, name


def test_ids_in_field_names_are_read_only_when_they_are_storable_ids(app):
    posted = {"r7": "100", "r²": "1", f"r{10**20}": "2", "r": "3", "r0": "4", "rx": "5", "score-7": "6"}
    with app.test_request_context(method="POST", data=posted):
        assert form_ids("r") == {7: "100"}
        assert form_ids("score-") == {7: "6"}
