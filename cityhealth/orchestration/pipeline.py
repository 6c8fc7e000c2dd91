"""The steps the DAGs run, as plain functions (importable; the period logic is
unit-tested in tests/orchestration/test_pipeline_periods.py).

DAG files only wire these together. Each step is idempotent for its period:
running it twice leaves the warehouse as running it once. A period travels between
tasks as its label (``2025``, ``2025-07``, ``2025-Q3``, ``plan-2021-2025``,
``appraisal-2025``) and is parsed once per step by :class:`cityhealth.core.periods.Period`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from cityhealth.core.periods import Period

log = logging.getLogger(__name__)

class StepFailed(RuntimeError):
    """A step finished its work but some of it failed; the message says what, briefly."""


DBT_STEPS = (
    # task ids, each the name of its YAML selector (dbt_project/selectors.yml), built in
    # this order with `dbt build`. A step runs its nodes and every data test whose
    # parents are in the step or upstream of it, so each data test runs once (a test on
    # the reference data alone with it), and a failing model or test fails its own
    # step's task.
    # The reference data (the seeds and their staging views, settings.REFERENCE_MODELS)
    # is a step of its own because it is left out while it has not changed (most runs):
    # 16 views and 31 data tests, about 2.5 s of every annual run.
    # Every other model, staging to published, is one invocation: dbt's start-up (the
    # parse check, the adapter, the warehouse's relations) is paid once a run, and the
    # threads run one layer's tests while the next layer's models build (five layer
    # tasks took about 8 s more of an annual run). dbt still builds a model only after
    # its parents' tests passed, and the failure names the model or test.
    # Unit tests test the SQL, not the data: they run in development and CI (`make test`
    # builds the project with them, for more than one check year), not in every
    # scheduled run – as dbt recommends. tests/dbt/test_dbt_layers.py checks both.
    "reference",
    "models",
)


# What a monthly or quarterly run rebuilds when the rest of the warehouse is current
# (build_step, scope "supervision"): the models downstream of the raw tables its
# sources load (the departments' feeds, the task and project registers, the treatment
# register of the objects' problems), down to their
# published views, instead of the whole project.
SUPERVISION_SOURCES = ("source:raw.monitoring_values+", "source:raw.task_progress+",
                       "source:raw.project_progress+", "source:raw.object_treatment+")
SUPERVISION_CADENCES = ("monthly", "quarterly")
SCOPES = ("all", "supervision")


def dbt_step_args(step: str, scope: str = "all") -> list[str]:
    """The dbt command line of one step (DBT_STEPS); scope "supervision": only the models
    (and their tests) downstream of SUPERVISION_SOURCES, which the reference step has
    none of."""
    if scope == "all":
        if step not in DBT_STEPS:
            raise ValueError(f"unknown dbt step {step!r} (one of {', '.join(DBT_STEPS)})")
        return ["build", "--selector", step]
    if scope != "supervision":
        raise ValueError(f"unknown dbt scope {scope!r} (one of {', '.join(SCOPES)})")
    if step == "reference":
        raise ValueError("the reference step has no supervision scope: it builds whole "
                         "or not at all")
    return ["build", "--select", *(f"path:models,{source}" for source in SUPERVISION_SOURCES),
            "--exclude", "test_type:unit", "--indirect-selection", "buildable"]


def run_period(kind: str, data_interval_start: datetime | None, dag_run=None) -> str:
    """The period a clock-scheduled run covers, as its label.

    In order: the run's conf ``period`` (a manual run for a chosen period), its data
    interval (scheduled runs, backfills, manual runs with a logical date), else – a
    manual run without a logical date – the last period of the kind that has ended
    when the run was asked for (on 2026-03-10: check year 2025, month 2026-02).
    """
    conf = getattr(dag_run, "conf", None) or {}
    if conf.get("period"):
        period = Period.parse(conf["period"])
        if period.kind != kind:
            raise StepFailed(f"conf period {conf['period']!r} is not a {kind} period")
        return period.label
    if data_interval_start is not None:
        return Period.of_interval(kind, data_interval_start).label
    moment = getattr(dag_run, "run_after", None) or getattr(dag_run, "queued_at", None)
    if moment is None:
        raise StepFailed(f"the run has neither a data interval nor a run date: "
                         f"cannot tell which {kind} period it covers")
    return Period.last_complete(kind, moment).label


def sources_with_cadence(cadence: str) -> list[str]:
    """Source ids of one cadence, in the order of cityhealth/ingestion/sources.yaml."""
    from cityhealth.ingestion.registry import sources

    return [s.source_id for s in sources().values() if s.cadence == cadence]


def ingest(source_id: str, period: str) -> dict[str, int]:
    """Load every new delivery of one source for one period into the raw layer.

    Every delivery is loaded or quarantined on its own. When one was quarantined, the
    step fails – after it has validated the source's loaded batches, so that the good
    deliveries beside a bad one are promoted in the same run (the validate task that
    follows a failed ingest does not run). The failure names every bad delivery.
    """
    from cityhealth.ingestion.run import ingest_source

    label = Period.parse(period).label
    outcomes = ingest_source(source_id, label)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        if outcome.note:
            counts["retried"] = counts.get("retried", 0) + 1
            log.warning("%s: %s", source_id, outcome.note)
        log.info("%s %s %s rows=%s", outcome.status, outcome.batch_id, outcome.file, outcome.rows)
    failed = [o.error for o in outcomes if o.status == "quarantined"]
    if not failed:
        return counts
    # only now: importing Great Expectations costs an ingest task about 2 s
    from cityhealth.expectations.gate import validate_pending

    validated = validate_pending(source_id=source_id, period=label)
    promoted = [v.file for v in validated if v.success]
    failed += [v.summary() for v in validated if not v.success]
    notes = [f"- {o.note}" for o in outcomes if o.note]
    lines = "\n".join("- " + error.replace("\n", "\n  ") for error in failed[:5])
    more = f"\n- and {len(failed) - 5} more" if len(failed) > 5 else ""
    passed = (f"; validated and promoted beside them: {', '.join(promoted)}" if promoted
              else "")
    raise StepFailed("\n".join([
        f"{source_id} {period}: {len(failed)} of {len(outcomes)} deliveries quarantined"
        f"{passed}", *notes, lines + more]))


def validate(source_id: str, period: str) -> dict[str, int]:
    """Validate the loaded batches of one source; promote the good, quarantine the bad."""
    from cityhealth.expectations.gate import raise_if_failed, validate_pending

    results = validate_pending(source_id=source_id, period=Period.parse(period).label)
    raise_if_failed(results)
    return {"validated": len(results)}


def dbt_vars(period: str) -> dict[str, int]:
    """What dbt receives for a period: its check year and the years of its plan period
    (``ref_plan_periods``, :meth:`Period.dbt_vars`)."""
    return Period.parse(period).dbt_vars()


def build_step(step: str, period: str, scope: str = "all") -> str:
    """dbt build of one step (DBT_STEPS: the reference data, or every other model) for a
    period (vars: :func:`dbt_vars`).

    Leaves out what would come out the same (``cityhealth.warehouse.dbt_state``):

    * the reference data (the seeds and their staging views), while it, its
      configuration and tests are those last built into this warehouse;
    * the models, while the warehouse is what this build would make: its last build
      (whole, or the supervision part on top of a current rest) was of the same project
      and vars from the same deliveries, every source's. The five-year assessment and
      the appraisal that follow the plan's last check year build with that year's vars,
      so they find the warehouse their annual run left;
    * with ``scope="supervision"`` (monthly and quarterly runs), every model that its
      sources do not feed, while the warehouse was last built whole from the same
      project, vars and annual deliveries: then only SUPERVISION_SOURCES' descendants.
      Otherwise the models are built whole, and a whole build records that.

    Returns what was done: "reference built", "reference unchanged", "unchanged",
    "whole" or "supervision".
    """
    from cityhealth.warehouse import dbt_state
    from cityhealth.warehouse.connection import write_slot
    from cityhealth.warehouse.dbt import run_dbt

    run_vars = dbt_vars(period)
    last = step == DBT_STEPS[-1]
    with write_slot() as con:  # the check, the build and its record: one writer
        if step == "reference":
            fingerprint = dbt_state.reference_fingerprint()
            if dbt_state.reference_current(con, fingerprint):
                log.info("the seeds, their staging views, configuration and tests are "
                         "unchanged since they were last built into this warehouse (%s): "
                         "the reference step is left out", fingerprint[:12])
                return "reference unchanged"
            dbt_state.forget(con, dbt_state.REFERENCE, dbt_state.MODELS, dbt_state.WHOLE)
            run_dbt(dbt_step_args(step), vars=run_vars)
            dbt_state.record(con, dbt_state.REFERENCE, fingerprint)
            return "reference built"
        whole, fingerprint = dbt_state.models_fingerprints(run_vars, *_batches(con))
        if dbt_state.recorded(con, dbt_state.WHOLE) == whole:
            log.info("the warehouse is what this build would make (its last build was of "
                     "the same project and vars %s from the same deliveries): %s not "
                     "built again", run_vars, step)
            return "unchanged"
        dbt_state.forget(con, dbt_state.WHOLE)
        if scope == "supervision" and dbt_state.recorded(con, dbt_state.MODELS) == fingerprint:
            log.info("the warehouse was last built whole for the same vars, project and "
                     "annual deliveries: %s rebuilds only what the feeds and registers feed",
                     step)
            run_dbt(dbt_step_args(step, scope), vars=run_vars)
            if last:
                dbt_state.record(con, dbt_state.WHOLE, whole)
            return "supervision"
        dbt_state.forget(con, dbt_state.MODELS)
        run_dbt(dbt_step_args(step), vars=run_vars)
        if last:
            dbt_state.record(con, dbt_state.MODELS, fingerprint)
            dbt_state.record(con, dbt_state.WHOLE, whole)
        return "whole"


def _batches(con) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(batch, status) of every batch: of every source, and of every source outside
    SUPERVISION_CADENCES (what a whole build read besides the feeds and registers)."""
    from cityhealth.ingestion.registry import sources

    supervision = {s.source_id for s in sources().values()
                   if s.cadence in SUPERVISION_CADENCES}
    known = sorted(sources())
    exists = con.execute("select count(*) from information_schema.tables where "
                         "table_catalog = current_database() and table_schema = 'raw' "
                         "and table_name = 'load_batches'").fetchone()[0]
    if not exists or not known:
        return [], []
    rows = con.execute(
        "select source_id, batch_id, status from raw.load_batches where source_id in "
        f"({', '.join('?' for _ in known)}) order by batch_id", known).fetchall()
    return ([(batch, status) for _source, batch, status in rows],
            [(batch, status) for source, batch, status in rows if source not in supervision])


def latest_annual_period() -> str:
    """The check year of the newest annual release (what an asset-triggered run follows):
    the release ``releases/latest-annual`` points at."""
    from cityhealth.warehouse.release import latest_release_dir

    folder = latest_release_dir("annual")
    if not folder.exists():
        raise StepFailed("no annual release yet: run annual_health_check first")
    return Period.parse(folder.resolve().parent.name).label


def triggered_period(triggering_asset_events, dag_run) -> str:
    """The check year an asset-triggered run follows.

    From the triggering release's event (extra ``period``), else the run's conf
    ``check_year`` (manual runs), else the newest annual release.
    """
    for events in (triggering_asset_events or {}).values():
        for event in events:
            period = (event.extra or {}).get("period")
            if period:
                return Period.parse(period).label
    conf = getattr(dag_run, "conf", None) or {}
    if conf.get("check_year"):
        return Period.parse(conf["check_year"]).label
    return latest_annual_period()


def plan_period(period: str) -> Period:
    """The plan period of a period's check year (``ref_plan_periods``): what the
    five-year assessment following that check year assesses."""
    return Period.plan_of(Period.parse(period).check_year)


def is_plan_end(period: str) -> bool:
    """Whether a period's check year closes its plan period (2025 closes 2021–2025)."""
    return Period.parse(period).check_year == plan_period(period).last_year


def appraisal_period(period: str) -> str:
    """The appraisal release label of a check year: appraisal-2025."""
    return Period.appraisal_of(Period.parse(period).check_year).label


def publish_release(period: str, run_id: str) -> dict:
    """Snapshot the published schema as an immutable release.

    Returns ``{"folder": ..., "is_new": ...}``: the same data published again give the
    same release (``is_new`` false), which the DAG does not announce again.
    """
    from cityhealth.warehouse.release import publish

    release = publish(Period.parse(period).label, run_id=run_id)
    log.info("release %s (%s) tables=%s", release.release_id,
             "new" if release.is_new else "unchanged, already published", release.tables)
    return {"folder": str(release.path), "is_new": bool(release.is_new)}


def write_reports(kind: str, period: str, release_dir: str | None = None) -> list[str]:
    """The reports of one kind for the period, from the given release (default: latest)."""
    from cityhealth.core.settings import settings
    from cityhealth.reports import writer
    from cityhealth.reports.documents import write_documents

    formats = settings().report_documents
    report_set = writer(kind, formats)(Period.parse(period).label,
                                       Path(release_dir) if release_dir else None)
    # Word and PDF beside each report page (not the annual reports' list of cities):
    # those the writer did not write beside its pages itself
    pending = [p for p in report_set.files
               if p.suffix == ".html" and p not in report_set.documents]
    documents = [*(f for files in report_set.documents.values() for f in files),
                 *write_documents(pending, formats)]
    log.info("%s reports for %s: %d files (%d Word/PDF), open %s", kind, period,
             len(report_set.files) + len(documents), len(documents), report_set.index)
    return [str(p) for p in [*report_set.files, *documents]]
