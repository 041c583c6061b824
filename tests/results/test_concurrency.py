"""Finalizing and publishing run at most once even when two requests arrive together."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from grants.audit.models import AuditEntry
from grants.db import db, run_in_transaction
from grants.funding.models import Grant
from grants.results import service
from grants.results.models import Publication
from tests.results.conftest import after_window


def _twice(app, organizer_id: int, publication_id: int, action) -> list[Exception]:
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def worker():
        with app.app_context():
            try:
                from grants.auth.models import User

                actor = db.session.get(User, organizer_id)
                publication = db.session.get(Publication, publication_id)
                barrier.wait()
                # As a request would: the loser of a race runs again (SERIALIZABLE on PostgreSQL).
                run_in_transaction(lambda work: action(work, actor, publication))
            except Exception as exc:  # collected and asserted by the caller
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_two_concurrent_finalizations_create_the_grants_once(app, session, world, published):
    publication, _proposals = published
    later = after_window(publication)
    session.commit()  # end the test's read transaction (SQLite would keep its snapshot)
    errors = _twice(
        app,
        world.organizer_a.id,
        publication.id,
        lambda work, actor, target: service.finalize(work, actor=actor, publication=target, now=later),
    )
    assert errors == []
    session.commit()  # a new read transaction sees what the threads wrote
    assert session.scalar(select(func.count(Grant.id))) == 3
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "publication.finalize")) == 1


def test_two_concurrent_publications_of_a_draft_publish_it_once(app, session, world, awarded):
    edition, final, _proposals = awarded
    draft = service.prepare(
        session, actor=world.organizer_a, edition=edition, rnd=final, settings=service.Settings(title="公示")
    )
    session.commit()
    errors = _twice(
        app,
        world.organizer_a.id,
        draft.id,
        lambda work, actor, target: service.publish(work, actor=actor, publication=target),
    )
    assert len(errors) == 1 and "不能变为" in str(errors[0])  # the second one finds it published
    session.commit()  # a new read transaction sees what the threads wrote
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "publication.publish")) == 1
