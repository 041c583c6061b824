"""Preparing, publishing, superseding and finalizing a publication (service level)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.editions import service as edition_service
from grants.errors import DomainError, InvalidTransition, NotAllowed
from grants.funding.models import Grant
from grants.results import holidays, objections, queries, service
from grants.results.models import Publication, PublicationEntry
from tests.results.conftest import after_window

SETTINGS = service.Settings(title="获奖项目公示")


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_a_draft_lists_the_winners_with_masked_names_and_only_public_fields(session, world, awarded):
    edition, final, proposals = awarded
    draft = service.prepare(session, actor=world.organizer_a, edition=edition, rnd=final, settings=SETTINGS)
    entries = queries.entries_of(session, draft)
    assert draft.status == "draft" and draft.final and draft.number == 1
    assert [e.proposal_id for e in entries] == [p.id for p in proposals[:3]]
    assert [(e.rank, e.tier) for e in entries] == [(1, "一等奖"), (2, "二等奖"), (3, "二等奖")]
    assert [e.approved_fen for e in entries] == [p.requested_fen for p in proposals[:3]]
    for entry, proposal in zip(entries, proposals, strict=False):
        full = proposal.applicant.display_name
        assert entry.applicant != full and entry.applicant[0] == full[0]
        assert entry.team_size == 1 + len(proposal.team)
        assert entry.community == proposal.community.name
    assert draft.judges == []  # not listed unless asked
    assert edition.status == "reviewing"


def test_publishing_opens_a_window_of_working_days_and_moves_the_edition(session, world, awarded):
    edition, final, _p = awarded
    holidays.set_holiday(
        session,
        actor=world.organizer_a,
        district_id=edition.district_id,
        day=date(2026, 11, 4),
        name="测试假日",
        workday=False,
    )
    draft = service.prepare(
        session,
        actor=world.organizer_a,
        edition=edition,
        rnd=final,
        settings=service.Settings(title="公示", list_judges=True),
    )
    monday_morning = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 in Beijing
    service.publish(session, actor=world.organizer_a, publication=draft, now=monday_morning)
    session.commit()
    # Tue 3, (Wed 4 is a holiday), Thu 5, Fri 6, Mon 9, Tue 10 → closes at midnight after Tue 10.
    assert draft.closes_at == datetime(2026, 11, 10, 16, 0, tzinfo=UTC)
    assert holidays.last_day(draft.closes_at) == date(2026, 11, 10)
    assert draft.status == "published" and edition.status == "publicizing"
    assert draft.judges and all(isinstance(n, str) for n in draft.judges)
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"publication.prepare", "publication.publish", "publication.window", "edition.publicize"} <= actions


def test_only_the_organizer_of_the_district_prepares_or_publishes(session, world, awarded):
    edition, final, _p = awarded
    for outsider in (world.organizer_b, world.resident, world.judge_a):
        with pytest.raises(NotAllowed):
            service.prepare(session, actor=outsider, edition=edition, rnd=final, settings=SETTINGS)
    draft = service.prepare(session, actor=world.organizer_a, edition=edition, rnd=final, settings=SETTINGS)
    with pytest.raises(NotAllowed):
        service.publish(session, actor=world.organizer_b, publication=draft)
    assert draft.status == "draft"


def test_bad_settings_are_refused_and_store_nothing(session, world, awarded):
    edition, final, _p = awarded
    for settings, fieldname in [
        (service.Settings(title=" "), "title"),
        (service.Settings(title="x", window_days="0"), "window_days"),
        (service.Settings(title="x", window_days="31"), "window_days"),
        (service.Settings(title="x", window_days="五"), "window_days"),
        (service.Settings(title="x", window_days="²"), "window_days"),
        (service.Settings(title="x", office_name="办" * 101), "office_name"),
    ]:
        with pytest.raises(DomainError) as caught:
            service.prepare(session, actor=world.organizer_a, edition=edition, rnd=final, settings=settings)
        assert caught.value.field == fieldname
        session.rollback()
    assert _count(session, Publication) == 0


def test_an_open_round_or_a_second_draft_is_refused(session, world, awarded):
    edition, final, _p = awarded
    first = edition_service.rounds_of(session, edition.id)[0]
    service.prepare(session, actor=world.organizer_a, edition=edition, rnd=final, settings=SETTINGS)
    with pytest.raises(DomainError, match="草稿"):
        service.prepare(session, actor=world.organizer_a, edition=edition, rnd=first, settings=SETTINGS)


def test_the_finalists_of_an_earlier_round_can_be_published_without_tiers(session, world, awarded):
    edition, _final, proposals = awarded
    second = edition_service.rounds_of(session, edition.id)[1]
    draft = service.prepare(session, actor=world.organizer_a, edition=edition, rnd=second, settings=SETTINGS)
    entries = queries.entries_of(session, draft)
    assert not draft.final
    assert [e.proposal_id for e in entries] == [p.id for p in proposals[:4]]  # the four that advanced
    assert all(e.tier is None and e.approved_fen is None and e.score is not None for e in entries)
    first = edition_service.rounds_of(session, edition.id)[0]
    service.discard(session, actor=world.organizer_a, publication=draft)
    eligible = service.prepare(session, actor=world.organizer_a, edition=edition, rnd=first, settings=SETTINGS)
    assert len(queries.entries_of(session, eligible)) == 6 and all(e.score is None for e in eligible.entries)


def test_a_published_list_is_frozen(session, world, published):
    publication, _proposals = published
    entry = queries.entries_of(session, publication)[0]
    for change in (
        lambda: service.change_entry(
            session, actor=world.organizer_a, publication=publication, entry_id=entry.id, remove=True
        ),
        lambda: service.update_settings(session, actor=world.organizer_a, publication=publication, settings=SETTINGS),
        lambda: service.rebuild_entries(session, actor=world.organizer_a, publication=publication),
        lambda: service.discard(session, actor=world.organizer_a, publication=publication),
    ):
        with pytest.raises(DomainError, match="不能再修改"):
            change()
    with pytest.raises(InvalidTransition):
        service.publish(session, actor=world.organizer_a, publication=publication)
    session.rollback()
    assert len(queries.entries_of(session, publication)) == 3


def test_a_correction_supersedes_the_list_and_both_stay(session, world, published):
    publication, proposals = published
    edition = publication.edition
    objection = objections.file_objection(
        session,
        actor=world.resident,
        entry=queries.entries_of(session, publication)[2],
        text="该项目与去年的项目重复。",
    )
    objections.answer(
        session, actor=world.organizer_a, objection=objection, upheld=True, reply="经核实属实，取消资助。"
    )
    correction = service.prepare(
        session, actor=world.organizer_a, edition=edition, rnd=publication.round, settings=SETTINGS
    )
    assert correction.supersedes_id == publication.id and correction.number == 2
    copied = queries.entries_of(session, correction)
    assert [e.proposal_id for e in copied] == [e.proposal_id for e in queries.entries_of(session, publication)]
    service.change_entry(session, actor=world.organizer_a, publication=correction, entry_id=copied[2].id, remove=True)
    service.change_entry(
        session, actor=world.organizer_a, publication=correction, entry_id=copied[1].id, tier="一等奖", approved="1000"
    )
    service.publish(session, actor=world.organizer_a, publication=correction)
    session.commit()
    assert publication.status == "superseded" and publication.superseded_at is not None
    assert queries.current_publication(session, edition.id).id == correction.id
    assert [p.id for p in queries.publications_of(session, edition.id, public_only=True)] == [
        correction.id,
        publication.id,
    ]
    assert len(queries.entries_of(session, publication)) == 3  # the old list is kept as it was
    now_listed = queries.entries_of(session, correction)
    assert [(e.tier, e.approved_fen) for e in now_listed] == [
        ("一等奖", proposals[0].requested_fen),
        ("一等奖", 100_000),
    ]


def test_an_entry_amount_above_the_request_is_refused(session, world, awarded):
    edition, final, proposals = awarded
    draft = service.prepare(session, actor=world.organizer_a, edition=edition, rnd=final, settings=SETTINGS)
    entry = queries.entries_of(session, draft)[0]
    for approved in ("abc", "0", str(proposals[0].requested_fen // 100 + 1)):
        with pytest.raises(DomainError, match="核定金额"):
            service.change_entry(
                session, actor=world.organizer_a, publication=draft, entry_id=entry.id, tier="一等奖", approved=approved
            )
    with pytest.raises(DomainError):
        service.change_entry(
            session, actor=world.organizer_a, publication=draft, entry_id=10**6, tier="x", approved="1"
        )


def test_finalize_refuses_while_the_window_is_open_or_an_objection_waits(session, world, published):
    publication, _proposals = published
    entry = queries.entries_of(session, publication)[0]
    with pytest.raises(DomainError, match="公示期"):
        service.finalize(session, actor=world.organizer_a, publication=publication)
    objection = objections.file_objection(session, actor=world.resident, entry=entry, text="申报人不是本社区居民。")
    session.commit()
    with pytest.raises(DomainError, match="异议没有答复"):
        service.finalize(session, actor=world.organizer_a, publication=publication, now=after_window(publication))
    session.rollback()
    assert _count(session, Grant) == 0 and publication.status == "published"
    objections.answer(
        session, actor=world.organizer_a, objection=objection, upheld=False, reply="经核实，申报人住在本社区。"
    )
    grants = service.finalize(session, actor=world.organizer_a, publication=publication, now=after_window(publication))
    session.commit()
    assert [(g.proposal_id, g.tier, g.approved_fen) for g in grants] == [
        (e.proposal_id, e.tier, e.approved_fen) for e in queries.entries_of(session, publication)
    ]
    assert publication.status == "final" and publication.edition.status == "funding"
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "grant.create")) == 3


def test_finalize_twice_creates_the_grants_once(session, world, published):
    publication, _proposals = published
    later = after_window(publication)
    first = service.finalize(session, actor=world.organizer_a, publication=publication, now=later)
    session.commit()
    again = service.finalize(session, actor=world.organizer_a, publication=publication, now=later)
    session.commit()
    assert [g.id for g in again] == [g.id for g in first] and _count(session, Grant) == 3
    with pytest.raises(NotAllowed):
        service.finalize(session, actor=world.organizer_b, publication=publication, now=later)


def test_a_finalized_list_cannot_be_corrected_and_a_superseded_one_cannot_be_finalized(session, world, published):
    publication, _proposals = published
    correction = service.prepare(
        session, actor=world.organizer_a, edition=publication.edition, rnd=publication.round, settings=SETTINGS
    )
    service.publish(session, actor=world.organizer_a, publication=correction)
    session.commit()
    with pytest.raises(DomainError, match="已被更正"):
        service.finalize(session, actor=world.organizer_a, publication=publication, now=after_window(correction))
    service.finalize(session, actor=world.organizer_a, publication=correction, now=after_window(correction))
    session.commit()
    with pytest.raises(DomainError, match="已经确定"):
        service.prepare(
            session, actor=world.organizer_a, edition=publication.edition, rnd=publication.round, settings=SETTINGS
        )


def test_finalizing_a_list_of_finalists_is_refused(session, world, awarded):
    edition, _final, _p = awarded
    second = edition_service.rounds_of(session, edition.id)[1]
    draft = service.prepare(session, actor=world.organizer_a, edition=edition, rnd=second, settings=SETTINGS)
    service.publish(session, actor=world.organizer_a, publication=draft)
    with pytest.raises(DomainError, match="终评获奖名单"):
        service.finalize(session, actor=world.organizer_a, publication=draft, now=after_window(draft))
    assert edition.status == "reviewing"  # a list of finalists does not start the notice period


def test_holidays_are_checked(session, world):
    district = world.district_a.id
    with pytest.raises(DomainError, match="周末"):
        holidays.set_holiday(
            session, actor=world.organizer_a, district_id=district, day=date(2026, 11, 28), name="", workday=False
        )
    with pytest.raises(DomainError, match="调休"):
        holidays.set_holiday(
            session, actor=world.organizer_a, district_id=district, day=date(2026, 11, 27), name="", workday=True
        )
    with pytest.raises(NotAllowed):
        holidays.set_holiday(
            session, actor=world.organizer_b, district_id=district, day=date(2026, 11, 27), name="", workday=False
        )
    day = holidays.set_holiday(
        session, actor=world.organizer_a, district_id=district, day=date(2026, 11, 27), name="假", workday=False
    )
    assert holidays.calendar_of(session, district) == ({date(2026, 11, 27)}, set())
    holidays.remove_holiday(session, actor=world.organizer_a, holiday=day)
    assert holidays.calendar_of(session, district) == (set(), set())
    assert _count(session, PublicationEntry) == 0
