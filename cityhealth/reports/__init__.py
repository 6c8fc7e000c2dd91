"""Reports officials read, generated from the published release only.

One writer per kind of report; each takes the period (``2025``, ``2025-07``,
``2025-Q2``, ``plan-2021-2025``), the release folder to read (the latest by default)
and writes one file set into ``reports/<period>/``.

Reports tell the truth on thin data (``cityhealth.reports.coverage``): each page names the years,
months or quarters its figures stand on, says in Chinese what it cannot compute and
why, shows "—" for what is unknown, and states no change, rank or leader from fewer
values than it needs. A period the release holds but without rows still gets its
page; a period wholly outside the release's years is refused (``ValueError``).
"""

from __future__ import annotations

from collections.abc import Callable

from cityhealth.reports.html import ReportSet

KINDS = ("annual", "monthly", "quarterly", "five_year")


def writer(kind: str, formats: tuple[str, ...] = ()) -> Callable[..., ReportSet]:
    """``writer(kind)(period, release_dir=None, out_dir=None)`` writes one kind's files.

    ``formats`` (``docx``, ``pdf``): the documents a writer that shares its pages among
    processes (annual) writes beside each page itself, in the process that wrote the
    page (``ReportSet.documents``); the other writers' single page is left to the
    caller (``cityhealth.reports.documents.write_documents``).

    Imported on demand: the charts load matplotlib.
    """
    if kind == "annual":
        from cityhealth.reports.annual import write_annual_reports

        return lambda period, release_dir=None, out_dir=None: write_annual_reports(
            int(period), release_dir, out_dir, formats)
    if kind == "monthly":
        from cityhealth.reports.monthly import write_monthly_dispatch

        return write_monthly_dispatch
    if kind == "quarterly":
        from cityhealth.reports.quarterly import write_quarterly_bulletin

        return write_quarterly_bulletin
    if kind == "five_year":
        from cityhealth.reports.five_year import write_five_year_report

        return write_five_year_report
    raise ValueError(f"unknown report kind {kind!r}; known: {', '.join(KINDS)}")
