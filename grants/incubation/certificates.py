"""志愿服务证明: a member's confirmed volunteer hours over a period, issued by the group's community.

A certificate is issued at most once per member and period (UNIQUE in the database; issuing again
returns the one issued), numbered once from its year of issue, community and id (ZY-2026-003-000042:
no shared counter, so issues for different members never wait for each other), and states the
hours as they were at issue.
"""

from __future__ import annotations

from datetime import date

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from grants import audit, timeutil
from grants.errors import DomainError, NotAllowed
from grants.incubation import hours, policy
from grants.incubation.hourmath import calendar_year, format_hours
from grants.incubation.models import Group, GroupMember, VolunteerCertificate
from grants.org.models import Community
from grants.reports.pdf import render_pdf
from grants.reports.responses import safe_filename
from grants.results.documents import long_date

EARLIEST = date(2000, 1, 1)  # dates before this are typing mistakes, not volunteer work


def default_period(today: date | None = None) -> tuple[date, date]:
    """The calendar year so far: a certificate attests hours already served."""
    today = today or timeutil.today()
    first, last = calendar_year(today)
    return first, min(last, today)


def certificate_number(year: int, community_id: int, certificate_id: int) -> str:
    return f"ZY-{year}-{community_id:03d}-{certificate_id:06d}"


def certificates_of(session: Session, member_id: int) -> list[VolunteerCertificate]:
    """A member's issued certificates, newest first (one query)."""
    return list(
        session.scalars(
            select(VolunteerCertificate)
            .where(VolunteerCertificate.member_id == member_id)
            .order_by(VolunteerCertificate.issued_at.desc(), VolunteerCertificate.id.desc())
        )
    )


def _issued(session: Session, member_id: int, start: date, end: date) -> VolunteerCertificate | None:
    return session.scalars(
        select(VolunteerCertificate).where(
            VolunteerCertificate.member_id == member_id,
            VolunteerCertificate.period_start == start,
            VolunteerCertificate.period_end == end,
        )
    ).first()


def _check_period(start: date | None, end: date | None) -> tuple[date, date]:
    """Raises: DomainError for a missing, reversed, too early or future period."""
    if start is None or end is None:
        raise DomainError(_("请按“年-月-日”填写证明期间的起止日期。"), field="start")
    if start > end:
        raise DomainError(_("证明期间的开始日期不能晚于结束日期。"), field="start")
    if start < EARLIEST:
        raise DomainError(_("证明期间的开始日期不能早于%(day)s。", day=EARLIEST.isoformat()), field="start")
    if end > timeutil.today():
        raise DomainError(_("证明期间不能晚于今天：证明只记载已经完成的服务。"), field="end")
    return start, end


def issue_certificate(
    session: Session, *, actor, group: Group, member: GroupMember, start: date | None, end: date | None
) -> tuple[VolunteerCertificate, bool]:
    """Issue the member's certificate for the period, or return the one already issued for it.

    Returns the certificate and whether it was issued now.

    Raises:
        NotAllowed: not the group's community staff nor the organizer.
        DomainError: the member is not the group's, the period is wrong, or it has no confirmed hours.
    """
    if not policy.can_issue_certificates(actor, group):
        raise NotAllowed(_("只有本社区工作人员或主办方可以开具志愿服务证明。"))
    if member.group_id != group.id:
        raise DomainError(_("这位成员不属于这个组织。"))
    start, end = _check_period(start, end)
    lines = hours.member_activities(session, member.id, start, end)
    halves = sum(line.halves for line in lines)
    if not halves:
        raise DomainError(
            _(
                "%(name)s在%(start)s至%(end)s期间没有已核实的志愿服务时长，不能开具证明。",
                name=member.name,
                start=start.isoformat(),
                end=end.isoformat(),
            )
        )
    # Insert first and read only when the period was issued already: on PostgreSQL a read of the
    # certificates' index before the insert would make issues for different members (one index page)
    # cancel each other at SERIALIZABLE; an insert that skips a conflict reads nothing.
    row = {
        "member_id": member.id,
        "group_id": group.id,
        "community_id": group.community_id,
        "period_start": start,
        "period_end": end,
        "halves": halves,
        "activities": len(lines),
        "issued_by_id": actor.id,
        "issued_at": timeutil.now(),
    }
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    certificate_id = session.scalar(
        insert(VolunteerCertificate).values(row).on_conflict_do_nothing().returning(VolunteerCertificate.id)
    )
    if certificate_id is None:
        return _issued(session, member.id, start, end), False
    certificate = session.get(VolunteerCertificate, certificate_id)
    certificate.number = certificate_number(timeutil.today().year, group.community_id, certificate.id)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="volunteer_certificate.issue",
        obj=certificate,
        district_id=group.community.street.district_id,
        after={
            "number": certificate.number,
            "member_id": member.id,
            "group_id": group.id,
            "period": [start.isoformat(), end.isoformat()],
            "halves": halves,
            "activities": len(lines),
        },
    )
    return certificate, True


def issuer_name(community: Community) -> str:
    """Who issues the certificate: the community (its residents' committee signs for it)."""
    return _("%(community)s居民委员会", community=community.name)


def certificate_html(session: Session, certificate: VolunteerCertificate, member: GroupMember, group: Group) -> str:
    community = session.get(Community, certificate.community_id)
    return render_template(
        "pdf/volunteer_certificate.html",
        certificate=certificate,
        member=member,
        group=group,
        community=community,
        issuer=issuer_name(community),
        hours_text=format_hours(certificate.halves, _("小时")),
        start=long_date(certificate.period_start),
        end=long_date(certificate.period_end),
        issued_on=long_date(timeutil.to_local(certificate.issued_at).date()),
        # What the certificate counted when it was issued: an activity confirmed later is not on its reprint.
        lines=hours.member_activities(
            session,
            member.id,
            certificate.period_start,
            certificate.period_end,
            confirmed_by=certificate.issued_at,
        ),
    )


def certificate_pdf(
    session: Session, certificate: VolunteerCertificate, member: GroupMember, group: Group, base_url: str
) -> bytes:
    return render_pdf(certificate_html(session, certificate, member, group), base_url=base_url)


def certificate_filename(certificate: VolunteerCertificate, member: GroupMember) -> str:
    return safe_filename(_("志愿服务证明-%(name)s-%(number)s.pdf", name=member.name, number=certificate.number))
