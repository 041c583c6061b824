"""How the one job page (/jobs/<id>) shows an annual report's job: registered when the figures'
views are loaded (grants/reports/jobpages.py)."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from grants.db import db
from grants.figures.annual import policy
from grants.figures.annual.service import ANNUAL_REPORT_JOB
from grants.org.models import District, Street
from grants.reports import jobpages
from grants.reports.models import DocumentJob
from grants.reports.tables import FORMATS


def _text(job: DocumentJob) -> jobpages.JobText:
    district = db.session.get(District, job.district_id) if job.district_id else None
    street = db.session.get(Street, job.street_id) if job.street_id else None
    title = _("年度统计报表")
    if district is None or job.year is None:
        return jobpages.JobText(title)
    place = street.name if street is not None else _("%(district)s（全区）", district=district.name)
    if street is not None:
        back = url_for("figures.street", street_id=street.id, year=job.year)
    else:
        back = url_for("figures.district", district_id=district.id, year=job.year)
    return jobpages.JobText(
        title,
        subtitle=" · ".join([place, _("%(year)d年度", year=job.year)]),
        back_url=back,
        back_label=_("返回数据总览"),
    )


def register() -> None:
    jobpages.register(
        ANNUAL_REPORT_JOB,
        jobpages.JobKind(
            may_view=policy.can_view_job,
            text=_text,
            count=lambda job: _("已完成%(done)d步，共%(total)d步", done=job.done, total=job.total),
            pending=lambda: _("报表正在后台生成，可以离开本页，稍后回来刷新查看。"),
            files=(
                jobpages.JobFile("pdf", _l("下载PDF"), "application/pdf"),
                jobpages.JobFile("xlsx", _l("下载XLSX"), FORMATS["xlsx"]),
            ),
        ),
    )
