"""Asking for an annual report (a queued document job) and making its files (the job's task body
calls ``make_files``, grants/jobs.py)."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from grants import audit, params, timeutil
from grants.errors import DomainError, NotAllowed
from grants.figures import queries
from grants.figures.annual import content, files, policy, spending
from grants.figures.scope import Scope
from grants.org.models import District, Street
from grants.reports.models import DocumentJob
from grants.reports.responses import safe_filename

ANNUAL_REPORT_JOB = "annual_report"
# The job's steps, as its progress counts them: figures counted, spending by category counted,
# XLSX written, PDF rendered.
STEPS = 4
ACTIVE = ("queued", "running")


def _stem(district: District, street: Street | None, year: int) -> str:
    place = district.name if street is None else f"{district.name}{street.name}"
    return safe_filename(_("%(place)s%(year)d年度统计报表", place=place, year=year))


def request_report(
    session: Session, *, actor, district: District, street: Street | None, year: int, locale: str
) -> DocumentJob:
    """A queued job making the place's report of ``year`` in ``locale`` (the caller enqueues it after
    the commit). The same user asking again for the same place and year while their job waits or
    runs gets that job (a double click makes one job: the district's row lock orders the askers).

    Raises: NotAllowed (the user may not read the place's figures); DomainError (a year out of range).
    """
    if not policy.can_make(actor, district, street):
        raise NotAllowed(_("您没有权限执行此操作。"))
    this_year = timeutil.today().year
    if not params.FIRST_YEAR <= year <= this_year:
        raise DomainError(_("请选择%(first)d年到%(last)d年之间的年份。", first=params.FIRST_YEAR, last=this_year))
    session.execute(select(District.id).where(District.id == district.id).with_for_update())
    pending = session.scalars(
        select(DocumentJob)
        .where(
            DocumentJob.kind == ANNUAL_REPORT_JOB,
            DocumentJob.district_id == district.id,
            DocumentJob.street_id.is_(None) if street is None else DocumentJob.street_id == street.id,
            DocumentJob.year == year,
            DocumentJob.requested_by_id == actor.id,
            DocumentJob.status.in_(ACTIVE),
        )
        .order_by(DocumentJob.id.desc())
        .limit(1)
    ).first()
    if pending is not None:
        return pending
    job = DocumentJob(
        kind=ANNUAL_REPORT_JOB,
        district_id=district.id,
        street_id=street.id if street is not None else None,
        year=year,
        locale=locale,
        requested_by_id=actor.id,
        status="queued",
        done=0,
        total=STEPS,
        filename=_stem(district, street, year),
    )
    session.add(job)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="document_job.annual_report",
        obj=job,
        district_id=district.id,
        after={"district_id": district.id, "street_id": job.street_id, "year": year},
    )
    return job


def make_files(
    session: Session, job: DocumentJob, *, base_url: str, on_step: Callable[[int], None]
) -> tuple[bytes, bytes]:
    """(PDF, XLSX) of the job's place and year in the job's language, counted now; ``on_step(n)``
    after each of the first STEPS − 1 steps (the caller records the last with the files).

    Raises: DomainError (the place is gone).
    """
    district = session.get(District, job.district_id) if job.district_id else None
    street = session.get(Street, job.street_id) if job.street_id else None
    if (
        district is None
        or job.year is None
        or (job.street_id and (street is None or street.district_id != district.id))
    ):
        raise DomainError(_("这份报表的统计范围已不存在。"))
    scope = Scope(district, street=street, year=job.year)
    locale = job.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    # url_for (the PDF's stylesheet) needs a request; the report speaks the asker's language.
    with current_app.test_request_context(base_url=base_url), force_locale(locale):
        figures = queries.figures(session, scope)
        on_step(1)
        spent = spending.spent_by_category(session, scope)
        on_step(2)
        report = content.build(figures, spent, made_on=timeutil.today())
        book = files.xlsx(report)
        on_step(3)
        document = files.pdf(report, base_url)
    return document, book
