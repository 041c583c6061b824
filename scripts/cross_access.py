"""Walk the demo as one account, then ask for what it found as another: no object page or form of
one account may be open to the other.

    .venv/bin/python scripts/cross_access.py [OWNER:OTHER ...] [--pages 600]

Loads the demo (`flask seed-demo`) into a temporary SQLite database; for each pair (default: two
accounts of each kind, and a resident's and a community's staff's against an anonymous visitor),
from a fresh copy of the demo:

1. OWNER follows the links of the pages it can open (at most --pages), noting the pages and the
   POST forms whose path names an object (has an id in it), e.g. /groups/5/members/16/edit;
2. OTHER does the same;
3. OTHER asks for each object page OWNER opened whose path OTHER's own walk never reached and an
   anonymous visitor cannot open (public pages are open to all), and sends each object form OWNER
   found, filled in as OWNER's page filled it.

Prints each such page that answered 200 and each form that was not refused (an answer below 400
other than a redirect to the sign-in page), and exits 1 when there was one: a page or an action of
one account that the other reached. Pairs of your own may reach things by design (a group's leader
edits the members that the community's staff see); read what it lists.
CSRF checks and the sign-in limits are off, as in scripts/fuzz_forms.py.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fuzz_forms import SKIPPED, action_of, demo_app, follow, signed_in  # scripts/fuzz_forms.py

PAIRS = (
    "staff1:staff2",
    "street1:street2",
    "judge1:judge2",
    "jm001:jm002",
    "resident1:resident2",
    "resident1:anon",
    "staff1:anon",
)


def walk(client, pages: int) -> tuple[set[str], dict[str, dict]]:
    """(URLs that answered 200, {object form's path: its fields}) of one account's walk."""
    opened, forms = set(), {}
    for url, answer, page in follow(client.get, pages):
        if answer.status_code == 200:
            opened.add(url)
        for form in page.forms if page else []:
            action = action_of(url, form)
            if form["method"] == "post" and re.search(r"\d", action) and not SKIPPED.search(action):
                forms.setdefault(action, form["fields"])
    return opened, forms


def cross(app, owner: str, other: str, pages: int) -> list[str]:
    """What ``other`` reached of ``owner``'s object pages and forms."""
    owner_pages, owner_forms = walk(signed_in(app, owner), pages)
    other_client = signed_in(app, other)
    other_paths = {urlparse(url).path for url in walk(other_client, pages)[0]}
    anonymous = app.test_client()
    reached = []
    for url in sorted(owner_pages):
        path = urlparse(url).path
        if not re.search(r"\d", path) or path in other_paths or anonymous.get(url).status_code == 200:
            continue
        if other_client.get(url).status_code == 200:
            reached.append(f"GET {url}")
    for action, fields in sorted(owner_forms.items()):
        data = {name: values or [""] for name, values in fields.items() if name != "csrf_token"}
        answer = other_client.post(action, data=data)
        to_sign_in = answer.status_code == 302 and urlparse(answer.location).path == "/login"
        if answer.status_code < 400 and not to_sign_in:
            reached.append(f"POST {action} answered {answer.status_code}")
    print(f"{owner} → {other}: {len(owner_pages)} pages, {len(owner_forms)} object forms; {len(reached)} reached")
    return reached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pairs", nargs="*", default=list(PAIRS), help="OWNER:OTHER (a login, or anon)")
    parser.add_argument("--pages", type=int, default=600, help="pages to open per account")
    args = parser.parse_args()
    os.environ["ARGON2_TIME_COST"] = "1"  # the demo's accounts sign in many times
    work = Path(tempfile.mkdtemp(prefix="cross-access-"))
    seeded = work / "seeded"
    seeded.mkdir()
    demo_app(f"sqlite:///{seeded / 'demo.db'}", seeded, seed=True)
    reached = []
    for n, pair in enumerate(args.pairs):
        owner, _, other = pair.partition(":")
        folder = work / str(n)
        shutil.copytree(seeded, folder)  # the last pair's posts changed the demo
        app = demo_app(f"sqlite:///{folder / 'demo.db'}", folder, seed=False)
        reached += [f"{owner} → {other}: {what}" for what in cross(app, owner, other, args.pages)]
    for line in reached:
        print(line)
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if reached else 0)


if __name__ == "__main__":
    main()
