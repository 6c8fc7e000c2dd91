"""The quality gate: every loaded batch is validated before dbt may read it.

``validate_pending`` takes the batches with status ``loaded``, validates each
with its suite (Great Expectations on a pandas DataFrame taken from DuckDB),
stores the results in ``quality.validation_runs`` / ``quality.validation_results``,
writes an offline HTML page per run (the data docs) and moves the batch to
``promoted`` or, when an error-severity expectation failed, to ``quarantined``.
A failing batch never stops the others; ``raise_if_failed`` then fails the
Airflow task with a short summary.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb

from cityhealth.core.periods import Period
from cityhealth.core.settings import settings
from cityhealth.expectations import data_docs
from cityhealth.expectations.outcomes import BatchValidation, ExpectationOutcome
from cityhealth.expectations.suites import (
    SuitePlan,
    batch_frame,
    gx_context,
    message,
    plan_for,
)
from cityhealth.ingestion import project_register, task_register, third_party_file
from cityhealth.ingestion.registry import source
from cityhealth.warehouse.connection import writer

log = logging.getLogger(__name__)

QUALITY_DDL = """
create schema if not exists quality;
create table if not exists quality.validation_runs (
    run_id varchar primary key,
    batch_id varchar not null,
    source_id varchar not null,
    period varchar not null,
    suite_name varchar not null,
    success boolean not null,
    evaluated integer not null,
    successful integer not null,
    unsuccessful_errors integer not null,
    unsuccessful_warnings integer not null,
    rows_validated bigint not null,
    validated_at timestamp not null,
    data_docs_path varchar
);
create table if not exists quality.validation_results (
    run_id varchar not null,
    batch_id varchar not null,
    expectation_type varchar not null,
    column_name varchar,
    kwargs_json varchar,
    severity varchar not null,
    rule varchar,
    success boolean not null,
    unexpected_count bigint,
    unexpected_percent double,
    examples_json varchar
);
"""


class ValidationFailed(RuntimeError):
    """One or more batches failed error-severity expectations and were quarantined."""


@cache
def _batch_definition():
    source = gx_context().data_sources.add_pandas("warehouse_batches")
    return source.add_dataframe_asset("batch").add_batch_definition_whole_dataframe("whole")


def ensure_quality_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(QUALITY_DDL)


# What a rule's bound is called beside a failing value (suites: meta.bound).
BOUND_LABELS = {"valid_min": "最小合理值", "valid_max": "最大合理值",
                "previous_value": "上年", "planned_start": "计划开工"}


def _place(plan: SuitePlan, record, shown: str | None) -> str:
    """Where a failing value sits in the delivery: its data row (or feed page and item)
    and the column heading as delivered, e.g. 'data row 3, column 形象进度(%)'."""
    place = []
    if "row_number" in record:
        place.append(f"data row {record['row_number']}")
    elif "page" in record and "item" in record:
        place.append(f"page {record['page']} item {record['item']}")
    heading = plan.headings.get(shown or "")
    if heading is None and plan.heading_column and plan.heading_column in record:
        heading = record[plan.heading_column]
    if heading:
        place.append(f"column {heading}")
    return ", ".join(place)


def _number(value) -> str:
    """A value as a clerk would type it: -124515, 0.35, 9.9e+12; empty as 空."""
    if value is None or (isinstance(value, float) and value != value):
        return "空 empty"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _example(plan: SuitePlan, record, shown: str | None, bound: str | None) -> str:
    """'data row 3, column 地区生产总值(万元): -5万元, 最小合理值 0万元 (360102/GDP)'."""
    unit = record["unit"] if "unit" in record and isinstance(record["unit"], str) else ""
    text = _place(plan, record, shown)
    if shown:
        text += f"{': ' if text else ''}{_number(record[shown])}{unit}"
    if bound and bound in record:
        text += f", {BOUND_LABELS.get(bound, bound)} {_number(record[bound])}{unit}"
    key = "/".join(str(record[c]) for c in plan.key_columns if c in record)
    return f"{text} ({key})" if key else text


def _examples(frame, result: dict, plan: SuitePlan, column: str | None,
              bound: str | None = None) -> list[str]:
    rows = result.get("partial_unexpected_index_list") or []
    examples = []
    for index in rows[:5]:
        if not isinstance(index, int) or index >= len(frame):
            continue
        record = frame.iloc[index]
        shown = column if column in record else ("value" if "value" in record else None)
        examples.append(_example(plan, record, shown, bound))
    if not examples and result.get("observed_value") is not None:
        examples.append(f"实际 observed {_number(result['observed_value'])}")
    return examples


def _missing(detail: dict) -> list[str]:
    """For a 'must contain' expectation: which required values are absent."""
    absent = sorted(str(v) for v in detail.get("partial_missing_list") or [])
    if not absent:
        return []
    more = int(detail.get("missing_count") or len(absent)) - min(len(absent), 10)
    shown = ", ".join(absent[:10]) + (f" and {more} more" if more > 0 else "")
    return [f"缺少 missing {shown}"]


# Where the failing rows are (partial_unexpected_index_list, for the examples) comes with
# the SUMMARY format only; BASIC has every count and costs a quarter less (23 batches of
# 2025: 0.8 against 1.1 s). A batch is validated with BASIC, and the expectations that
# failed again with SUMMARY (a warning fails in most survey batches: the repeat
# respondents; at 10 million rows the suite costs about 2.5 s a run).
_COUNTS = {"result_format": "BASIC", "partial_unexpected_count": 20}
_PLACES = {"result_format": "SUMMARY", "partial_unexpected_count": 20}


def _run_suite(plan: SuitePlan, frame) -> list[ExpectationOutcome]:
    batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
    results = [res if res.success else batch.validate(
        res.expectation_config.to_domain_obj(), result_format=_PLACES)
        for res in batch.validate(plan.suite, result_format=_COUNTS).results]
    outcomes = []
    for res in results:
        config = res.expectation_config
        kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id",)}
        column = kwargs.get("column") or kwargs.get("column_A")
        if column == "valid_max":  # the upper-bound check is written as valid_max >= value
            column = kwargs.get("column_B")
        detail = res.result or {}
        if res.exception_info and res.exception_info.get("raised_exception"):
            detail = {"observed_value": res.exception_info.get("exception_message")}
        outcomes.append(ExpectationOutcome(
            expectation_type=config.type,
            column=column,
            kwargs=kwargs,
            severity=(config.meta or {}).get("severity", "error"),
            rule=(config.meta or {}).get("rule", ""),
            success=bool(res.success),
            unexpected_count=detail.get("unexpected_count"),
            unexpected_percent=detail.get("unexpected_percent"),
            examples=[] if res.success else (
                _missing(detail) or _examples(frame, detail, plan, column,
                                              (config.meta or {}).get("bound"))),
        ))
    return outcomes


# Where a correction could erase delivered values: per source kind, the raw table, the key
# of one value, the value's column, the heading as delivered (n: the correction, p: the
# batch in force), the value's place in the correction and the unit values are stored in
# (the seeds are registered by suites.batch_frame).
_VARIABLE_UNIT = ("(select any_value(unit_zh) from seed_ref_variables as v "
                  "where v.variable_code = p.variable_code)")
_ROW = "'data row ' || n.row_number"
CORRECTED_VALUES = {
    "department_file": ("department_values", ("area_code", "variable_code"), "value",
                        "coalesce(n.column_label, p.column_label)", _ROW, _VARIABLE_UNIT),
    "third_party_file": ("third_party_values", ("area_code", "indicator_code"), "value",
                         f"'{third_party_file.VALUE}'", _ROW,
                         "(select any_value(unit_zh) from seed_ref_indicators as i "
                         "where i.indicator_code = p.indicator_code)"),
    "department_feed": ("monitoring_values", ("area_code", "variable_code"), "value",
                        "coalesce(n.variable_label, p.variable_label)",
                        "'page ' || n.page || ' item ' || n.item", _VARIABLE_UNIT),
    "task_register": ("task_progress", ("task_code", "city_code"), "progress_pct",
                      f"'{task_register.headings()['progress_pct']}'", _ROW, "''"),
    "project_register": ("project_progress", ("project_id", "area_code"), "progress_pct",
                         f"'{project_register.headings()['progress_pct']}'", _ROW, "''"),
}
MAX_LISTED = 200  # erased values listed one by one in error.txt


def erased_values(con: duckdb.DuckDBPyConnection, kind: str, batch_id: str,
                  source_id: str, period: str) -> ExpectationOutcome | None:
    """A correction (a newer delivery of the same source and period) must not turn values
    already delivered into missing ones: compared with the batch in force (promoted),
    every value that it holds and this batch leaves empty or leaves out."""
    if kind not in CORRECTED_VALUES:
        return None
    table, key, column, heading, place, unit = CORRECTED_VALUES[kind]
    in_force = [b for (b,) in con.execute(
        "select batch_id from raw.load_batches where source_id = ? and period = ? "
        "and status = 'promoted' and batch_id <> ?", [source_id, period, batch_id]).fetchall()]
    if not in_force:
        return None
    joined = " and ".join(f"n.{k} = p.{k}" for k in key)
    lost = con.execute(f"""
        select p.{key[0]}, p.{key[1]}, p.{column}, {heading} as heading, {unit} as unit,
               case when n.{key[0]} is null then null else {place} end as place
        from raw.{table} as p
        left join (select * from raw.{table} where batch_id = $batch) as n on {joined}
        where p.batch_id in (select unnest($in_force::varchar[]))
          and p.{column} is not null and n.{column} is null
        order by p.{key[0]}, p.{key[1]}
    """, {"batch": batch_id, "in_force": in_force}).fetchall()
    examples = []
    for first, second, value, label, unit, where in lost[:MAX_LISTED]:
        at = f"{where}, column {label}" if where else f"column {label}, 整行缺少 row absent"
        examples.append(f"{at}: 空 empty, 已报送 delivered before {_number(value)}"
                        f"{unit or ''} ({first}/{second})")
    return ExpectationOutcome(
        expectation_type="correction_keeps_delivered_values", column=column,
        kwargs={"compared_with": in_force}, severity="error",
        rule=message("corrections", "keeps_delivered_values"), success=not lost,
        unexpected_count=len(lost), unexpected_percent=None, examples=examples)


def _store(con: duckdb.DuckDBPyConnection, validation: BatchValidation) -> None:
    con.execute(
        "insert into quality.validation_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [validation.run_id, validation.batch_id, validation.source_id, validation.period,
         validation.suite_name, validation.success, len(validation.outcomes),
         sum(o.success for o in validation.outcomes), len(validation.errors),
         len(validation.warnings), validation.rows, datetime.now(UTC).replace(tzinfo=None),
         str(validation.data_docs_path) if validation.data_docs_path else None],
    )
    if not validation.outcomes:
        return
    # one statement for every outcome: executemany runs the insert once per row
    rows = [[validation.run_id, validation.batch_id, o.expectation_type, o.column,
             json.dumps(o.kwargs, ensure_ascii=False, default=str), o.severity, o.rule,
             o.success, o.unexpected_count, o.unexpected_percent,
             json.dumps(o.examples, ensure_ascii=False, default=str)]
            for o in validation.outcomes]
    placeholders = ", ".join(["(" + ", ".join("?" * len(rows[0])) + ")"] * len(rows))
    con.execute(f"insert into quality.validation_results values {placeholders}",
                [value for row in rows for value in row])


def _quarantine(validation: BatchValidation, archive_path: str | None) -> None:
    """The batch's folder in quarantine: the delivery under the name it was delivered
    with, ``error.txt`` (the error contract: file, row, column heading, the rule in
    words) and the full results in ``validation_report.json``."""
    target = settings().quarantine_dir / validation.batch_id.replace(":", "_")
    target.mkdir(parents=True, exist_ok=True)
    if archive_path and Path(archive_path).exists():
        name = Path(validation.file).name or Path(archive_path).name
        shutil.copy2(archive_path, target / name)
    (target / "error.txt").write_text(validation.error_text(), encoding="utf-8")
    report = {
        "batch_id": validation.batch_id,
        "summary": validation.summary(),
        "failed": [o.__dict__ for o in validation.errors],
        "warnings": [o.__dict__ for o in validation.warnings],
    }
    (target / "validation_report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def validate_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> BatchValidation:
    """Validate one batch, store the results and promote or quarantine it."""
    ensure_quality_tables(con)
    found = con.execute(
        "select source_id, period, archive_path, original_name from raw.load_batches "
        "where batch_id = ?",
        [batch_id],
    ).fetchone()
    if found is None:
        raise KeyError(f"no batch {batch_id!r} in raw.load_batches")
    source_id, period, archive_path, file = found
    spec = source(source_id)
    year = Period.parse(period).check_year
    plan = plan_for(spec.kind, spec.department, year)
    frame = batch_frame(con, plan, batch_id, year)
    outcomes = _run_suite(plan, frame)
    erased = erased_values(con, spec.kind, batch_id, source_id, str(period))
    if erased is not None:
        outcomes.append(erased)
    validation = BatchValidation(
        run_id=uuid.uuid4().hex, batch_id=batch_id, source_id=source_id, period=str(period),
        suite_name=plan.name, rows=len(frame), outcomes=outcomes, file=file or "",
    )
    validation.data_docs_path = data_docs.write_run_page(validation)
    _store(con, validation)
    if validation.success:
        con.execute("update raw.load_batches set status = 'promoted', error = null "
                    "where batch_id = ?", [batch_id])
        # a corrected delivery in force: the batch it corrects leaves the current view
        con.execute("update raw.load_batches set status = 'superseded' where batch_id = "
                    "(select supersedes_batch_id from raw.load_batches where batch_id = ?) "
                    "and status = 'promoted'", [batch_id])
    else:
        con.execute("update raw.load_batches set status = 'quarantined', error = ? "
                    "where batch_id = ?", [validation.summary(), batch_id])
        _quarantine(validation, archive_path)
    log.info(validation.summary())
    return validation


def validate_pending(source_id: str | None = None,
                     period: str | None = None) -> list[BatchValidation]:
    """Validate every batch waiting in status 'loaded' (optionally of one source/period)."""
    results = []
    with writer() as con:
        ensure_quality_tables(con)
        query = "select batch_id from raw.load_batches where status = 'loaded'"
        params: list = []
        if source_id:
            query += " and source_id = ?"
            params.append(source_id)
        if period:
            query += " and period = ?"
            params.append(str(period))
        for (batch_id,) in con.execute(query + " order by received_at, batch_id",
                                       params).fetchall():
            results.append(validate_batch(con, batch_id))
        data_docs.write_index(con)
    return results


def raise_if_failed(results: list[BatchValidation]) -> None:
    failed = [r for r in results if not r.success]
    if failed:
        lines = "\n".join("- " + r.summary().replace("\n", "\n  ") for r in failed)
        raise ValidationFailed(
            f"{len(failed)} of {len(results)} batches failed validation and were "
            f"quarantined:\n{lines}")
