"""What a release holds and what a report may say from it.

Every report names the years (months, quarters) its figures stand on, taken from the
rows of the release, and says in plain Chinese what it cannot compute and why. The
helpers here read the published values safely: a missing value (None, NaN or pandas
``NA``) is never a truth value, a zero or a number.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import duckdb
import numpy as np
import pandas as pd

from cityhealth.core.periods import Period, PeriodError

# Tables whose rows carry a year: the span of years a release holds.
YEAR_TABLES = ("pub_health_index", "pub_index_trajectory", "pub_indicator_value",
               "pub_task_progress_monthly", "pub_project_progress_monthly",
               "pub_quarterly_bulletin", "pub_early_warning")

MIN_RANKED = 2  # a rank, a leader or an average against others needs at least two values


# -- values -----------------------------------------------------------------------------

def missing(value) -> bool:
    """None, NaN, NaT or pandas NA (never raises on an array-like cell)."""
    if value is None:
        return True
    if isinstance(value, (list, tuple, set, dict, np.ndarray)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def is_true(value) -> bool:
    """True only for a present true value (pandas NA is not true)."""
    return not missing(value) and bool(value)


def is_false(value) -> bool:
    """True only for a present false value (pandas NA is not false)."""
    return not missing(value) and not bool(value)


def number(value) -> float | None:
    return None if missing(value) else float(value)


def whole(value) -> int | None:
    return None if missing(value) else int(value)


def count_true(values: Iterable) -> int:
    return sum(1 for v in values if is_true(v))


def flags(series: pd.Series) -> pd.Series:
    """A boolean column with missing values read as false (for masks and counts)."""
    return series.map(is_true).astype(bool) if len(series) else series.astype(bool)


def attainment_zh(attained, scored, pct, at_100, unit: str = "项") -> str:
    """The attainment stated beside an index: "达标 2/66 项,3.0%;满分 2 项".

    From the columns indicators_attained, indicators_scored, attainment_pct and
    indicators_at_100 of pub_health_index (summed over areas, with ``unit`` "项次"); empty
    when no indicator is scored, so that no share is made up from nothing.
    """
    attained, scored, at_100, pct = whole(attained), whole(scored), whole(at_100), number(pct)
    if attained is None or not scored or pct is None:
        return ""
    text = f"达标 {attained}/{scored} {unit},{pct:.1f}%"
    return text + (f";满分 {at_100} {unit}" if at_100 is not None else "")


# -- periods in Chinese -------------------------------------------------------------------

def _runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return runs


def _join_runs(numbers: Iterable[int]) -> str:
    return "、".join(str(a) if a == b else f"{a}—{b}" for a, b in _runs(numbers))


def years_zh(years: Iterable[int]) -> str:
    """[2020, 2021, 2022, 2025] → 2020—2022、2025年; empty → ''."""
    text = _join_runs(int(y) for y in years)
    return f"{text}年" if text else ""


def months_zh(periods: Iterable[str]) -> str:
    """['2025-01', …, '2025-07'] → 2025年1—7月."""
    by_year: dict[int, list[int]] = {}
    for period in periods:
        parsed = Period.parse(period)
        by_year.setdefault(parsed.first_year, []).append(parsed.month)
    return "、".join(f"{y}年{_join_runs(m)}月" for y, m in sorted(by_year.items()))


def quarters_zh(periods: Iterable[str]) -> str:
    """['2025-Q1', '2025-Q2'] → 2025年第1—2季度."""
    by_year: dict[int, list[int]] = {}
    for period in periods:
        parsed = Period.parse(period)
        by_year.setdefault(parsed.first_year, []).append(parsed.quarter)
    return "、".join(f"{y}年第{_join_runs(q)}季度" for y, q in sorted(by_year.items()))


def period_zh(period: str) -> str:
    """A monitoring period as officials write it: 2025年, 2025年7月, 2025年第3季度."""
    try:
        parsed = Period.parse(period)
    except PeriodError:
        return str(period)
    if parsed.kind == "quarterly":
        return quarters_zh([parsed.label])
    if parsed.kind == "monthly":
        return months_zh([parsed.label])
    if parsed.kind == "annual":
        return f"{parsed.first_year}年"
    return parsed.label


# -- what the page says about its data -------------------------------------------------------

def gap(text: str) -> str:
    """One sentence saying what cannot be computed and why (already escaped)."""
    return f'<p class="gap">{text}</p>'


def gap_box(gaps: list[str]) -> str:
    """The list of what the report cannot say, shown at the top of the page."""
    if not gaps:
        return ""
    items = "".join(f"<li>{g}</li>" for g in dict.fromkeys(gaps))
    return f'<div class="gaps"><b>数据缺失说明</b><ul>{items}</ul></div>'


def basis(text: str) -> str:
    """The sentence naming the data the report stands on."""
    return f'<p class="basis">{text}</p>'


# -- what a release holds --------------------------------------------------------------------

def tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Tables and views of the release (published.duckdb holds either)."""
    return {name for (name,) in con.execute(
        "select table_name from information_schema.tables").fetchall()}


def release_years(con: duckdb.DuckDBPyConnection, manifest: dict) -> list[int]:
    """Every year with a row in the release, and the years of the release's own period."""
    present = tables(con)
    period = Period.parse(manifest["period"]) if manifest.get("period") else None
    years: set[int] = {period.first_year, period.last_year} if period else set()
    for name in YEAR_TABLES:
        if name in present:
            years |= {int(y) for (y,) in con.execute(
                f'select distinct period_year from "{name}" where period_year is not null'
            ).fetchall()}
    return sorted(years)


def require_period(con: duckdb.DuckDBPyConnection, manifest: dict, label: str,
                   first_year: int, last_year: int, what: str) -> list[int]:
    """The release's years; ``ValueError`` when the period lies wholly outside them.

    A period inside the span the release covers is written even when its rows are
    missing (the page says so); a period outside it is a request for another release.
    """
    years = release_years(con, manifest)
    if not years or last_year < years[0] or first_year > years[-1]:
        held = f"{years[0]}–{years[-1]}" if years else "no year"
        raise ValueError(f"the release {manifest.get('release_id', '?')} has no {what} for "
                         f"{label}: it does not hold that period (it covers {held})")
    return years


def esc_list(names: Iterable) -> str:
    return "、".join(html.escape(str(n)) for n in names)
