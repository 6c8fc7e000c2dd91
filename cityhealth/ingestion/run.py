"""Ingesting what has landed: every new delivery of a source and period, one batch each.

``ingest_source`` never stops at a bad delivery: each file ends as a batch that is
``loaded`` (waiting for validation), ``quarantined`` (with an error naming source,
file, row and column) or a ``duplicate`` (the same bytes again: nothing is written).
A delivery whose earlier load was interrupted (killed before it committed) is not a
duplicate: it is loaded again, and its outcome's ``note`` says so.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path

from cityhealth.ingestion import deliveries
from cityhealth.ingestion.errors import DeliveryError, problem
from cityhealth.ingestion.registry import Source, source, sources
from cityhealth.warehouse.connection import QueryTimeoutError, query_timeout, writer

log = logging.getLogger(__name__)

IGNORED_NAMES = (".", "~$")  # hidden files, office lock files


@dataclass(frozen=True)
class BatchOutcome:
    source_id: str
    period: str
    file: str
    batch_id: str
    status: str            # loaded | quarantined | duplicate
    rows: int | None = None
    error: str | None = None
    note: str | None = None  # e.g. "retrying <file>: an earlier load of it was interrupted"


def kind_module(kind: str):
    """The module that reads one kind of source (ingestion/<kind>.py)."""
    return importlib.import_module(f"cityhealth.ingestion.{kind}")


def pull(spec: Source, period: str) -> None:
    """A source the platform pulls (transport http): fetch the period's delivery into the
    landing folder with its kind's ``pull`` hook, so that it is loaded like a dropped file."""
    if not spec.is_pulled:
        return
    hook = getattr(kind_module(spec.kind), "pull", None)
    if hook is None:
        raise TypeError(f"{spec.source_id}: transport {spec.transport} but "
                        f"cityhealth/ingestion/{spec.kind}.py has no pull(source, period)")
    hook(spec, period)


def landed_files(spec: Source, period: str) -> list[Path]:
    """Deliveries waiting in the landing folder, oldest first (corrections come later)."""
    folder = spec.landing_dir(period)
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(IGNORED_NAMES)
             and not p.name.endswith(".part")]
    return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))


def ingest_file(spec: Source, period: str, path: Path) -> BatchOutcome:
    """Archive, record and load one delivered file; a bad one is quarantined."""
    delivery, archived = deliveries.receive(spec, period, path)
    with writer() as con:
        earlier = deliveries.already_received(con, delivery)
        if earlier:
            return BatchOutcome(spec.source_id, period, path.name, earlier, "duplicate")
        note = None
        if deliveries.interrupted(con, delivery):
            note = f"retrying {path.name}: an earlier load of it was interrupted"
            log.warning("%s: %s", spec.source_id, note)
            deliveries.forget_interrupted(con, delivery)
        deliveries.record_received(con, delivery, archived)
        # the load's transaction holds only what the load writes: a kind's load may roll
        # it back and begin again (the survey export's careful second read)
        con.begin()
        try:
            with query_timeout(con, f"load of {path.name} ({spec.source_id}, "
                                    f"batch {delivery.batch_id})"):
                rows = kind_module(spec.kind).load(con, spec, period, archived,
                                                   delivery.batch_id)
            deliveries.record_loaded(con, delivery, rows)
            con.commit()
        except QueryTimeoutError:
            # not the sender's fault: the task fails, the delivery stays received but not
            # loaded, and the next run loads it again (an interrupted load, see above)
            con.rollback()
            deliveries.drop_rows(con, delivery)
            raise
        except Exception as error:  # noqa: BLE001 - any failure quarantines this batch only
            con.rollback()
            deliveries.drop_rows(con, delivery)  # rows a load had committed already
            if isinstance(error, DeliveryError):
                message = str(DeliveryError(error.source_id, path.name, error.problems))
            else:
                message = f"{spec.source_id}: {path.name}: " + problem(
                    "not_loaded", f"could not be loaded: {type(error).__name__}: {error}").text()
                log.exception("unexpected failure loading %s", path)
            deliveries.quarantine(con, delivery, archived, message)
            log.error("quarantined %s: %s", delivery.batch_id, message)
            return BatchOutcome(spec.source_id, period, path.name, delivery.batch_id,
                                "quarantined", error=message, note=note)
    log.info("loaded %s: %s rows from %s", delivery.batch_id, rows, path.name)
    return BatchOutcome(spec.source_id, period, path.name, delivery.batch_id, "loaded", rows,
                        note=note)


def ingest_source(source_id: str, period: str) -> list[BatchOutcome]:
    """Every delivery that has landed for one source and period."""
    spec = source(source_id)
    pull(spec, str(period))
    return [ingest_file(spec, str(period), path) for path in landed_files(spec, str(period))]


def ingest_all(period: str, cadence: str = "annual") -> list[BatchOutcome]:
    """Every source of a cadence for one period (the demo and the command line)."""
    outcomes: list[BatchOutcome] = []
    for spec in sources().values():
        if spec.cadence == cadence:
            outcomes += ingest_source(spec.source_id, period)
    return outcomes
