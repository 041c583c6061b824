"""A crawl of everything an anonymous visitor can reach in the demo (`flask seed-demo`, issue 15):
from the home page and the open-data API's entry points, every link of every page is followed
(pages, JSON, CSV, XLSX and PDF documents alike). None of them shows a mobile number, the name of an
applicant, a team member or a group member, or a score that no public notice published; none of
them fails.

What a page shows is read as a person would: HTML without its tags, JSON as its string values, a
PDF as pdftotext reads it, an XLSX as its cells."""

from __future__ import annotations

import io
import json
import re
from collections import deque
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlencode, urljoin, urlsplit

from openpyxl import load_workbook
from sqlalchemy import select

from grants import timeutil
from grants.auth.models import User
from grants.editions.models import Edition
from grants.incubation.models import GroupMember
from grants.judging.models import RoundResult
from grants.org.models import District
from grants.proposals.models import Proposal, TeamMember
from grants.results.models import Publication, PublicationEntry
from grants.results.states import PUBLIC_STATUSES
from tests.proposals.test_pdf import _compact, _pdf_text

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
SEEDS = ("/", "/api/v1/editions", "/api/v1/groups", "/api/v1/openapi.json")
NEVER_FOLLOWED = ("/static/", "/auth/logout")
# A listing's filters combine into more addresses than pages; a handful of each path is enough.
VARIANTS_PER_PATH = 12


class _Links(HTMLParser):
    """The page's followable addresses and its visible text (scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []
        self._hidden = 0
        self._form: str | None = None  # the action of the GET form being read
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in {"script", "style"}:
            self._hidden += 1
        if tag in {"a", "link"} and values.get("href"):
            self.links.append(values["href"])
        if tag in {"img", "iframe"} and values.get("src"):
            self.links.append(values["src"])
        if tag == "form" and (values.get("method") or "get").lower() == "get":
            self._form = values.get("action") or ""
        if tag == "select" and self._form is not None:
            self._select = values.get("name")
        if tag == "option" and self._form is not None and self._select and values.get("value"):
            self.links.append(f"{self._form}?{urlencode({self._select: values['value']})}")  # a chooser's choice
        for name in ("alt", "title", "aria-label", "content", "value", "data-label"):
            if values.get(name):
                self.text.append(values[name])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        if tag == "select":
            self._select = None
        if tag in {"script", "style"} and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)


def _strings(value) -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (str(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def _read(response, tmp_path) -> tuple[str, list[str]]:
    """What the answer shows (as one text) and the addresses it offers."""
    kind = response.mimetype
    body = response.get_data()
    if kind == "text/html":
        parser = _Links()
        parser.feed(body.decode())
        raw = body.decode()
        # a mobile hidden in an attribute or a script counts too: the raw page is read as well
        return "\n".join([*parser.text, raw]), parser.links
    if kind == "application/json":
        data = json.loads(body)
        strings = _strings(data)
        links = [s for s in strings if s.startswith(("/", "http://localhost/")) and "{" not in s]
        return "\n".join(strings), links
    if kind == "application/pdf":
        return _compact(_pdf_text(body, tmp_path)), []
    if kind == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        book = load_workbook(io.BytesIO(body), read_only=True)
        cells = [str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
        return "\n".join(c for c in cells if c != "None"), []
    if kind.startswith("text/") or kind == "application/xml":
        return body.decode("utf-8-sig"), []
    if kind.startswith("image/") or kind == "application/zip":
        return "", []
    raise AssertionError(f"{response.request.path}: unexpected kind of answer {kind}")


def _local(base: str, href: str) -> str | None:
    """The address inside the site the link leads to, or None (elsewhere, an anchor, mail…)."""
    href = urldefrag(urljoin(base, href.strip())).url
    parts = urlsplit(href)
    if parts.scheme not in {"http", ""} or parts.netloc not in {"", "localhost"}:
        return None
    path = parts.path or "/"
    if path.startswith(NEVER_FOLLOWED):
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def _private(session) -> tuple[set[str], dict[int, str], dict[int, set[str]]]:
    """Names no public page may show; each proposal's title; its scores no public notice gave."""
    names = set(session.scalars(select(TeamMember.name)))
    names |= set(session.scalars(select(GroupMember.name)))
    names |= set(session.scalars(select(User.display_name).join(Proposal, Proposal.applicant_id == User.id)))
    published = {
        (proposal_id, score.quantize(Decimal("0.01")))
        for proposal_id, score in session.execute(
            select(PublicationEntry.proposal_id, PublicationEntry.score)
            .join(Publication, Publication.id == PublicationEntry.publication_id)
            .where(Publication.status.in_(PUBLIC_STATUSES), PublicationEntry.score.is_not(None))
        )
    }
    shown_anywhere = {f"{score}" for _, score in published}
    hidden: dict[int, set[str]] = {}
    for proposal_id, score in session.execute(select(RoundResult.proposal_id, RoundResult.score)):
        if score is None:
            continue
        two = score.quantize(Decimal("0.01"))
        if (proposal_id, two) in published:
            continue
        # a number some public notice gave another project is not evidence against this one
        forms = {f"{two}", f"{score}"} - shown_anywhere
        hidden.setdefault(proposal_id, set()).update(forms)
    titles = dict(session.execute(select(Proposal.id, Proposal.title)).all())
    return {n for n in names if n and len(n) >= 2}, titles, hidden


def _api_addresses(client, session) -> list[str]:
    """Every path the open-data API documents, for every district, edition and year of the demo."""
    document = client.get("/api/v1/openapi.json").get_json()
    base = document["servers"][0]["url"]
    values = {
        "district_id": [str(i) for i in session.scalars(select(District.id))],
        "edition_id": [str(i) for i in session.scalars(select(Edition.id))],
        "year": [str(year) for year in range(timeutil.today().year - 3, timeutil.today().year + 1)],
    }
    found = []
    for template in document["paths"]:
        addresses = [template]
        for name in re.findall(r"\{(\w+)\}", template):
            addresses = [a.replace(f"{{{name}}}", v) for a in addresses for v in values[name]]
        found += [base + a for a in addresses]
    return found


def test_no_public_answer_of_the_demo_shows_a_mobile_a_member_or_an_unpublished_score(
    app, client, session, demo_data, tmp_path
):
    names, titles, hidden = _private(session)
    assert len(names) > 300 and sum(len(s) for s in hidden.values()) > 50  # the demo holds a district
    seeds = [*SEEDS, *_api_addresses(client, session)]
    queue = deque(seeds)
    seen = set(seeds)
    per_path: dict[str, int] = {}
    kinds: dict[str, int] = {}
    checked_scores = 0
    while queue:
        url = queue.popleft()
        response = client.get(url)
        client.delete_cookie("session")  # a form's CSRF session is the only cookie; the visitor stays anonymous
        assert response.status_code in {200, 301, 302, 303, 308, 404}, (url, response.status_code)
        if response.status_code == 404:
            continue
        if response.status_code != 200:  # to the sign-in page, or to the address's canonical form
            text, links = "", [response.headers["Location"]]
        else:
            kinds[response.mimetype] = kinds.get(response.mimetype, 0) + 1
            text, links = _read(response, tmp_path)
        assert not MOBILE.search(text), (url, MOBILE.search(text).group())
        leaked = [name for name in names if name in text]
        assert not leaked, (url, leaked[:5])
        for proposal_id, scores in hidden.items():
            if titles[proposal_id] in text:
                for score in scores:
                    assert not re.search(rf"(?<![\d.]){re.escape(score)}(?!\d)", text), (url, proposal_id, score)
                    checked_scores += 1
        for href in links:
            target = _local(url, href)
            if target is None or target in seen:
                continue
            path = urlsplit(target).path
            if "?" in target:
                if per_path.get(path, 0) >= VARIANTS_PER_PATH:
                    continue
                per_path[path] = per_path.get(path, 0) + 1
            seen.add(target)
            queue.append(target)

    opened = sum(kinds.values())
    # every kind of public answer was reached: pages, open data, documents
    assert kinds.get("text/html", 0) > 120 and kinds.get("application/json", 0) >= 20, kinds
    assert kinds.get("application/pdf", 0) >= 4 and kinds.get("text/csv", 0) >= 2, kinds
    assert kinds.get("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", 0) >= 2, kinds
    assert opened > 150 and checked_scores > 100, (opened, checked_scores)
    listed = session.scalars(
        select(PublicationEntry.proposal_id)
        .join(Publication, Publication.id == PublicationEntry.publication_id)
        .where(Publication.status.in_(PUBLIC_STATUSES))
    )
    assert {f"/projects/{i}/journey" for i in listed} <= seen  # each listed project's journey was read
    assert any(u.startswith("/ratings/groups/") for u in seen) and any("/figures?period=" in u for u in seen)
