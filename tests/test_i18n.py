"""Chinese is the default language and English is complete: the catalogue covers every
message in the code, and every page renders in each language without the other one's words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from grants import PROJECT_ROOT
from grants.auth.models import Role

HAN = re.compile(r"[\u3400-\u9fff]")
TAGS = re.compile(r"<[^>]+>")
# Not checked: scripts, styles, the language switch (in its own language) and recorded data
# marked translate="no" (e.g. audit values).
HIDDEN = re.compile(
    r"<(script|style)\b.*?</\1>|<([a-z]+)[^>]*\b(?:lang=\"zh-CN\"|translate=\"no\")[^>]*>.*?</\2>", re.S
)
ATTRS = re.compile(r'\b(?:placeholder|title|aria-label|alt)="([^"]*)"')
EN_PO = PROJECT_ROOT / "grants" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# Words allowed inside Chinese pages: names of formats, the language switch, the audit log's codes.
LATIN_ALLOWED = {"csv", "json", "excel", "utf", "bom", "gbk", "gb18030", "english", "id", "pdf", "xlsx", "mb", "kb"}
# Stored files, not pages (the walk's grant is not signed, so it has no scan).
SKIP_ENDPOINTS = {
    "static",
    "main.healthz",
    "funding.agreement_scan",
    "funding.expense_receipt",
    "incubation.activity_photo",
    "ratings.evidence_file",
}
# Pages that exist only for scoring rounds (the walk's default round is the eligibility round).
SCORING_ROUND_PAGES = {
    "judging.round_sheets",
    "judging.results",
    "judging.breakdown",
    "judging.judge_sheets",
    "judging.export_round",
    "judging.export_judge_sheets",
    "judging.import_sheets",
    "judging.judge_groups",
}


def _source_messages() -> dict[str, tuple[str, int]]:
    method_map = [("grants/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.do"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    found: dict[str, tuple[str, int]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map, options, keywords=keywords
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, (filename, lineno))
    return found


def test_english_catalogue_translates_every_message_in_the_code():
    catalog = read_po(EN_PO.open("rb"))
    missing = []
    for msgid, (filename, lineno) in _source_messages().items():
        message = catalog.get(msgid)
        text = message.string if message else ""
        if isinstance(text, tuple):
            text = text[0]
        if not text or (message and message.fuzzy) or HAN.search(text):
            missing.append(f"{filename}:{lineno} {msgid!r}")
            continue
        placeholders = set(re.findall(r"%\(\w+\)[sd]", msgid))
        assert placeholders == set(re.findall(r"%\(\w+\)[sd]", text)), f"placeholders differ for {msgid!r}"
    assert not missing, "untranslated (run `make messages`, then translate):\n" + "\n".join(missing)


def _visible_text(html: str) -> str:
    html = HIDDEN.sub(" ", html)
    attrs = " ".join(ATTRS.findall(html))
    return TAGS.sub(" ", html) + " " + attrs


def _route_args(world) -> dict[str, int | str]:
    rnd = world["round"]
    return {
        "edition_id": world["edition"].id,
        "round_id": rnd.id,
        "criterion_id": rnd.criteria[0].id,
        "district_id": world["district"].id,
        "street_id": world["street"].id,
        "community_id": world["community"].id,
        "grant_id": world["grant"].id,
        "proposal_id": world["proposal"].id,
        "attachment_id": world["attachment"].id,
        "assignment_id": world["assignment"].id,
        "judge_id": world["organizer"].id,
        "kind": "summary",
        "fmt": "csv",
        "publication_id": world["publication"].id,
        "entry_id": world["entry"].id,
        "objection_id": world["objection"].id,
        "holiday_id": world["holiday"].id,
        "job_id": world["job"].id,
        "change_id": world["account_change"].id,
        "report_id": world["report"].id,
        "export_job_id": world["export_job"].id,
        "group_id": world["group"].id,
        "member_id": world["member"].id,
        "activity_id": world["activity"].id,
        "campaign_id": world["star_nomination"].campaign_id,
        "nomination_id": world["star_nomination"].id,
        "certificate_id": world["certificate"].id,
        "year": 2026,
    }


def _walk(app, client, world) -> dict[str, str]:
    """GET every page with this world's ids; returns {url: visible text}."""
    args = _route_args(world)
    pages = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or "GET" not in rule.methods:
            continue
        unknown = set(rule.arguments) - set(args)
        assert not unknown, f"teach test_i18n._route_args the argument(s) {unknown} of {rule.rule}"
        values = {name: args[name] for name in rule.arguments}
        if rule.endpoint in SCORING_ROUND_PAGES:
            values["round_id"] = world["scoring_round"].id
        if rule.endpoint.startswith(("funding.", "incubation.")) and "grant_id" in values:
            values["grant_id"] = world["funding_grant"].id  # a grant of money, not of a role
        url = rule.build(values, append_unknown=False)[1]
        response = client.get(url)
        if response.status_code in (301, 302, 308):
            continue  # e.g. login page for a signed-in user
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        if response.mimetype == "text/html":
            pages[url] = _visible_text(response.get_data(as_text=True))
    # The one job page speaks of each kind of job in its own words: the annual report's too.
    url = f"/jobs/{world['annual_job'].id}"
    response = client.get(url)
    if response.status_code == 200:
        pages[url] = _visible_text(response.get_data(as_text=True))
    return pages


def _build_world(make, session, names: dict[str, str]) -> dict:
    from sqlalchemy import select

    from grants.auth import service as auth_service
    from grants.editions.models import Round

    district = make.district(names["district"])
    street = make.street(district, names["street"])
    community = make.community(street, names["community"])
    edition = make.edition(
        district, number=1, name=names["edition"], theme=names["theme"], categories=names["categories"]
    )
    organizer = make.user(names["login"], name=names["organizer"], roles=[(Role.ORGANIZER, district)])
    staff = make.user("u20002", name=names["staff"], community=community)
    grant = auth_service.grant_role(session, actor=None, user=staff, role=Role.COMMUNITY_STAFF, scope=community)
    # The organizer also judges (the sheet page is only for a judge of the edition).
    auth_service.grant_role(session, actor=None, user=organizer, role=Role.JUDGE, scope=edition)
    # …and holds the district's finance role (finance's queue is only for finance).
    auth_service.grant_role(session, actor=None, user=organizer, role=Role.FINANCE, scope=district)
    session.commit()
    rnd = session.scalars(select(Round).where(Round.edition_id == edition.id).order_by(Round.position)).first()
    proposal, attachment = _proposal(make, session, edition, organizer, community, names)
    from grants.judging.models import Assignment, RoundResult

    scoring_round = session.scalars(select(Round).where(Round.edition_id == edition.id, Round.position == 2)).one()
    assignment = Assignment(round_id=scoring_round.id, judge_id=organizer.id, proposal_id=proposal.id)
    session.add(assignment)
    # A closed scoring round with a stored result, so that the result pages have something to show.
    scoring_round.status = "closed"
    session.add(
        RoundResult(
            round_id=scoring_round.id,
            proposal_id=proposal.id,
            score=80,
            round_score=80,
            raw_score=80,
            judges=1,
            stdev=0,
            spread=0,
            rank=1,
            advanced=True,
        )
    )
    session.commit()
    publication, entry, objection, holiday = _publication(
        session, edition, scoring_round, proposal, organizer, names, attachment
    )
    job = _finished_job(session, edition, publication, organizer)
    from grants.funding.models import Grant

    funding_grant = Grant(
        edition_id=edition.id,
        proposal_id=proposal.id,
        publication_id=publication.id,
        tier=names["categories"][0],
        approved_fen=380_000,
    )
    session.add(funding_grant)
    session.flush()
    from grants.funding.models import AccountChange

    # Its page is walked like any other (a request on an unsigned grant: data for the walk only).
    account_change = AccountChange(
        grant_id=funding_grant.id,
        receiving_unit=names["community"],
        account_name=names["community"],
        account_bank=names["community"],
        account_no="622848001234",
        reason=names["theme"],
        requested_by_id=organizer.id,
    )
    session.add(account_change)
    from grants.funding.models import GrantReport, GrantReportPhoto

    report = GrantReport(
        grant_id=funding_grant.id,
        kind="midterm",
        summary=names["theme"],
        beneficiaries=12,
        activities_count=2,
        submitted_by_id=organizer.id,
    )
    session.add(report)
    session.flush()
    session.add(GrantReportPhoto(report_id=report.id, attachment_id=attachment.id))
    from datetime import date, timedelta

    from grants.incubation.models import Group, GroupMember

    # Grown from the grant, so that its report pages list the group's record of the period.
    group = Group(
        community_id=community.id,
        name=names["text"],
        kind="volunteer",
        leader_id=organizer.id,
        origin_grant_id=funding_grant.id,  # the group's page shows its history from the grant
    )
    session.add(group)
    session.flush()
    member = GroupMember(group_id=group.id, name=names["staff"], mobile="13912345678", joined_on=date(2026, 6, 1))
    session.add(member)
    session.flush()
    from grants.incubation.models import Activity, VolunteerHours
    from grants.timeutil import now

    # A pending activity of the group with one volunteer: its page offers the organizer 核实/退回.
    activity = Activity(
        group_id=group.id,
        title=names["text"],
        kind="service",
        starts_at=now() - timedelta(days=1),
        ends_at=now() - timedelta(days=1) + timedelta(hours=2),
        place=names["community"],
        description=names["theme"],
        participants=5,
        served=9,
        logged_by_id=organizer.id,
    )
    session.add(activity)
    session.flush()
    session.add(VolunteerHours(activity_id=activity.id, member_id=member.id, halves=3))
    certificate = _volunteer_record(session, group, member, organizer, names)
    proposal.group_id = group.id  # the proposal page and the judge's sheet show the group's record
    _confirmed_activity(session, group, member, organizer, names)
    session.commit()
    star_nomination = _star_campaign(session, district, group, organizer, names)
    return {
        "activity": activity,
        "star_nomination": star_nomination,
        "certificate": certificate,
        "group": group,
        "member": member,
        "report": report,
        "funding_grant": funding_grant,
        "account_change": account_change,
        "job": job,
        "export_job": _finished_export_job(session, edition, organizer),
        "annual_job": _finished_annual_job(session, district, organizer),
        "publication": publication,
        "entry": entry,
        "objection": objection,
        "holiday": holiday,
        "district": district,
        "street": street,
        "community": community,
        "edition": edition,
        "organizer": organizer,
        "grant": grant,
        "round": rnd,
        "proposal": proposal,
        "attachment": attachment,
        "assignment": assignment,
        "scoring_round": scoring_round,
    }


def _confirmed_activity(session, group, member, confirmer, names):
    """A confirmed activity with volunteer hours, so the group's figures by year have a row."""
    from datetime import UTC, datetime

    from grants.incubation.models import Activity, VolunteerHours

    activity = Activity(
        group_id=group.id,
        title=names["text"],
        kind="service",
        starts_at=datetime(2026, 7, 1, 1, tzinfo=UTC),
        ends_at=datetime(2026, 7, 1, 3, tzinfo=UTC),
        place=names["community"],
        participants=8,
        served=30,
        status="confirmed",
        confirmed_by_id=confirmer.id,
        confirmed_at=datetime(2026, 7, 2, tzinfo=UTC),
    )
    session.add(activity)
    session.flush()
    session.add(VolunteerHours(activity_id=activity.id, member_id=member.id, halves=3))


ENGLISH_NAMES = {
    "district": "North District",
    "street": "River Street",
    "community": "Osmanthus Community",
    "edition": "Third Micro-Grant Competition",
    "theme": "Good projects by residents",
    "categories": ["Environment", "Culture"],
    "login": "u20001",
    "organizer": "Ms Wang",
    "staff": "Mr Wu",
    "text": "Stairwell garden",
}
CHINESE_NAMES = {
    "district": "东湖区",
    "street": "东湖街道",
    "community": "桂花社区",
    "edition": "第三届公益微创投大赛",
    "theme": "文明社区居民好项目",
    "categories": ["环境卫生", "文化建设"],
    "login": "u20001",
    "organizer": "王主任",
    "staff": "吴社工",
    "text": "楼道微花园",
}


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "organizer"])
def test_every_page_in_english_has_no_chinese_text(app, client, make, session, login_as, signed_in):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        world = _build_world(make, session, ENGLISH_NAMES)  # default rounds get English names
    client.set_cookie("lang", "en")
    if signed_in:
        login_as(world["organizer"])
        client.set_cookie("lang", "en")
    pages = _walk(app, client, world)
    assert pages
    leftovers = {url: sorted(set(HAN.findall(text)))[:20] for url, text in pages.items() if HAN.search(text)}
    assert not leftovers, f"Chinese characters on English pages: {leftovers}"


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "organizer"])
def test_every_page_in_chinese_has_no_english_leftovers(app, client, make, session, login_as, signed_in):
    world = _build_world(make, session, CHINESE_NAMES)
    if signed_in:
        login_as(world["organizer"])
    pages = _walk(app, client, world)
    data_words = {"u20001", "u20002", "system"}
    leftovers = {}
    for url, text in pages.items():
        words = {
            w
            for w in re.findall(r"[A-Za-z][A-Za-z_.]{2,}", text)
            if w.lower() not in LATIN_ALLOWED and w not in data_words and "." not in w
        }
        if words:
            leftovers[url] = sorted(words)[:20]
    assert not leftovers, f"English words on Chinese pages: {leftovers}"


def test_translations_folder_uses_the_names_flask_babel_looks_for():
    folders = {p.name for p in (Path(PROJECT_ROOT) / "grants" / "translations").iterdir() if p.is_dir()}
    assert "en" in folders


def _volunteer_record(session, group, member, organizer, names):
    """A confirmed activity with the member's hours, and their issued certificate."""
    from datetime import UTC, date, datetime, timedelta

    from grants.incubation.models import Activity, VolunteerCertificate, VolunteerHours

    starts = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
    activity = Activity(
        group_id=group.id,
        title=names["text"],
        kind="service",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place=names["community"],
        participants=5,
        served=20,
        status="confirmed",
        confirmed_by_id=organizer.id,
        confirmed_at=starts,
    )
    session.add(activity)
    session.flush()
    session.add(VolunteerHours(activity_id=activity.id, member_id=member.id, halves=3))
    certificate = VolunteerCertificate(
        number="ZY-2026-001-000001",
        member_id=member.id,
        group_id=group.id,
        community_id=group.community_id,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 11, 30),
        halves=3,
        activities=1,
        issued_by_id=organizer.id,
    )
    session.add(certificate)
    session.flush()
    return certificate


def _proposal(make, session, edition, applicant, community, names):
    """A submitted proposal with an attachment, its text in the walk's language."""
    import io
    from pathlib import Path

    from flask import current_app
    from PIL import Image

    from grants.editions.states import edition_machine
    from grants.proposals import attachments, budget
    from grants.proposals import service as ps

    edition_machine.transition(session, edition, "open", actor=None)
    proposal = ps.start_proposal(session, actor=applicant, edition=edition)
    data = make.proposal_data(edition, community_id=community.id)
    text = names["text"]
    for field in (
        "title",
        "summary",
        "need_analysis",
        "overall_objective",
        "specific_objectives",
        "beneficiaries",
        "risks",
        "sustainability",
        "prior_experience",
    ):
        setattr(data, field, text)
    for member in data.team:
        member.name, member.role = text, text
    for item in data.activities:
        item.when, item.activity, item.place = text, text, text
    data.budget_lines = [
        budget.Line(i, line.category_id, text, line.unit_price_fen, line.quantity)
        for i, line in enumerate(data.budget_lines, start=1)
    ]
    ps.save_draft(session, actor=applicant, proposal=proposal, data=data)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    attachment = attachments.add_attachment(
        session,
        actor=applicant,
        proposal=proposal,
        upload=attachments.Upload("site.png", buffer.getvalue(), 10**7),
        upload_dir=Path(current_app.config["UPLOAD_DIR"]),
        max_count=10,
    )
    ps.submit_proposal(session, actor=applicant, proposal=proposal)
    session.commit()
    return proposal, attachment


def _publication(session, edition, rnd, proposal, organizer, names, attachment):
    """A final notice listing the proposal (with an answered objection) and a marked holiday."""
    from datetime import date, timedelta

    from grants.db import utcnow
    from grants.results.models import Holiday, Objection, Publication, PublicationEntry

    opened = utcnow() - timedelta(days=30)
    publication = Publication(
        edition_id=edition.id,
        round_id=rnd.id,
        number=1,
        final=True,
        status="final",
        title=names["edition"],
        introduction=names["text"],
        office_name=names["district"],
        judges=[names["organizer"]],
        opens_at=opened,
        closes_at=opened + timedelta(days=7),
        finalized_at=opened + timedelta(days=8),
    )
    entry = PublicationEntry(
        proposal_id=proposal.id,
        position=1,
        rank=1,
        title=names["text"],
        applicant=names["organizer"][0] + "*",
        community=names["community"],
        street=names["street"],
        category=names["categories"][0],
        summary=names["text"],
        team_size=3,
        score=80,
        tier=names["categories"][1],
        approved_fen=100_000,
    )
    publication.entries = [entry]
    session.add(publication)
    session.flush()
    objection = Objection(
        publication_id=publication.id,
        entry_id=entry.id,
        author_id=organizer.id,
        text=names["text"],
        attachment_id=attachment.id,
        status="dismissed",
        reply=names["text"],
        answered_at=opened + timedelta(days=2),
    )
    holiday = Holiday(district_id=edition.district_id, day=date(2026, 10, 1), name=names["text"])
    session.add_all([objection, holiday])
    session.commit()
    return publication, entry, objection, holiday


def _finished_job(session, edition, publication, organizer):
    """A finished batch of certificates with its zip on disk."""
    import zipfile

    from grants import jobs
    from grants.reports.models import DocumentJob

    folder = jobs.documents_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / "walk-job.zip", "w") as archive:
        archive.writestr("01.pdf", b"%PDF-1.4 test")
    job = DocumentJob(
        kind="certificates",
        edition_id=edition.id,
        publication_id=publication.id,
        requested_by_id=organizer.id,
        status="done",
        done=1,
        total=1,
        stored_name="walk-job.zip",
        filename="certificates.zip",
    )
    session.add(job)
    session.commit()
    return job


def _finished_export_job(session, edition, organizer):
    """A finished funding export (支出明细表 as CSV) with its file on disk."""
    from grants import jobs
    from grants.reports.models import DocumentJob

    folder = jobs.documents_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "walk-export.csv").write_bytes("\ufeff支出日期\r\n".encode())
    job = DocumentJob(
        kind="funding:expenses.csv",
        edition_id=edition.id,
        requested_by_id=organizer.id,
        status="done",
        done=0,
        total=0,
        stored_name="walk-export.csv",
        filename="expenses.csv",
    )
    session.add(job)
    session.commit()
    return job


def _finished_annual_job(session, district, organizer):
    """A finished annual statistics report of the district (its PDF and XLSX on disk)."""
    from grants import jobs
    from grants.reports.models import DocumentJob

    folder = jobs.documents_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "walk-annual.pdf").write_bytes(b"%PDF-1.4 test")
    (folder / "walk-annual.xlsx").write_bytes(b"PK")
    job = DocumentJob(
        kind="annual_report",
        district_id=district.id,
        year=2026,
        requested_by_id=organizer.id,
        status="done",
        done=4,
        total=4,
        stored_name="walk-annual",
        filename="annual",
    )
    session.add(job)
    session.commit()
    return job


def _star_campaign(session, district, group, organizer, names):
    """A final star-rating campaign in which the group earned four stars, with an answered objection."""
    from grants import timeutil
    from grants.incubation.models import StarCampaign, StarCriterion, StarNomination, StarObjection, StarSheet

    campaign = StarCampaign(
        district_id=district.id,
        year=2026,
        title=names["theme"],
        status="final",
        notice_opens_at=timeutil.now(),
        notice_closes_at=timeutil.now(),
        final_on=timeutil.today(),
    )
    session.add(campaign)
    session.flush()
    criterion = StarCriterion(
        campaign_id=campaign.id,
        indicator=names["categories"][0],
        name=names["categories"][1],
        max_halves=200,
        position=1,
    )
    nomination = StarNomination(campaign_id=campaign.id, group_id=group.id, evidence=names["text"], decided_stars=4)
    session.add_all([criterion, nomination])
    session.flush()
    session.add(StarSheet(nomination_id=nomination.id, stage="self", slot=0, scorer_id=organizer.id, total_halves=170))
    session.add(
        StarObjection(
            campaign_id=campaign.id,
            nomination_id=nomination.id,
            author_id=organizer.id,
            text=names["text"],
            status="dismissed",
            reply=names["theme"],
            answered_at=timeutil.now(),
        )
    )
    session.commit()
    return nomination


def test_template_gettext_escapes_its_variables_in_loops_and_blocks_as_elsewhere(app):
    """`_()` in templates formats new-style and escapes what it is given when autoescaping is on,
    wherever it is called (in a loop, in a block that sets variables), and not where it is off."""
    from flask import render_template_string

    source = (
        '{% set n = "<b>" %}{{ _("共%(n)s份", n=n) }}|'
        '{% for x in ["<i>"] %}{% set y = x %}{{ _("共%(n)s份", n=y) }}|{% endfor %}'
        '{% autoescape false %}{{ _("共%(n)s份", n="<u>") }}{% endautoescape %}|{{ _("百分之%%") }}'
    )
    with app.test_request_context("/"):
        assert render_template_string(source) == "共&lt;b&gt;份|共&lt;i&gt;份|共<u>份|百分之%"
