"""The steps the DAGs run, as plain functions (importable, unit-tested).

DAG files only wire these together. Each step is idempotent for its period:
running it twice leaves the warehouse as running it once.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pendulum

log = logging.getLogger(__name__)

TIMEZONE = "Asia/Shanghai"


class StepFailed(RuntimeError):
    """A step finished its work but some of it failed; the message says what, briefly."""


DBT_LAYERS = {
    # task id: dbt command. Run in this order; each layer's `dbt build` runs its models
    # and the tests whose parents are all in the layer, so a failing model or test fails
    # its layer's task; the last task runs every test again, including those that span
    # layers (a staging column's relationship to a seed).
    "seeds": ["build", "--select", "resource_type:seed"],
    "staging": ["build", "--select", "path:models/staging"],
    "intermediate": ["build", "--select", "path:models/intermediate"],
    "marts": ["build", "--select", "path:models/marts"],
    "published": ["build", "--select", "path:models/published"],
    "tests": ["test"],
}


def check_year_of(data_interval_start: datetime) -> int:
    """The check year a yearly run covers: the year its data interval starts in (China time)."""
    return pendulum.instance(data_interval_start).in_timezone(TIMEZONE).year


def period_of(cadence: str, data_interval_start: datetime) -> str:
    """The period a run covers: '2025' (annual), '2025-07' (monthly), '2025-Q3' (quarterly)."""
    start = pendulum.instance(data_interval_start).in_timezone(TIMEZONE)
    if cadence == "annual":
        return str(start.year)
    if cadence == "monthly":
        return f"{start.year}-{start.month:02d}"
    if cadence == "quarterly":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    raise ValueError(f"unknown cadence {cadence!r}")


def sources_with_cadence(cadence: str) -> list[str]:
    """Source ids of one cadence, in the order of ingestion/sources.yaml."""
    from ingestion.registry import sources

    return [s.source_id for s in sources().values() if s.cadence == cadence]


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


def build_layer(layer: str, period: str) -> None:
    """dbt build of one layer (DBT_LAYERS) for the year of a period."""
    from warehouse.dbt import run_dbt

    args = [*DBT_LAYERS[layer]]
    if args[0] == "build":
        args += ["--indirect-selection", "cautious"]
    run_dbt(args, vars={"check_year": int(period[:4])})


def latest_annual_period() -> str:
    """The check year of the newest annual release (what an asset-triggered run follows)."""
    from cityhealth.settings import settings

    years = sorted(p.name for p in settings().releases_dir.glob("[0-9][0-9][0-9][0-9]")
                   if p.is_dir())
    if not years:
        raise StepFailed("no annual release yet: run annual_health_check first")
    return years[-1]


def triggered_period(triggering_asset_events, dag_run) -> str:
    """The check year an asset-triggered run follows.

    From the triggering release's event (extra ``period``), else the run's conf
    ``check_year`` (manual runs), else the newest annual release.
    """
    for events in (triggering_asset_events or {}).values():
        for event in events:
            period = (event.extra or {}).get("period")
            if period:
                return str(period)
    conf = getattr(dag_run, "conf", None) or {}
    if conf.get("check_year"):
        return str(conf["check_year"])
    return latest_annual_period()


def plan_period_label() -> str:
    """The release label of the five-year assessment, e.g. plan-2021-2025."""
    from cityhealth.settings import settings

    start, end = settings().profile.plan_period
    return f"plan-{start}-{end}"


def is_plan_end(period: str) -> bool:
    """Whether a check year closes the plan period (config/<profile>.yaml plan_period)."""
    from cityhealth.settings import settings

    return int(period) == settings().profile.plan_period[1]


def publish_release(period: str, run_id: str) -> str:
    """Snapshot the published schema as an immutable release; returns its folder."""
    from warehouse.release import publish

    release = publish(period, run_id=run_id)
    log.info("release %s (%s) tables=%s", release.release_id,
             "new" if release.is_new else "unchanged", release.tables)
    return str(release.path)


def write_reports(kind: str, period: str, release_dir: str | None = None) -> list[str]:
    """The reports of one kind for the period, from the given release (default: latest)."""
    from reports import writer

    report_set = writer(kind)(period, Path(release_dir) if release_dir else None)
    log.info("%s reports for %s: %d files, open %s", kind, period, len(report_set.files),
             report_set.index)
    return [str(p) for p in report_set.files]
