"""Public result pages (no login): the editions index, an edition's published list and its
history, a project's public page, the statistics — only public lists, no private field, a
superseded list marked as such, 404s for everything not public, and a bounded query count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from grants.editions import service as edition_service
from grants.funding.models import Grant
from grants.judging import eligibility
from grants.proposals import service as proposal_service
from grants.results import objections, queries, service, statistics
from grants.results.models import Publication, PublicationEntry
from tests.judging.helpers import all_items, end_submission
from tests.results.conftest import after_window
from tests.results.public_data import listed_edition

SETTINGS = service.Settings(title="甲区第一届获奖项目公示", list_judges=True)


def _body(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def _entries(session, publication) -> list[PublicationEntry]:
    return queries.entries_of(session, publication)


def _public_urls(session, edition_id: int) -> list[str]:
    """Every public page of the edition (index, lists, projects, statistics)."""
    urls = ["/", "/results/", f"/results/{edition_id}", f"/results/{edition_id}/statistics"]
    for publication in queries.publications_of(session, edition_id, public_only=True):
        urls.append(f"/results/{edition_id}/notices/{publication.id}")
        urls += [f"/results/projects/{e.id}" for e in _entries(session, publication)]
    return urls


def _figure(body: str, name: str) -> str:
    match = re.search(rf'id="fig-{name}">([^<]+)<', body)
    assert match, name
    return match.group(1)


@pytest.fixture
def correction(session, world, published):
    """The published list corrected: a second publication supersedes the first."""
    first, proposals = published
    draft = service.prepare(
        session,
        actor=world.organizer_a,
        edition=first.edition,
        rnd=first.round,
        settings=service.Settings(title="甲区第一届获奖项目公示（更正）"),
    )
    entry = _entries(session, draft)[1]
    service.change_entry(
        session, actor=world.organizer_a, publication=draft, entry_id=entry.id, tier="一等奖", approved="1000"
    )
    service.publish(session, actor=world.organizer_a, publication=draft)
    session.commit()
    return first, draft, proposals


# --- the index and the navigation -------------------------------------------------------------


def test_index_lists_editions_with_a_public_list_only_and_says_whether_results_are_final(
    client, session, world, published
):
    publication, _proposals = published
    body = _body(client, "/results/")
    assert world.edition_a.name in body and world.edition_b.name not in body  # B has nothing public
    assert "公示中" in body and "结果已确定" not in body
    assert f'href="/results/{world.edition_a.id}"' in body
    assert f'href="/results/{world.edition_a.id}/statistics"' in body
    assert "<h1>" in body and body.count("<h1") == 1
    service.finalize(session, actor=world.organizer_a, publication=publication, now=after_window(publication))
    session.commit()
    assert "结果已确定" in _body(client, "/results/")


def test_nav_and_home_page_point_to_the_results_for_everyone(client, login_as, world):
    home = _body(client, "/")
    assert 'href="/results/">评选结果</a>' in home and "查看各届评选结果" in home
    login_as(world.resident)
    assert 'href="/results/">评选结果</a>' in _body(client, "/")
    login_as(world.organizer_a)
    assert 'href="/results/" aria-current="page">评选结果</a>' in _body(client, "/results/")


# --- drafts never show --------------------------------------------------------------------------


def test_an_edition_with_only_a_draft_is_not_public_even_for_its_organizer(client, login_as, session, world, awarded):
    edition, final, _proposals = awarded
    draft = service.prepare(
        session, actor=world.organizer_a, edition=edition, rnd=final, settings=service.Settings(title="草稿公示XYZ")
    )
    session.commit()
    entry = _entries(session, draft)[0]
    for who in (None, world.organizer_a, world.resident):
        if who is not None:
            login_as(who)
        assert "草稿公示XYZ" not in _body(client, "/results/")
        assert world.edition_a.name not in _body(client, "/results/")
        _body(client, f"/results/{edition.id}", 404)
        _body(client, f"/results/{edition.id}/notices/{draft.id}", 404)
        _body(client, f"/results/{edition.id}/statistics", 404)
        _body(client, f"/results/projects/{entry.id}", 404)


def test_a_correction_draft_never_appears_on_any_public_page(client, login_as, session, world, published):
    first, _proposals = published
    draft = service.prepare(
        session,
        actor=world.organizer_a,
        edition=first.edition,
        rnd=first.round,
        settings=service.Settings(title="尚未发布的更正草稿QQQ"),
    )
    entry = _entries(session, draft)[0]
    service.change_entry(
        session, actor=world.organizer_a, publication=draft, entry_id=entry.id, tier="草稿奖项QQQ", approved="800"
    )
    session.commit()
    urls = _public_urls(session, first.edition_id)
    assert len(urls) == 4 + 1 + 3
    for who in (None, world.organizer_a):
        if who is not None:
            login_as(who)
        for url in urls:
            body = _body(client, url)
            assert "QQQ" not in body, url
        _body(client, f"/results/{first.edition_id}/notices/{draft.id}", 404)
        for draft_entry in _entries(session, draft):
            _body(client, f"/results/projects/{draft_entry.id}", 404)


# --- the published list ---------------------------------------------------------------------------


def test_the_public_list_shows_the_notice_and_its_table(client, session, world, published):
    publication, _proposals = published
    body = _body(client, f"/results/{world.edition_a.id}")
    assert f"<title>{publication.title} · " in body
    assert body.count("<h1") == 1 and publication.title in body
    assert "异议期至" in body and "24:00" in body and "异议期进行中" in body
    for name in publication.judges:
        assert name in body
    assert "<caption>" in body and 'scope="col"' in body
    assert "<th>" not in body  # every header cell has a scope
    for entry in _entries(session, publication):
        assert f'href="/results/projects/{entry.id}">{entry.title}</a>' in body
        assert entry.applicant in body
    assert "一等奖" in body and "¥1,200.00" in body and "95.00" in body
    assert "第1号公示" in body and "当前有效" in body


def test_a_superseded_list_is_marked_and_links_to_its_replacement(client, session, world, correction):
    first, second, _proposals = correction
    edition_id = world.edition_a.id
    current = _body(client, f"/results/{edition_id}")
    assert second.title in current and "本公示已被更正" not in current
    # The history names both: the old one marked superseded, with links to it and its replacement.
    assert f'href="/results/{edition_id}/notices/{first.id}"' in current
    assert "已被更正" in current and "更正后的公示：第2号" in current

    old = _body(client, f"/results/{edition_id}/notices/{first.id}")
    banner = old.split('class="flash flash-warning superseded-banner"', 1)[1].split("</div>", 1)[0]
    assert "本公示已被第2号公示更正" in banner
    assert f'href="/results/{edition_id}/notices/{second.id}"' in banner
    assert "不再受理异议" in old and "异议期进行中" not in old  # a superseded list takes no objections

    old_entry = _entries(session, first)[1]
    project = _body(client, f"/results/projects/{old_entry.id}")
    assert "本公示已被第2号公示更正" in project
    new_entry = _entries(session, second)[1]
    assert f'href="/results/projects/{new_entry.id}"' in project  # the project in the corrected list


def test_404s_for_what_is_not_public(client, login_as, session, world, published, make):
    publication, _proposals = published
    entry = _entries(session, publication)[0]
    edition_b = world.edition_b
    for who in (None, world.organizer_b, world.organizer_a):
        if who is not None:
            login_as(who)
        _body(client, "/results/999999", 404)
        _body(client, f"/results/{edition_b.id}", 404)  # nothing public
        _body(client, f"/results/{edition_b.id}/statistics", 404)
        _body(client, f"/results/{edition_b.id}/notices/{publication.id}", 404)  # another edition's
        _body(client, f"/results/{world.edition_a.id}/notices/999999", 404)
        _body(client, "/results/projects/999999", 404)
        _body(client, f"/results/projects/{entry.id}")


# --- objections from the list -----------------------------------------------------------------------


def test_anonymous_users_are_invited_to_sign_in_to_object(client, session, world, published):
    publication, _proposals = published
    response = client.get(f"/results/{world.edition_a.id}")
    # cacheable, but only for requests without cookies: menus differ for signed-in users
    assert response.headers["Cache-Control"] == "public, max-age=60" and "Cookie" in response.headers["Vary"]
    body = response.get_data(as_text=True)
    assert f'href="/login?next=/results/{world.edition_a.id}"' in body
    entry = _entries(session, publication)[0]
    project = _body(client, f"/results/projects/{entry.id}")
    assert f'href="/login?next=/results/projects/{entry.id}"' in project and "对这个项目提出异议" not in project
    assert "登录后可在异议期内提出异议" in body and "提出异议</a>" not in body.replace(
        "登录后可在异议期内提出异议</a>", ""
    )


def test_signed_in_users_get_an_objection_link_per_row_while_the_window_is_open(
    app, client, login_as, session, world, published
):
    publication, _proposals = published
    entries = _entries(session, publication)
    login_as(world.resident)
    body = _body(client, f"/results/{world.edition_a.id}")
    with app.test_request_context():
        from flask import url_for

        links = [url_for("results.object", entry_id=e.id) for e in entries]
    for link, entry in zip(links, entries, strict=True):
        assert f'href="{link}">提出异议<span class="visually-hidden">：{entry.title}</span>' in body
    assert "登录后可在异议期内提出异议" not in body
    project = _body(client, f"/results/projects/{entries[0].id}")
    assert f'href="{links[0]}">对这个项目提出异议</a>' in project
    publication.opens_at = publication.opens_at - timedelta(days=30)
    publication.closes_at = publication.opens_at + timedelta(days=7)
    session.commit()
    body = _body(client, f"/results/{world.edition_a.id}")
    assert "异议期已结束" in body and "提出异议" not in body
    assert "提出异议" not in _body(client, f"/results/projects/{entries[0].id}")


# --- project pages and privacy ---------------------------------------------------------------------


def test_project_page_shows_public_fields_and_public_replies_only(client, make, session, world, published):
    publication, _proposals = published
    entry = _entries(session, publication)[0]
    objector = make.user("objector1", name="异议人王五")
    answered = objections.file_objection(
        session, actor=objector, entry=entry, text="这个项目的申报材料与事实不符，请核查。"
    )
    objections.answer(
        session, actor=world.organizer_a, objection=answered, upheld=False, reply="经核查，申报材料属实。"
    )
    objections.file_objection(session, actor=objector, entry=entry, text="另一条尚未答复的异议内容ABC。")
    session.commit()
    body = _body(client, f"/results/projects/{entry.id}")
    assert body.count("<h1") == 1 and f"<h1>{entry.title}</h1>" in body
    assert entry.summary in body and f"{entry.team_size}人" in body
    assert entry.community in body and entry.street in body and entry.category in body
    assert "一等奖" in body and "¥1,200.00" in body and "95.00" in body
    assert f'href="/results/{world.edition_a.id}/notices/{publication.id}"' in body
    assert "异议不成立" in body and "经核查，申报材料属实。" in body
    assert "异议人王五" not in body and "objector1" not in body
    assert "与事实不符" not in body and "ABC" not in body


def test_no_private_field_on_any_public_page(client, login_as, session, world, awarded):
    edition, final, proposals = awarded
    for i, proposal in enumerate(proposals):
        proposal.applicant.display_name = f"申报人全名{i}号"
        proposal.applicant.mobile = f"1370000{i:04d}"
    session.commit()
    publication = service.prepare(session, actor=world.organizer_a, edition=edition, rnd=final, settings=SETTINGS)
    service.publish(session, actor=world.organizer_a, publication=publication)
    session.commit()
    private = {"申报人全名", "1370000", "1390000", "楼道堆物多", "队员1", "花盆和土", "营造整洁友好"}
    urls = _public_urls(session, edition.id)
    for who in (None, world.resident):
        if who is not None:
            login_as(who)
        for url in urls:
            body = _body(client, url)
            leaked = [word for word in private if word in body]
            assert not leaked, (url, leaked)


# --- statistics -------------------------------------------------------------------------------------


@pytest.fixture
def counted(session, world, make):
    """Edition A: six proposals received in two communities and two categories (one withdrawn),
    one draft; round 1 passes three; its list is published."""
    edition = world.edition_a
    environment, culture = edition.categories[0].id, edition.categories[1].id
    a1, a2, a3 = (
        make.proposal(edition, submit=True, community_id=world.community_a.id, category_id=environment)
        for _ in range(3)
    )
    b1, b2 = (
        make.proposal(edition, submit=True, community_id=world.community_a2.id, category_id=culture) for _ in range(2)
    )
    gone = make.proposal(edition, submit=True, community_id=world.community_a2.id, category_id=environment)
    make.proposal(edition, community_id=world.community_a.id, category_id=culture)  # a draft: not received
    proposal_service.withdraw_proposal(session, actor=gone.applicant, proposal=gone)
    first = edition_service.rounds_of(session, edition.id)[0]
    eligibility.open_round(session, actor=None, rnd=first)
    for proposal, outcome in ((a1, "pass"), (a2, "pass"), (a3, "fail"), (b1, "pass"), (b2, "fail")):
        eligibility.decide(
            session,
            actor=world.organizer_a,
            rnd=first,
            proposal=proposal,
            outcome=outcome,
            reason=None if outcome == "pass" else "材料不全",
            checked=all_items(first),
        )
    end_submission(session, edition)
    eligibility.close_round(session, actor=world.organizer_a, rnd=first)
    publication = service.prepare(
        session,
        actor=world.organizer_a,
        edition=edition,
        rnd=first,
        settings=service.Settings(title="资格审查结果公示"),
    )
    service.publish(session, actor=world.organizer_a, publication=publication)
    session.commit()
    return edition, publication


def test_statistics_match_hand_counts(client, session, world, counted):
    edition, _publication = counted
    stats = statistics.edition_statistics(session, edition)
    total = stats.total
    # received 6 (a1 a2 a3 b1 b2 + the withdrawn one), withdrawn 1, passed round 1: a1 a2 b1.
    assert (total.received, total.withdrawn, total.eligible, total.listed, total.funded) == (6, 1, 3, 3, 0)
    by_community = {(r.street, r.label): (r.received, r.withdrawn, r.eligible, r.listed) for r in stats.by_community}
    assert by_community == {("甲街道", "甲一社区"): (3, 0, 2, 2), ("甲街道", "甲二社区"): (3, 1, 1, 1)}
    by_category = {r.label: (r.received, r.withdrawn, r.eligible, r.listed) for r in stats.by_category}
    assert by_category == {"环境卫生": (4, 1, 2, 2), "文化建设": (2, 0, 1, 1)}
    assert stats.awards is None

    body = _body(client, f"/results/{edition.id}/statistics")
    assert body.count("<h1") == 1 and body.count("<caption>") == 2
    assert (_figure(body, "received"), _figure(body, "eligible"), _figure(body, "listed")) == ("6", "3", "3")
    assert "撤回1份" in body and "甲街道 · 甲二社区" in body and "获奖名单尚未公示" in body


def test_statistics_show_the_proposed_total_then_the_grants(client, session, world, published):
    publication, _proposals = published
    entries = _entries(session, publication)
    proposed = sum(e.approved_fen for e in entries if e.approved_fen)
    body = _body(client, f"/results/{world.edition_a.id}/statistics")
    assert "拟资助" in body and "尚未确定" in body
    assert _figure(body, "proposed-count") == "3"
    assert _figure(body, "proposed") == f"¥{proposed // 100:,}.00"
    assert 'id="fig-funded"' not in body

    service.finalize(session, actor=world.organizer_a, publication=publication, now=after_window(publication))
    session.commit()
    granted = session.scalar(select(func.sum(Grant.approved_fen)))
    body = _body(client, f"/results/{world.edition_a.id}/statistics")
    assert _figure(body, "funded") == "3" and _figure(body, "approved") == f"¥{granted // 100:,}.00"
    assert "拟资助" not in body and "结果已确定" in body


# --- bounded queries --------------------------------------------------------------------------------


def _queries(client, query_counter, url: str) -> int:
    with query_counter() as statements:
        assert client.get(url).status_code == 200, url
    return len(statements)


def test_public_pages_issue_the_same_number_of_queries_for_5_or_500_projects(
    client, login_as, query_counter, session, world, make
):
    small = listed_edition(session, make, world.edition_b, world.community_b, 5)
    large = listed_edition(session, make, world.edition_a, world.community_a, 500)
    small_entry, large_entry = _entries(session, small)[-1], _entries(session, large)[-1]
    counts = {}
    for who in (None, world.resident):
        if who is not None:
            login_as(who)
        for page, url in (
            ("list", "/results/{e}"),
            ("notice", "/results/{e}/notices/{p}"),
            ("statistics", "/results/{e}/statistics"),
        ):
            few = _queries(client, query_counter, url.format(e=small.edition_id, p=small.id))
            many = _queries(client, query_counter, url.format(e=large.edition_id, p=large.id))
            assert few == many, (page, few, many)
            counts[page] = many
        few = _queries(client, query_counter, f"/results/projects/{small_entry.id}")
        many = _queries(client, query_counter, f"/results/projects/{large_entry.id}")
        assert few == many
        counts["project"] = many
        counts["index"] = _queries(client, query_counter, "/results/")
    assert max(counts.values()) <= 10, counts
    print("queries per public page:", counts)
    body = _body(client, f"/results/{large.edition_id}")
    assert "共500个项目" in body and "社区项目500" in body
    assert session.scalar(select(func.count()).select_from(Publication)) == 2


def test_index_shows_the_most_recently_published_edition_first(client, session, world, make):
    older = listed_edition(session, make, world.edition_a, world.community_a, 2)
    newer = listed_edition(session, make, world.edition_b, world.community_b, 2)
    older.opens_at = newer.opens_at - timedelta(days=300)
    older.closes_at = older.opens_at + timedelta(days=7)
    session.commit()
    body = _body(client, "/results/")
    assert body.index(world.edition_b.name) < body.index(world.edition_a.name)
