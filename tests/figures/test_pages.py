"""The figures pages: what they show, that each link opens exactly the rows its figure counts, the
chooser, bad input, and that their cost does not grow with the district."""

from __future__ import annotations

import re

import pytest

from grants.figures import queries
from grants.figures.scope import Scope
from grants.money import format_fen

FIGURE = re.compile(r'data-figure="([\w-]+)">(?:<a href="([^"]*)">)?([^<]*)<')


def _figures(html: str) -> dict[str, tuple[str, str | None]]:
    """{figure name: (text, link or None)} as the page shows them."""
    return {name: (value, href.replace("&amp;", "&") if href else None) for name, href, value in FIGURE.findall(html)}


def _links(html: str, pattern: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="(' + pattern + r'[^"]*)"', html)]


def test_the_organizer_reads_the_districts_figures_and_sentence(client, login_as, session, world, figures_district):
    made = figures_district
    login_as(world.organizer_a)
    html = client.get(f"/figures/districts/{made.district.id}").get_data(as_text=True)
    figures = queries.figures(session, Scope(made.district))
    shown = _figures(html)
    assert shown["editions"][0] == "3" and shown["proposals"][0] == f"{figures.proposals:,}"
    assert shown["funded"][0] == f"{figures.funded:,}" and shown["activities"][0] == f"{figures.activities:,}"
    assert shown["served"][0] == f"{figures.served:,}" and shown["approved"][0] == format_fen(
        figures.money.approved_fen
    )
    assert shown["spent"][0] == format_fen(figures.money.spent_fen)
    assert shown["returned"][0] == format_fen(figures.money.returned_fen)
    assert (
        f"甲区已先后开展了三届社区公益微创投大赛，支持{figures.funded}个居民项目开展各类服务活动"
        f"{figures.activities}场次，惠及居民群众{figures.served}人次。"
    ) in html
    for chart in ("chart-money", "chart-months", "chart-kinds", "chart-stars", "chart-communities"):
        assert f'id="{chart}"' in html and f'aria-labelledby="{chart}-title {chart}-desc"' in html
    assert "筹备中的一届" not in html  # a draft edition: not held, nothing counted


def test_the_sentence_in_english(client, login_as, session, world, figures_district):
    made = figures_district
    login_as(world.organizer_a)
    client.set_cookie("lang", "en")
    html = client.get(f"/figures/districts/{made.district.id}").get_data(as_text=True)
    figures = queries.figures(session, Scope(made.district))
    assert f"has held 3 editions of the community micro-grant competition, supporting {figures.funded}" in html


def _count_in_list(client, url: str) -> int:
    """How many rows the list at ``url`` shows (each list says it in its own words)."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    if "/groups/communities/" in url and "/activities" in url:
        return len(re.findall(r'href="/groups/activities/\d+"', html))
    if "/funding/editions/" in url:
        found = re.search(r"合计（(\d+)个项目）", html)
        return int(found.group(1)) if found else 0  # no totals row under an empty list
    if "/proposals" in url:
        return int(re.search(r"共 (\d+) 个项目", html).group(1))
    found = re.search(r"共 (\d+) 个<", html)
    return int(found.group(1)) if found else 0


def _money_in_list(client, url: str) -> dict[str, str]:
    """The totals row of a grants list: {column label: amount as shown}."""
    html = client.get(url).get_data(as_text=True)
    if "<tfoot>" not in html:
        return {}  # no totals row under an empty list
    footer = html[html.index("<tfoot>") : html.index("</tfoot>")]
    return dict(re.findall(r'data-label="([^"]+)">(-?¥[\d,.]+)<', footer))


SCOPES = [
    ("district", {}),
    ("street", {}),
    ("street", {"year": 2025}),
    ("community", {"edition": 1}),
    ("district", {"year": 2026}),
]


@pytest.fixture
def links_district(generated, chained):
    return chained("links_district", lambda: generated(proposals=18, activities=6))


@pytest.mark.parametrize(("place", "period"), SCOPES)
def test_every_link_opens_exactly_the_rows_its_figure_counts(
    client, login_as, session, world, links_district, place, period
):
    made = links_district
    args = dict(period)
    if "edition" in args:
        args["edition"] = made.editions[args["edition"]].id
    url = {
        "district": f"/figures/districts/{made.district.id}",
        "street": f"/figures/streets/{made.streets[0].id}",
        "community": f"/figures/communities/{made.communities[1].id}",
    }[place]
    login_as(world.organizer_a)
    html = client.get(url, query_string=args).get_data(as_text=True)
    shown = _figures(html)
    scope = Scope(
        made.district,
        street=made.streets[0] if place != "district" else None,
        community=made.communities[1] if place == "community" else None,
        edition=next((e for e in made.editions if e.id == args.get("edition")), None),
        year=args.get("year"),
    )
    figures = queries.figures(session, scope)
    checked = 0
    for kind, n in figures.groups_by_kind.items():
        text, link = shown[f"kind-{kind}"]
        assert text == str(n) and _count_in_list(client, link) == n, (kind, link)
        checked += n
    for level, n in figures.groups_by_stars.items():
        text, link = shown[f"stars-{level}"]
        assert text == str(n) and _count_in_list(client, link) == n, (level, link)
    for row in figures.editions:
        proposals = next(h for h in _links(html, f"/admin/editions/{row.id}/proposals"))
        grants = next(h for h in _links(html, f"/funding/editions/{row.id}/grants"))
        assert _count_in_list(client, proposals) == row.proposals, proposals
        assert _count_in_list(client, grants) == row.funded, grants
        checked += row.proposals
        # The money cells lead to the grants whose money moved in the scope's period, with that money.
        cells = re.findall(
            rf'data-label="(?:已拨付|已支出|结余退回)"><a href="(/funding/editions/{row.id}/grants[^"]*)"', html
        )
        assert len(cells) == 3, cells
        (money,) = {cell.replace("&amp;", "&") for cell in cells}
        assert ("moved=" in money) is ("year" in args) and ("year=" in money) is False, money
        totals = _money_in_list(client, money)
        zero = format_fen(0)
        assert totals.get("已拨付", zero) == format_fen(row.money.disbursed_fen), money
        assert totals.get("已认可支出", zero) == format_fen(row.money.spent_fen), money
        if "year" in args:
            assert totals.get("结余退回", zero) == format_fen(row.money.returned_fen), money
    for row in figures.communities:
        if row.community is None:
            continue
        activities = next(h for h in _links(html, f"/groups/communities/{row.id}/activities"))
        assert _count_in_list(client, activities) == row.activities, activities
        checked += row.activities
    if place == "community":
        assert shown["activities"][1].startswith(f"/groups/communities/{made.communities[1].id}/activities")
    assert checked > 0


def test_the_chooser_leads_to_the_chosen_place_and_period(client, login_as, world, figures_district):
    made = figures_district
    login_as(world.organizer_a)
    assert client.get("/figures/").headers["Location"].endswith(f"/figures/districts/{world.district_a.id}")
    edition = made.editions[1]
    response = client.get(
        "/figures/", query_string={"place": f"street-{made.streets[1].id}", "period": f"edition-{edition.id}"}
    )
    assert response.headers["Location"].endswith(f"/figures/streets/{made.streets[1].id}?edition={edition.id}")
    response = client.get(
        "/figures/", query_string={"place": f"community-{made.communities[0].id}", "period": "year-2025"}
    )
    assert response.headers["Location"].endswith(f"/figures/communities/{made.communities[0].id}?year=2025")
    html = client.get(f"/figures/streets/{made.streets[1].id}", query_string={"edition": edition.id}).get_data(
        as_text=True
    )
    assert f'<option value="edition-{edition.id}" selected>' in html
    assert f'<option value="street-{made.streets[1].id}" selected>' in html


@pytest.mark.parametrize(
    "query",
    [
        {"place": "street-abc"},
        {"place": "planet-1"},
        {"place": "street-1", "period": "year-1899"},
        {"place": "street-1", "period": "edition-x"},
        {"place": "street-99999999999"},
    ],
)
def test_a_chooser_value_it_does_not_offer_is_a_clear_400(client, login_as, world, query):
    login_as(world.organizer_a)
    response = client.get("/figures/", query_string=query)
    assert response.status_code == 400
    assert "请从列表中选择" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        {"year": "abc"},
        {"year": "1999"},
        {"year": "2101"},
        {"edition": "-1"},
        {"edition": "0"},
        {"year": "2025", "edition": "1"},
    ],
)
def test_bad_parameters_are_a_clear_400_never_a_500(client, login_as, world, query):
    login_as(world.organizer_a)
    response = client.get(f"/figures/districts/{world.district_a.id}", query_string=query)
    assert response.status_code == 400
    assert "应为" in response.get_data(as_text=True) or "只选择一个" in response.get_data(as_text=True)


def test_an_edition_of_another_district_is_not_found(client, login_as, world):
    login_as(world.organizer_a)
    response = client.get(f"/figures/districts/{world.district_a.id}", query_string={"edition": world.edition_b.id})
    assert response.status_code == 404


def test_the_menu_offers_the_figures_to_who_may_read_them(client, login_as, world):
    for user, offered in ((world.organizer_a, True), (world.street_staff_a, True), (world.staff_a, True)):
        login_as(user)
        assert ('href="/figures/"' in client.get("/").get_data(as_text=True)) is offered
    for user in (world.resident, world.judge_a, world.finance_a):
        login_as(user)
        assert 'href="/figures/"' not in client.get("/").get_data(as_text=True)
        assert client.get("/figures/").status_code == 403


def test_staff_land_on_their_own_place(client, login_as, world):
    login_as(world.street_staff_a)
    assert client.get("/figures/").headers["Location"].endswith(f"/figures/streets/{world.street_a.id}")
    login_as(world.staff_a)
    assert client.get("/figures/").headers["Location"].endswith(f"/figures/communities/{world.community_a.id}")


def test_the_year_scope_counts_by_beijing_time(client, login_as, session, world, figures_district):
    """An activity at 00:05 on 1 January in Beijing (16:05 UTC the day before) counts in the new year."""
    from datetime import UTC, datetime, timedelta

    from grants.incubation.models import Activity

    made = figures_district
    group = made.groups[0]
    at = datetime(2024, 12, 31, 16, 5, tzinfo=UTC)
    before = {y: queries.figures(session, Scope(made.district, year=y)).activities for y in (2024, 2025)}
    session.add(
        Activity(
            group_id=group.id,
            title="跨年",
            kind="service",
            starts_at=at,
            ends_at=at + timedelta(hours=1),
            place="活动室",
            served=1,
            status="confirmed",
            confirmed_by_id=world.staff_a.id,
        )
    )
    session.commit()
    after = {y: queries.figures(session, Scope(made.district, year=y)).activities for y in (2024, 2025)}
    assert after == {2024: before[2024], 2025: before[2025] + 1}


@pytest.mark.parametrize("place", ["district", "street", "community"])
def test_the_number_of_queries_does_not_grow_with_the_district(
    client, login_as, world, make, session, query_counter, place
):
    from tests.figures import district as generator

    counts = []
    for seed, sizes in (
        (3, {"proposals": 3, "extra_groups": 1, "activities": 1}),
        (4, {"proposals": 40, "extra_groups": 12, "activities": 12}),
    ):
        new = make.district(f"计数区{seed}")
        made = generator.build(session, make, new, seed=seed, **sizes)
        organizer = make.user(
            f"count_org{seed}", roles=[(__import__("grants.auth.models", fromlist=["Role"]).Role.ORGANIZER, new)]
        )
        login_as(organizer)
        url = {
            "district": f"/figures/districts/{new.id}",
            "street": f"/figures/streets/{made.streets[0].id}",
            "community": f"/figures/communities/{made.communities[0].id}",
        }[place]
        client.get(url)
        with query_counter() as statements:
            assert client.get(url).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
