"""Open data: the public publications as plain JSON-ready dicts (no Flask request here).

Only what a public notice shows leaves this module: publications whose status is in
``PUBLIC_STATUSES`` (never a draft) and the frozen ``PublicationEntry`` copies (applicant already
masked). Proposals, users and unpublished scores are never read. Every function runs a fixed
number of SQL queries, whatever the number of editions, publications or entries.

Formats: times are ISO 8601 in Beijing time with their offset (``2026-12-01T10:00:00+08:00``);
scores are strings with two decimals (``"87.50"``, exact, no binary float); money is integer fen
(``approved_fen``) plus a yuan string with two decimals (``approved_yuan``, ``"5000.00"``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defaultload

from grants import money, timeutil
from grants.editions.models import Edition, Round
from grants.errors import NotFound
from grants.params import MAX_ID
from grants.results import queries
from grants.results.models import Publication, PublicationEntry
from grants.results.states import PUBLIC_STATUSES, PublicationStatus

TWO_PLACES = Decimal("0.01")

# results_url(edition_id, publication_id or None) -> the URL of that list in this API.
ResultsUrl = Callable[[int, int | None], str]

# Publication loads its edition and round eagerly; only their names are needed here, not the
# collections and the second copy of the edition those would load by default.
_LEAN = (
    defaultload(Publication.edition).lazyload(Edition.categories),
    defaultload(Publication.round).lazyload(Round.criteria),
    defaultload(Publication.round).lazyload(Round.edition),
)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else timeutil.to_local(value).isoformat(timespec="seconds")


def _decimal(value) -> str | None:
    return None if value is None else format(Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP), "f")


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else format(money.fen_to_decimal(fen), "f")


def _results_status(current: Publication | None) -> str | None:
    if current is None:
        return None
    return "final" if current.status == PublicationStatus.FINAL.value else "publicizing"


def _edition(edition: Edition, current: Publication | None, results_url: ResultsUrl) -> dict:
    return {
        "id": edition.id,
        "number": edition.number,
        "name": edition.name,
        "theme": edition.theme,
        "district": edition.district.name,
        "results_status": _results_status(current),
        "current_publication_id": current.id if current else None,
        "links": {"results": results_url(edition.id, None)},
    }


def _publication(
    publication: Publication, *, entry_count: int, superseded_by: int | None, results_url: ResultsUrl, now: datetime
) -> dict:
    return {
        "id": publication.id,
        "number": publication.number,
        "title": publication.title,
        "round": publication.round.name,
        "final": publication.final,
        "status": publication.status,
        "published_at": _iso(publication.opens_at),
        "closes_at": _iso(publication.closes_at),
        "objection_window_open": queries.window_is_open(publication, now),
        "superseded_at": _iso(publication.superseded_at),
        "finalized_at": _iso(publication.finalized_at),
        "supersedes_id": publication.supersedes_id,
        "superseded_by_id": superseded_by,
        "entry_count": entry_count,
        "links": {"results": results_url(publication.edition_id, publication.id)},
    }


def _entry(entry: PublicationEntry) -> dict:
    return {
        "position": entry.position,
        "rank": entry.rank,
        "title": entry.title,
        "applicant": entry.applicant,
        "community": entry.community,
        "street": entry.street,
        "category": entry.category,
        "summary": entry.summary,
        "team_size": entry.team_size,
        "score": _decimal(entry.score),
        "tier": entry.tier,
        "approved_fen": entry.approved_fen,
        "approved_yuan": _yuan(entry.approved_fen),
    }


def public_editions(session: Session, *, results_url: ResultsUrl, now: datetime | None = None) -> list[dict]:
    """Every edition with at least one public publication, with its public publications (newest
    first), ordered by district and edition number. Two queries."""
    now = now or timeutil.now()
    publications = list(
        session.scalars(
            select(Publication)
            .where(Publication.status.in_(PUBLIC_STATUSES))
            .options(*_LEAN)
            .order_by(Publication.edition_id, Publication.number.desc())
        )
    )
    counts = dict(
        session.execute(
            select(PublicationEntry.publication_id, func.count(PublicationEntry.id))
            .join(Publication, Publication.id == PublicationEntry.publication_id)
            .where(Publication.status.in_(PUBLIC_STATUSES))
            .group_by(PublicationEntry.publication_id)
        ).all()
    )
    replaced = {old: new.id for old, new in queries.replacements(publications).items()}
    by_edition: dict[int, list[Publication]] = {}
    for publication in publications:
        by_edition.setdefault(publication.edition_id, []).append(publication)
    editions = []
    for group in by_edition.values():
        edition = group[0].edition
        item = _edition(edition, queries.current_of(group), results_url)
        item["publications"] = [
            _publication(
                p, entry_count=counts.get(p.id, 0), superseded_by=replaced.get(p.id), results_url=results_url, now=now
            )
            for p in group
        ]
        editions.append((edition.district_id, edition.number, edition.id, item))
    return [item for *_key, item in sorted(editions, key=lambda row: row[:3])]


def edition_results(
    session: Session,
    edition_id: int,
    *,
    results_url: ResultsUrl,
    publication_id: int | None = None,
    now: datetime | None = None,
) -> dict:
    """The edition's current public list (or its public publication ``publication_id``) with its
    entries. Two queries.

    Raises: NotFound (no such edition, nothing public yet, no such public publication in it).
    """
    now = now or timeutil.now()
    if not 1 <= edition_id <= MAX_ID:
        raise NotFound(_("没有这届大赛。"))
    publications = list(
        session.scalars(
            select(Publication)
            .where(Publication.edition_id == edition_id, Publication.status.in_(PUBLIC_STATUSES))
            .options(*_LEAN)
            .order_by(Publication.number.desc())
        )
    )
    if not publications:
        # An edition that does not exist and one with nothing public look the same on purpose.
        raise NotFound(_("没有这届大赛，或者它还没有公开的公示。"))
    current = queries.current_of(publications)
    wanted = current.id if publication_id is None and current else publication_id
    chosen = next((p for p in publications if p.id == wanted), None)
    if chosen is None:
        raise NotFound(_("这届大赛没有这份公示。"))
    entries = queries.entries_of(session, chosen)
    publication = _publication(
        chosen,
        entry_count=len(entries),
        superseded_by=getattr(queries.replacements(publications).get(chosen.id), "id", None),
        results_url=results_url,
        now=now,
    )
    publication.update(
        introduction=chosen.introduction,
        office_name=chosen.office_name,
        judges=list(chosen.judges or []),
        is_current=current is not None and chosen.id == current.id,
    )
    return {
        "edition": _edition(chosen.edition, current, results_url),
        "publication": publication,
        "entries": [_entry(e) for e in entries],
    }


# --- funded projects and public accounts (资金使用公开) ----------------------------------------


def _not_final() -> str:
    # An edition that does not exist and one whose results are not final look the same on purpose.
    return _("没有这届大赛，或者它的评选结果还没有确定。")


def _final(session: Session, edition_id: int) -> Publication:
    """The edition's final awards list. Raises: NotFound (no such edition, results not final)."""
    from grants.funding.public_accounts import final_publication

    publication = final_publication(session, edition_id) if 1 <= edition_id <= MAX_ID else None
    if publication is None:
        raise NotFound(_not_final())
    return publication


def _money(name: str, fen: int) -> dict:
    return {f"{name}_fen": fen, f"{name}_yuan": _yuan(fen)}


def funded_projects(session: Session, edition_id: int, *, results_url: ResultsUrl) -> dict:
    """The edition's funded projects as the final list published them, with the approved
    amounts. Three queries. Raises: NotFound (no such edition, results not final)."""
    from grants.funding.public_accounts import funded_projects as rows

    publication = _final(session, edition_id)
    projects = [
        {
            "position": entry.position,
            "title": entry.title,
            "community": entry.community,
            "street": entry.street,
            "category": entry.category,
            "summary": entry.summary,
            "team_size": entry.team_size,
            "tier": entry.tier or grant.tier,
            **_money("approved", grant.approved_fen),
        }
        for grant, entry in rows(session, edition_id)
    ]
    return {"edition": _edition(publication.edition, publication, results_url), "projects": projects}


def _account(figures, categories: list[str]) -> dict:
    return {
        **_money("approved", figures.approved_fen),
        **_money("disbursed", figures.disbursed_fen),
        **_money("spent", figures.spent_fen),
        **_money("returned", figures.returned_fen),
        **_money("held", figures.held_fen),
        "spent_by_category": [
            {"category": name, **_money("spent", figures.spent_by_category[name])}
            for name in categories
            if name in figures.spent_by_category
        ],
    }


def edition_accounts(session: Session, edition_id: int, *, results_url: ResultsUrl) -> dict:
    """The edition's public accounts: per funded project and in total, approved, disbursed, spent
    (accepted expenses, by budget category), returned. Raises: NotFound (results not final)."""
    from grants.funding.public_accounts import edition_accounts as accounts_of

    accounts = accounts_of(session, edition_id) if 1 <= edition_id <= MAX_ID else None
    if accounts is None:
        raise NotFound(_not_final())
    return {
        "edition": _edition(accounts.edition, accounts.publication, results_url),
        "last_change": _iso(accounts.last_change),
        "categories": list(accounts.categories),
        "totals": _account(accounts.totals, accounts.categories),
        "projects": [
            {
                "position": p.position,
                "title": p.title,
                "community": p.community,
                "street": p.street,
                "tier": p.tier,
                **_account(p, accounts.categories),
            }
            for p in accounts.projects
        ],
    }
