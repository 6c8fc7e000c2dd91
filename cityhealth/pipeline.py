"""The steps the DAGs run, as plain functions (importable, unit-tested).

DAG files only wire these together. Each step is idempotent for its period:
running it twice leaves the warehouse as running it once.
"""

from __future__ import annotations

import logging
from datetime import datetime

import pendulum
import yaml

from cityhealth.settings import SOURCES_FILE

log = logging.getLogger(__name__)

TIMEZONE = "Asia/Shanghai"


class StepFailed(RuntimeError):
    """A step finished its work but some of it failed; the message says what, briefly."""


def check_year_of(data_interval_start: datetime) -> int:
    """The check year a yearly run covers: the year its data interval starts in (China time)."""
    return pendulum.instance(data_interval_start).in_timezone(TIMEZONE).year


def sources_with_cadence(cadence: str) -> list[str]:
    """Source ids of one cadence, in the order of ingestion/sources.yaml."""
    raw = yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))["sources"]
    return [source_id for source_id, spec in raw.items() if spec["cadence"] == cadence]


def ingest(source_id: str, period: str) -> dict[str, int]:
    """Load every new delivery of one source for one period into the raw layer."""
    from ingestion.run import ingest_source

    outcomes = ingest_source(source_id, period)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        log.info("%s %s %s rows=%s", outcome.status, outcome.batch_id, outcome.file, outcome.rows)
    failed = [o for o in outcomes if o.status == "quarantined"]
    if failed:
        lines = "\n".join(f"- {o.error}" for o in failed[:5])
        summary = f"{len(failed)} of {len(outcomes)} deliveries quarantined"
        raise StepFailed(f"{source_id} {period}: {summary}\n{lines}")
    return counts


def validate(source_id: str, period: str) -> dict[str, int]:
    """Validate the loaded batches of one source; promote the good, quarantine the bad."""
    from expectations.gate import raise_if_failed, validate_pending

    results = validate_pending(source_id=source_id, period=period)
    raise_if_failed(results)
    return {"validated": len(results)}


def build_marts(check_year: int) -> None:
    """dbt build (seeds, models, tests) for the check year."""
    from warehouse.dbt import build

    build(check_year=check_year)


def publish_release(period: str, run_id: str) -> str:
    """Snapshot the published schema as an immutable release; returns its folder."""
    from warehouse.release import publish

    release = publish(period, run_id=run_id)
    log.info("release %s (%s) tables=%s", release.release_id,
             "new" if release.is_new else "unchanged", release.tables)
    return str(release.path)


def write_reports(period: str) -> list[str]:
    """The annual check report of every city, from the latest release."""
    from reports.annual import write_annual_reports

    report_set = write_annual_reports(int(period))
    log.info("%d reports written, index %s", len(report_set.files), report_set.index)
    return [str(p) for p in report_set.files]
