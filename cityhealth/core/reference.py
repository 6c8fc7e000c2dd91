"""Reading the reference seeds (dbt_project/seeds/*.csv) from Python.

Ingestion, validation, the demo generator and the reports need the same
reference data as dbt; they read the seed files through this module only,
as text (codes keep their leading zeros; numbers are parsed where used).
"""

from __future__ import annotations

import csv
from functools import cache

from cityhealth.core.settings import SEEDS_DIR


@cache
def seed_rows(name: str) -> tuple[dict[str, str], ...]:
    """All rows of one seed as dicts of text (empty cells are '')."""
    with open(SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))


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
def area_names() -> dict[str, str]:
    return {r["area_code"]: r["area_name_zh"] for r in seed_rows("ref_areas")}


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
