"""Expectation suites, one per source kind, derived from the reference data.

Each suite comes with the SQL that turns one raw batch into the DataFrame it
validates: the batch's rows joined with the bounds of the catalogue (so a range
is checked per variable, with the variable's own limits) and, where a rule needs
it, the previous year's value. GX validates pandas DataFrames: its SQL
datasource cannot read DuckDB results (they are gone once the connection closes).
Every expectation carries ``meta.severity`` (``error`` blocks the batch,
``warning`` is reported only) and ``meta.rule`` (what a reader is told).

The gate judges plausibility only: ranges, shares, completeness against the catalogue,
jumps and outliers. What ingestion needs to map a delivery (a known area, variable,
indicator or task code; a row of the delivery's period; one row per key in a file) is
checked there, once, where the file, row and column heading are at hand
(docs/architecture.md, "Where each data rule lives").
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb
import great_expectations as gx
import pandas as pd
import yaml
from great_expectations.execution_engine import pandas_execution_engine

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

from cityhealth.core.reference import assessment_parameter, seed_frame, seed_table
from cityhealth.ingestion import (
    object_findings,
    object_register,
    object_treatment,
    project_register,
    survey_export,
    task_register,
    third_party_file,
)
from cityhealth.warehouse.connection import query_timeout

RULES_FILE = Path(__file__).with_name("rules.yaml")
E = gx.expectations


@cache
def gx_context():
    """One ephemeral GX context per process (building one takes seconds; suites need one).

    Its pandas engine fingerprints every batch under 1 GB (``HASH_THRESHOLD``) with
    ``pandas.util.hash_pandas_object`` when the batch is got and again when it is
    validated: a batch marker that the platform never reads (the gate stores its own
    record of the batch), and about 1.5 s each time for a ten-million-row survey frame.
    A threshold of 0 leaves the fingerprint out."""
    pandas_execution_engine.HASH_THRESHOLD = 0
    context = gx.get_context(mode="ephemeral")
    with contextlib.suppress(Exception):  # progress bars are cosmetic
        context.variables.progress_bars = {"globally": False}
    return context


@cache
def rules() -> dict:
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))


@cache
def county_codes() -> list[str]:
    areas = seed_frame("ref_areas")
    return sorted(areas.loc[areas.area_level == "county", "area_code"])


@cache
def variables() -> pd.DataFrame:
    return seed_frame("ref_variables")


def thresholds(suite: str) -> dict:
    """A suite's thresholds: rules.yaml, and for the survey the screening thresholds of
    the satisfaction statistics (ref_assessment_parameters), so that the gate warns about
    the very answer sheets the statistics will screen out."""
    values = dict(rules().get(suite, {}))
    if suite == "survey":
        values["speeder_seconds"] = int(assessment_parameter("survey_min_duration_seconds"))
        values["straight_lining_min_questions"] = int(
            assessment_parameter("survey_straight_lining_min_questions"))
    return values


def message(suite: str, name: str) -> str:
    """The sentence a sender is told when a rule fails (rules.yaml ``messages``), its
    placeholders filled from the suite's thresholds."""
    text = " ".join(str(rules()["messages"][suite][name]).split())
    return text.format(**thresholds(suite))


def _meta(severity: str, rule: str, bound: str | None = None) -> dict:
    """``bound``: the frame column holding the limit a failing value broke (shown beside
    the value in the error, e.g. 最小合理值 0)."""
    meta = {"severity": severity, "rule": rule}
    if bound:
        meta["bound"] = bound
    return meta


@dataclass(frozen=True)
class SuitePlan:
    """A suite and the SQL that prepares one batch for it ($batch_id, $period)."""

    name: str
    suite: gx.ExpectationSuite
    frame_sql: str
    key_columns: tuple[str, ...]  # what names a row in error examples
    # The column heading as delivered of a checked frame column (e.g. progress_pct ->
    # 形象进度(%)), or the frame column holding each row's heading (a department file's
    # column_label), so that an error names the cell the sender must correct.
    headings: dict[str, str] = field(default_factory=dict)
    heading_column: str | None = None
    # For batches of millions of rows (the survey): fetch the frame through Arrow, about
    # half the time and memory of DuckDB's .df() (an integer column with nulls becomes
    # float64), and hand these few-valued text columns to GX as pandas categoricals,
    # cheap to hash and to compare.
    arrow: bool = False
    categorical: tuple[str, ...] = ()
    # Columns added to the fetched frame: each the share of rows with 1 in a 0/1 column
    # (its mean), the same in every row, for a rule on the share to check as the column's
    # max. Great Expectations' column mean on pandas first looks at each value in Python
    # for a Decimal (0.8 s per rule at 10 million rows); pandas' mean and max do not.
    shares: dict[str, str] = field(default_factory=dict)


def _register_seeds(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("ref_variables", "ref_indicators", "ref_object_indicators"):
        con.register(f"seed_{name}", seed_table(name))


def required_variables(department_code: str, period: int) -> list[str]:
    """The department's variables a check year needs: those in the formulas of the
    indicators that apply to the year, and those in no formula at all (base numbers)."""
    indicators = seed_frame("ref_indicators")
    applies = (indicators.check_year_from.astype(int) <= period) & (
        indicators.check_year_to.replace("", "9999").astype(int) >= period)
    used_now = set(indicators.loc[applies, "numerator_variable"]) | set(
        indicators.loc[applies, "denominator_variable"])
    used_ever = set(indicators.numerator_variable) | set(indicators.denominator_variable)
    own = variables()[variables().department_code == department_code].variable_code
    return sorted(v for v in own if v in used_now or v not in used_ever)


def _within_valid_range(said: str) -> tuple:
    """``value`` between the frame's ``valid_min`` and ``valid_max`` (the catalogue's
    plausible range), each bound with its own sentence from rules.yaml."""
    return (
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="value", column_B="valid_min", or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=_meta("error", message(said, "below_minimum"), "valid_min")),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="valid_max", column_B="value", or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=_meta("error", message(said, "above_maximum"), "valid_max")),
    )


def department_values(department_code: str, period: int) -> SuitePlan:
    said = "department_values"
    own = variables()[variables().department_code == department_code]
    base = sorted(own.loc[own.is_base_number == "true", "variable_code"])
    factor = float(rules()["department_values"]["year_over_year_max_factor"])
    suite = gx.ExpectationSuite(name=f"department_values.{department_code}")
    for expectation in (
        *_within_valid_range(said),
        E.ExpectColumnValuesToBeBetween(
            column="yoy_ratio", min_value=1 / factor, max_value=factor,
            meta=_meta("warning", message(said, "year_over_year"), "previous_value")),
        E.ExpectColumnDistinctValuesToContainSet(
            column="area_code", value_set=county_codes(),
            meta=_meta("error", message(said, "every_county"))),
        E.ExpectColumnDistinctValuesToContainSet(
            column="variable_code", value_set=required_variables(department_code, period),
            meta=_meta("error", message(said, "every_variable"))),
    ):
        suite.add_expectation(expectation)
    if base:
        suite.add_expectation(E.ExpectColumnValuesToNotBeNull(
            column="base_value",
            meta=_meta("error", message(said, "base_numbers"))))
    frame_sql = """
        with batch as (
            select * from raw.department_values where batch_id = $batch_id
        ),
        previous as (
            select d.area_code, d.variable_code, any_value(d.value) as previous_value
            from raw.department_values as d
            join raw.load_batches as b using (batch_id)
            where b.status = 'promoted' and d.period_year = $period - 1
              and d.source_id = (select any_value(source_id) from batch)
            group by all
        )
        select
            batch.row_number, batch.area_code, batch.variable_code,
            batch.value, batch.column_label, v.unit_zh as unit,
            try_cast(v.valid_min as double) as valid_min,
            try_cast(v.valid_max as double) as valid_max,
            -- null only where a base number (shared denominator) is missing
            case when v.is_base_number = 'true' then batch.value else 0 end as base_value,
            previous.previous_value,
            case when previous.previous_value > 0 and batch.value > 0
                 then batch.value / previous.previous_value end as yoy_ratio
        from batch
        left join seed_ref_variables as v using (variable_code)
        left join previous using (area_code, variable_code)
        order by batch.row_number, batch.variable_code
    """
    return SuitePlan(suite.name, suite, frame_sql, ("area_code", "variable_code"),
                     heading_column="column_label")


def third_party_values(period: int) -> SuitePlan:
    suite = gx.ExpectationSuite(name="third_party_values")
    said = "third_party_values"
    for expectation in (
        E.ExpectColumnValuesToNotBeNull(
            column="value", meta=_meta("error", message(said, "value_not_empty"))),
        *_within_valid_range(said),
    ):
        suite.add_expectation(expectation)
    frame_sql = """
        select t.row_number, t.area_code, t.indicator_code, t.value, i.unit_zh as unit,
               try_cast(i.valid_min as double) as valid_min,
               try_cast(i.valid_max as double) as valid_max
        from raw.third_party_values as t
        left join seed_ref_indicators as i using (indicator_code)
        where t.batch_id = $batch_id
        order by t.row_number
    """
    return SuitePlan(suite.name, suite, frame_sql, ("area_code", "indicator_code"),
                     headings={"value": third_party_file.VALUE})


def survey_responses(period: int) -> SuitePlan:
    cfg = thresholds("survey")
    suite = gx.ExpectationSuite(name="survey_responses")
    said = "survey"
    for expectation in (
        # a repeat respondent is expected of a web survey: the statistics keep the later
        # sheet (dbt int_survey__submissions), so the sender is told, not refused
        E.ExpectColumnValuesToBeUnique(
            column="respondent_key",
            meta=_meta("warning", message(said, "one_sheet_per_respondent"))),
        E.ExpectColumnValuesToBeBetween(
            column="duration_seconds", min_value=0,
            meta=_meta("error", message(said, "duration_not_negative"))),
        # the shares of the batch's sheets (SuitePlan.shares): one value, checked as a
        # column's max
        E.ExpectColumnMaxToBeBetween(
            column="speeder_share", max_value=float(cfg["max_speeder_share"]),
            meta=_meta("warning", message(said, "speeders"))),
        E.ExpectColumnMaxToBeBetween(
            column="straight_liner_share", max_value=float(cfg["max_straight_liner_share"]),
            meta=_meta("warning", message(said, "straight_liners"))),
        E.ExpectColumnValuesToBeBetween(
            column="county_respondents", min_value=int(cfg["min_respondents_per_county"]),
            meta=_meta("warning", message(said, "respondents_per_county"))),
        E.ExpectColumnDistinctValuesToContainSet(
            column="area_code", value_set=county_codes(),
            meta=_meta("warning", message(said, "every_county"))),
    ):
        suite.add_expectation(expectation)
    # One row per respondent with the aggregates the rules need: the answers list is
    # summarised in DuckDB, so a 10-million-row batch never becomes 240 million cells.
    # Only the columns the rules need, numbers as int64/float64 (GX compares those
    # vectorised, other dtypes one value at a time in Python). respondent_key (64 hex
    # characters) becomes the data row of the key's first answer sheet, equal exactly
    # when the keys are: a sheet's own row where no other sheet of the batch shares its
    # key's hash (63 bits), else (a repeat respondent, or two keys colliding) the first
    # row of its key. Rows ascending as the frame is, pandas finds the repeats among 10
    # million of them in 0.5 s, against 1.5 s for the hashes (GX does it twice).
    # No window function and no UNION: a window over a UNION ALL of two scans of the
    # batch (the earlier shape of this query) can hang DuckDB 1.5 with every worker idle
    # (benchmarks/README.md, "Known upstream issue"). The first data row per key is an
    # aggregate over the sheets whose hash is shared only (a web survey's repeats are a
    # few in a hundred), joined back: grouping all 10 million keys by their text took
    # more than the rest of the query. A straight-liner gives one answer to every
    # question answered (min = max, blanks aside), at least the rule's number of them
    # (list_count: the answers given); the list functions cost 0.2 us a sheet, so they
    # run only where the first three answers do not already differ (10 million sheets:
    # 0.6 instead of 1.8 s).
    # Ordered by data row: the examples of a failed rule are then the export's first
    # failing sheets (the joins' output order is otherwise the threads'), and the order
    # by makes the query a parallel sort that the result is read from, where without it
    # the joins ran as a streamed result, at about one thread's pace (10 million rows:
    # 4.7 to 5.4 s instead of 8.1 to 8.7 s).
    frame_sql = f"""
        with batch as not materialized (
            select row_number, respondent_key, area_code, duration_seconds,
                   case when coalesce(answers[1] = answers[2], true)
                             and coalesce(answers[2] = answers[3], true)
                             and coalesce(answers[1] = answers[3], true)
                        then coalesce(list_min(answers) = list_max(answers), false)
                             and list_count(answers)
                                 >= {int(cfg['straight_lining_min_questions'])}
                        else false end as straight_lined,
                   (hash(respondent_key) >> 1)::bigint as key_hash
            from raw.survey_responses
            where batch_id = $batch_id
        ),
        shared as (
            select key_hash from batch group by 1 having count(*) > 1
        ),
        counties as (
            select area_code, count(*)::bigint as county_respondents from batch group by 1
        ),
        first_rows as (
            select respondent_key, min(row_number) as first_row
            from batch
            where key_hash in (select key_hash from shared)
            group by 1
        )
        select
            batch.row_number,
            batch.area_code,
            batch.duration_seconds::double as duration_seconds,
            (coalesce(batch.duration_seconds, 0) < {int(cfg['speeder_seconds'])})::tinyint
                as is_speeder,
            batch.straight_lined::tinyint as is_straight_liner,
            counties.county_respondents,
            coalesce(first_rows.first_row, batch.row_number) as respondent_key
        from batch
        left join counties using (area_code)
        left join first_rows using (respondent_key)
        order by batch.row_number
    """
    # a row is named by its county and its data row in the export (as ingestion does)
    return SuitePlan(suite.name, suite, frame_sql, ("area_code",), arrow=True,
                     categorical=("area_code",),
                     shares={"speeder_share": "is_speeder",
                             "straight_liner_share": "is_straight_liner"},
                     headings={"duration_seconds": survey_export.DURATION,
                               "respondent_key": "/".join(survey_export.PERSONAL),
                               "area_code": survey_export.AREA})


def monitoring_values(department_code: str, period: int) -> SuitePlan:
    """Feed batches: values mostly there and within the variable's valid range."""
    suite = gx.ExpectationSuite(name=f"monitoring_values.{department_code}")
    said = "monitoring_values"
    for expectation in (
        E.ExpectColumnValuesToNotBeNull(
            column="value", mostly=0.95,
            meta=_meta("warning", message(said, "mostly_present"))),
        *_within_valid_range(said),
    ):
        suite.add_expectation(expectation)
    frame_sql = """
        select m.page, m.item, m.area_code, m.variable_code, m.value, v.unit_zh as unit,
               try_cast(v.valid_min as double) as valid_min,
               try_cast(v.valid_max as double) as valid_max
        from raw.monitoring_values as m
        left join seed_ref_variables as v using (variable_code)
        where m.batch_id = $batch_id
        order by m.page, m.item
    """
    return SuitePlan(suite.name, suite, frame_sql, ("area_code", "variable_code"),
                     headings={"value": "value"})


def task_progress(period: int) -> SuitePlan:
    """Task register: progress within 0–100, every task reported by every city."""
    tasks = sorted(seed_frame("ref_plan_tasks").task_code)
    cities = sorted(seed_frame("ref_areas").query("area_level == 'city'").area_code)
    suite = gx.ExpectationSuite(name="task_progress")
    for expectation in (
        E.ExpectColumnValuesToBeBetween(
            column="progress_pct", min_value=0, max_value=100,
            meta=_meta("error", message("task_progress", "progress_range"))),
        E.ExpectTableRowCountToEqual(
            value=len(tasks) * len(cities),
            meta=_meta("warning", message("task_progress", "every_task"))),
    ):
        suite.add_expectation(expectation)
    frame_sql = """
        select row_number, task_code, city_code, period, progress_pct, status
        from raw.task_progress where batch_id = $batch_id order by row_number
    """
    return SuitePlan(suite.name, suite, frame_sql, ("task_code", "city_code"),
                     headings=task_register.headings())


def project_progress(period: int) -> SuitePlan:
    """Project library: money, dates and progress plausible."""
    suite = gx.ExpectationSuite(name="project_progress")
    for expectation in (
        E.ExpectColumnValuesToBeBetween(
            column="progress_pct", min_value=0, max_value=100,
            meta=_meta("error", message("project_progress", "progress_range"))),
        E.ExpectColumnValuesToBeBetween(
            column="planned_investment", min_value=0, strict_min=True,
            meta=_meta("error", message("project_progress", "investment_positive"))),
        E.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="planned_end", column_B="planned_start", or_equal=True,
            meta=_meta("error", message("project_progress", "end_after_start"),
                       "planned_start")),
        E.ExpectColumnValuesToBeBetween(
            column="invested_share", min_value=0, max_value=1.5,
            meta=_meta("warning", message("project_progress", "invested_share"))),
    ):
        suite.add_expectation(expectation)
    frame_sql = """
        select row_number, project_id, area_code, project_type_code, planned_investment,
               planned_start, planned_end, progress_pct,
               invested_to_date / nullif(planned_investment, 0) as invested_share
        from raw.project_progress where batch_id = $batch_id order by row_number
    """
    headings = project_register.headings()
    headings["invested_share"] = headings["invested_to_date"]
    return SuitePlan(suite.name, suite, frame_sql, ("project_id", "area_code"),
                     headings=headings)


def check_objects(kind: str, period: int) -> SuitePlan:
    """An object register (2024 on): attributes plausible for a building or an area."""
    limits = thresholds("check_objects")
    suite = gx.ExpectationSuite(name=f"check_objects_{kind}")
    for expectation in (
        E.ExpectColumnValuesToBeBetween(
            column="year_built", min_value=limits["year_built_min"], max_value=period,
            meta=_meta("error", message("check_objects", "year_built_range"))),
        E.ExpectColumnValuesToBeBetween(
            column="floors", min_value=limits["floors_min"], max_value=limits["floors_max"],
            meta=_meta("error", message("check_objects", "floors_range"))),
        E.ExpectColumnValuesToBeBetween(
            column="dwellings", min_value=0,
            meta=_meta("error", message("check_objects", "dwellings_not_negative"))),
        E.ExpectColumnValuesToBeBetween(
            column="households", min_value=0,
            meta=_meta("error", message("check_objects", "households_not_negative"))),
        E.ExpectColumnValuesToBeBetween(
            column="area_m2", min_value=0, strict_min=True,
            meta=_meta("error", message("check_objects", "area_positive"))),
    ):
        suite.add_expectation(expectation)
    frame_sql = """
        select row_number, object_id, county_code, year_built, floors, dwellings, households,
               area_m2
        from raw.check_objects where batch_id = $batch_id order by row_number
    """
    return SuitePlan(suite.name, suite, frame_sql, ("object_id", "county_code"),
                     headings=object_register.headings(kind), arrow=True)


def findings(period: int) -> SuitePlan:
    """Findings on objects: a gap is a positive shortfall of plausible size."""
    suite = gx.ExpectationSuite(name="object_findings")
    suite.add_expectation(E.ExpectColumnValuesToBeBetween(
        column="gap", min_value=0, strict_min=True,
        max_value=thresholds("object_findings")["gap_max"],
        meta=_meta("error", message("object_findings", "gap_range"))))
    frame_sql = """
        select f.row_number, f.object_id, f.indicator_code,
               case when i.finding_kind = 'gap' then f.value end as gap
        from raw.object_findings as f
        left join seed_ref_object_indicators as i using (indicator_code)
        where f.batch_id = $batch_id order by f.row_number
    """
    return SuitePlan(suite.name, suite, frame_sql, ("object_id", "indicator_code"),
                     headings={"gap": object_findings.headings()["value"]}, arrow=True)


def treatment(period: int) -> SuitePlan:
    """The treatment register: a problem marked rectified says when."""
    suite = gx.ExpectationSuite(name="object_treatment")
    suite.add_expectation(E.ExpectColumnValuesToNotBeInSet(
        column="rectified_date", value_set=[""],
        meta=_meta("error", message("object_treatment", "rectified_has_date"))))
    frame_sql = """
        select row_number, object_id, indicator_code, status,
               case when status = 'rectified' then coalesce(cast(rectified_on as varchar), '')
               end as rectified_date
        from raw.object_treatment where batch_id = $batch_id order by row_number
    """
    return SuitePlan(suite.name, suite, frame_sql, ("object_id", "indicator_code"),
                     headings={"rectified_date": object_treatment.headings()["rectified_on"]})


def plan_for(kind: str, department_code: str | None, period: int) -> SuitePlan:
    gx_context()
    if kind == "department_feed":
        if not department_code:
            raise ValueError("a department source needs its department code")
        return monitoring_values(department_code, period)
    if kind == "department_file":
        if not department_code:
            raise ValueError("a department source needs its department code")
        return department_values(department_code, period)
    if kind == "third_party_file":
        return third_party_values(period)
    if kind == "survey_export":
        return survey_responses(period)
    if kind == "task_register":
        return task_progress(period)
    if kind == "project_register":
        return project_progress(period)
    if kind.startswith("objects_"):
        return check_objects(kind.removeprefix("objects_"), period)
    if kind == "object_findings":
        return findings(period)
    if kind == "object_treatment":
        return treatment(period)
    raise ValueError(f"no expectation suite for source kind {kind!r}")


def batch_frame(con: duckdb.DuckDBPyConnection, plan: SuitePlan, batch_id: str,
                period: int) -> pd.DataFrame:
    """The batch as the suite's DataFrame; the query is stopped after
    ``CITYHEALTH_QUERY_TIMEOUT_SECONDS`` (``QueryTimeoutError`` naming the batch)."""
    _register_seeds(con)
    params = {"batch_id": batch_id, "period": period}
    used = {name: value for name, value in params.items() if f"${name}" in plan.frame_sql}
    with query_timeout(con, f"validation of batch {batch_id} (suite {plan.name})"):
        result = con.execute(plan.frame_sql, used)
        if plan.arrow:
            frame = result.fetch_arrow_table().to_pandas(
                categories=list(plan.categorical) or None)
        else:
            frame = result.df()
    for share, column in plan.shares.items():
        frame[share] = frame[column].mean()  # NaN for an empty batch, as the mean was
    return frame
