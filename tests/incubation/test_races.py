"""Concurrent requests: a grant becomes at most one group, and a name is taken once per community,
whatever the timing (UNIQUE in the database + the grant's row lock); never a 500."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import func, select

from grants.incubation.models import Group
from tests.integrity.test_races import _client_for

RACERS = 20
FORM = {"kind": "volunteer", "founded_on": "2026-05-01", "scope": "", "venue": "", "supervisor": ""}


def _fire(app, url: str, forms: list[dict], user) -> Counter:
    clients = [_client_for(app, user) for _ in forms]
    barrier = threading.Barrier(len(forms))
    answers: list[object] = [None] * len(forms)

    def racer(i: int) -> None:
        barrier.wait()
        try:
            address = {"REMOTE_ADDR": f"10.79.0.{i + 1}"}
            answers[i] = clients[i].post(url, data=forms[i], environ_base=address).status_code
        except Exception as exc:  # reported as a failed answer below
            answers[i] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(len(forms))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(status, int) for status in answers), answers
    return Counter(answers)


def test_concurrent_groups_from_one_grant_make_one_group(app, session, world, make_grant, sign_grant):
    grant = sign_grant(make_grant(world.edition_a, community=world.community_a))
    session.commit()
    forms = [{**FORM, "name": f"花友会{i}"} for i in range(RACERS)]
    statuses = _fire(app, f"/groups/from-grant/{grant.id}", forms, world.staff_a)
    assert statuses[302] == 1 and set(statuses) <= {302, 400, 409}, statuses
    session.commit()  # end the read snapshot taken before the race
    assert session.scalar(select(func.count(Group.id)).where(Group.origin_grant_id == grant.id)) == 1


def test_concurrent_groups_of_one_name_make_one_group(app, session, world):
    session.commit()
    forms = [{**FORM, "name": "樱桃合唱团", "leader_login": ""} for _ in range(RACERS)]
    statuses = _fire(app, f"/groups/communities/{world.community_a.id}/new", forms, world.staff_a)
    assert statuses[302] == 1 and set(statuses) <= {302, 400, 409}, statuses
    session.commit()  # end the read snapshot taken before the race
    assert session.scalar(select(func.count(Group.id))) == 1
