"""The annual report's two files from its content (grants/figures/annual/content.py): the XLSX
through the one table writer (a sheet per table, numbers as numeric cells), and the PDF with
WeasyPrint and the reduced CJK fonts (grants/reports/pdf.py), the figures' SVG charts inline."""

from __future__ import annotations

from decimal import Decimal

from flask import render_template
from markupsafe import Markup

from grants.figures.annual.content import AnnualReport
from grants.reports import tables
from grants.reports.pdf import render_pdf

# WeasyPrint draws an inline SVG's text in the font the SVG itself names (the stylesheets do not
# reach inside it): the reduced CJK font first, as for the document's headings.
CHART_FONT = "'Grants Sans CJK', 'Noto Sans CJK SC', sans-serif"


def xlsx(report: AnnualReport) -> bytes:
    return tables.to_workbook(report.tables())


def cell_text(value, number_format: str | None) -> str:
    """A cell as the PDF prints it: the number format the XLSX gives the same cell."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return "" if value is None else str(value)
    if number_format == tables.AMOUNT:
        return f"{value:,.2f}"
    if number_format == tables.HOURS:
        return f"{value:,.1f}"
    if number_format == tables.COUNT:
        return f"{value:,}"
    return str(value)


def printed_chart(svg: Markup) -> Markup:
    """A figures chart (grants/figures/charts.py) naming the document's font."""
    # The chart is safe markup already; only an attribute of ours is added to its root.
    return Markup(str(svg).replace("<svg ", f'<svg font-family="{CHART_FONT}" ', 1))  # noqa: S704


def pdf_html(report: AnnualReport) -> str:
    """The PDF's HTML (needs a request context for url_for: the job makes one)."""
    return render_template("pdf/annual_report.html", report=report, cell_text=cell_text, printed_chart=printed_chart)


def pdf(report: AnnualReport, base_url: str) -> bytes:
    return render_pdf(pdf_html(report), base_url=base_url)
