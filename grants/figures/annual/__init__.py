"""The annual statistics report (年度统计报表): a place's figures for one calendar year laid out as
the statistical appendix of an office's 年度工作总结, as a PDF (with the figures' charts) and an
XLSX, made in the job queue.

``content.py`` lays the figures out as numbered tables (one source for both files, so the two
agree with each other and with the figures page), ``spending.py`` adds the one figure the page
does not show (money spent by budget category), ``files.py`` writes the PDF and the XLSX,
``service.py`` asks for a report and makes it, ``policy.py`` says who may do either, and
``jobpage.py`` tells the job page how to show the job.
"""
