"""Reading the reference seeds (dbt_project/seeds/*.csv) from Python.

Ingestion, validation, the demo generator and the reports need the same
reference data as dbt; they read the seed files through this module only,
as text (codes keep their leading zeros; numbers are parsed where used).
"""

from __future__ import annotations

import csv
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from cityhealth.core.settings import SEEDS_DIR

if TYPE_CHECKING:  # pandas is imported where a frame is built: every Airflow task imports
    import pandas as pd  # this module through the periods, and pandas costs ~1 s
    import pyarrow as pa


@cache
def seed_rows(name: str) -> tuple[dict[str, str], ...]:
    """All rows of one seed as dicts of text (empty cells are '')."""
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


def assessment_parameter(code: str) -> float:
    """One parameter of ref_assessment_parameters (what dbt's macro assessment_parameter
    reads), e.g. the survey's screening thresholds the quality gate shares."""
    for row in seed_rows("ref_assessment_parameters"):
        if row["parameter_code"] == code:
            return float(row["value"])
    raise KeyError(f"no parameter {code!r} in ref_assessment_parameters.csv")


def areas(level: str | None = None) -> list[dict[str, str]]:
    """Areas (ref_areas) in their sort order, optionally of one level."""
    rows = sorted(seed_rows("ref_areas"), key=lambda r: int(r["sort_order"]))
    return [r for r in rows if level is None or r["area_level"] == level]


def province() -> dict[str, str]:
    """The province the platform checks: the one ``province`` row of ref_areas.

    Its name (area_name_zh, area_name_en) and code label reports, demo deliveries and
    messages; another province is another ref_areas.csv, not a code change.
    """
    rows = areas("province")
    if len(rows) != 1:
        raise ValueError(f"ref_areas.csv must hold exactly one province row, found {len(rows)}")
    return rows[0]


@cache
def variables_by_name() -> dict[str, dict[str, str]]:
    """Delivered variables keyed by the header text departments use (without unit)."""
    return {r["variable_name_zh"]: r for r in seed_rows("ref_variables")}


@cache
def unit_factors() -> dict[tuple[str, str], float]:
    """(delivered unit, canonical unit) -> factor to the canonical unit."""
    return {(r["unit_zh"], r["canonical_unit_zh"]): float(r["factor"])
            for r in seed_rows("ref_units")}


@cache
def departments() -> dict[str, dict[str, str]]:
    return {r["department_code"]: r for r in seed_rows("ref_departments")}


def indicators_for_year(year: int) -> list[dict[str, str]]:
    """Catalogue entries whose definition applies to a check year."""
    return [r for r in seed_rows("ref_indicators")
            if int(r["check_year_from"]) <= year <= int(r["check_year_to"] or 9999)]


@cache
def survey_answer_scores() -> dict[str, int | None]:
    """Answer text as exported -> score (None for 不了解)."""
    return {r["answer_text"]: (int(r["answer_score"]) if r["answer_score"] else None)
            for r in seed_rows("ref_survey_answers")}


def survey_questions(questionnaire_id: str) -> list[dict[str, str]]:
    rows = [r for r in seed_rows("ref_survey_questions")
            if r["questionnaire_id"] == questionnaire_id]
    return sorted(rows, key=lambda r: int(r["position"]))


def questionnaire_for_year(year: int) -> str:
    """The questionnaire in force for a survey year (the latest one starting on or before it).

    Questionnaire ids are ``<province>-<first year>``, e.g. JX-2020.
    """
    ids = sorted({r["questionnaire_id"] for r in seed_rows("ref_survey_questions")},
                 key=lambda q: int(q.rsplit("-", 1)[1]))
    usable = [q for q in ids if int(q.rsplit("-", 1)[1]) <= year]
    if not usable:
        raise ValueError(f"no survey questionnaire applies to {year}; known: {ids}")
    return usable[-1]


def seed_frame(name: str) -> pd.DataFrame:
    """All rows of one seed as a DataFrame of text (built from ``seed_rows``; a new
    frame on every call, so a caller's changes never leak into another's)."""
    import pandas as pd

    rows = seed_rows(name)
    return pd.DataFrame.from_records(list(rows), columns=list(rows[0]) if rows else None)


@cache
def seed_table(name: str) -> pa.Table:
    """All rows of one seed as an Arrow table of text, made once per process (an Arrow
    table cannot be changed): what a DuckDB connection registers in a millisecond, where
    a pandas frame of text takes ten."""
    import pyarrow as pa

    rows = seed_rows(name)
    names = list(rows[0]) if rows else []
    return pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in names})


class PlanPeriod(NamedTuple):
    """One row of ref_plan_periods: a five-year plan period and where it is set down."""

    plan_code: str
    name_zh: str
    start_year: int
    end_year: int
    source: str


@cache
def plan_periods() -> tuple[PlanPeriod, ...]:
    """The plan periods (ref_plan_periods) in time order.

    ``ValueError`` naming the seed and the row when a period ends before it starts or
    overlaps another: a year belongs to one plan period at most.
    """
    periods = []
    for number, row in enumerate(seed_rows("ref_plan_periods"), start=2):
        try:
            period = PlanPeriod(row["plan_code"], row["name_zh"], int(row["start_year"]),
                                int(row["end_year"]), row["source"])
        except (TypeError, ValueError) as error:
            raise ValueError(f"ref_plan_periods.csv line {number}: start_year and end_year "
                             f"must be years, got {row}") from error
        if period.end_year < period.start_year:
            raise ValueError(f"ref_plan_periods.csv line {number}: {period.plan_code} ends "
                             f"({period.end_year}) before it starts ({period.start_year})")
        periods.append(period)
    periods.sort(key=lambda p: p.start_year)
    for earlier, later in zip(periods, periods[1:], strict=False):
        if later.start_year <= earlier.end_year:
            raise ValueError(f"ref_plan_periods.csv: {earlier.plan_code} "
                             f"({earlier.start_year}–{earlier.end_year}) and {later.plan_code} "
                             f"({later.start_year}–{later.end_year}) overlap")
    return tuple(periods)


def plan_period_of(year: int) -> PlanPeriod | None:
    """The plan period a year belongs to: the one that contains it, else the one whose
    baseline year (the year before its first) it is; None when there is neither.

    With 十四五 (2021–2025) and 十五五 (2026–2030): 2020 → 十四五 (its baseline year),
    2025 → 十四五, 2026 → 十五五, 2019 → None.
    """
    periods = plan_periods()
    for period in periods:
        if period.start_year <= year <= period.end_year:
            return period
    for period in periods:
        if year == period.start_year - 1:
            return period
    return None
