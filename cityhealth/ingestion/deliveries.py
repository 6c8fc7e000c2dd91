"""Deliveries: every file kept as received, recorded as a batch, loaded or quarantined.

* A delivery is archived byte for byte (``archive/<sha256>.<ext>``) and recorded in
  ``raw.load_batches`` before it is parsed, so nothing received is ever lost.
* The same bytes delivered again for the same source are a no-op, once the first
  delivery of them counts as received: loaded (or validated since) or quarantined. A
  delivery whose load was interrupted (the process killed between its ledger row and
  the commit of its status: a power cut, the OOM killer, a task killed by the
  scheduler) still has status ``received``, and whatever rows it left are read by
  nothing downstream; the next run deletes them, loads it again and says so.
* A corrected delivery for a period records which batch it corrects
  (``supersedes_batch_id``); when it passes validation the earlier batch becomes
  ``superseded`` and leaves the current view, but stays queryable.
* A delivery that cannot be parsed is ``quarantined``: its copy and ``error.txt``
  go to ``quarantine/<batch_id>/``; the other deliveries go on.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from cityhealth.core.settings import settings
from cityhealth.ingestion.checks import CHINA
from cityhealth.ingestion.registry import Source


@dataclass(frozen=True)
class Delivery:
    source: Source
    period: str
    path: Path
    sha256: str
    bytes: int

    @property
    def batch_id(self) -> str:
        return f"{self.source.source_id}:{self.period}:{self.sha256[:12]}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def delivery_of(source: Source, period: str, path: Path) -> Delivery:
    return Delivery(source, str(period), path, sha256_of(path), path.stat().st_size)


def now() -> datetime:
    """China wall-clock time, as the warehouse stores timestamps."""
    return datetime.now(CHINA).replace(tzinfo=None)


# The raw tables a batch's rows go to (cityhealth/warehouse/raw_schema.sql).
RAW_TABLES = ("department_values", "third_party_values", "survey_responses",
              "monitoring_values", "task_progress", "project_progress", "check_objects",
              "object_findings", "object_treatment")


def already_received(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> str | None:
    """The batch that already holds these bytes for this source, if any: one whose load
    finished (loaded, promoted, superseded) or that was quarantined. A batch still in
    ``received`` was interrupted and does not count (:func:`interrupted`)."""
    found = con.execute(
        "select batch_id from raw.load_batches where source_id = ? and sha256 = ? "
        "and status <> 'received' order by received_at limit 1",
        [delivery.source.source_id, delivery.sha256]).fetchone()
    return found[0] if found else None


def interrupted(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> bool:
    """Whether an earlier load of this delivery began and never ended (status
    ``received``: the ledger row is written before the load's transaction)."""
    found = con.execute("select count(*) from raw.load_batches where batch_id = ? "
                        "and status = 'received'", [delivery.batch_id]).fetchone()
    return bool(found[0])


def drop_rows(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> None:
    """Delete whatever rows of the batch the raw tables hold (a load that failed after
    committing its rows: see ``survey_export.load``)."""
    for table in RAW_TABLES:
        con.execute(f"delete from raw.{table} where batch_id = ?", [delivery.batch_id])


def forget_interrupted(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> None:
    """Clear what an interrupted load left: its ledger row and any of its rows (a large
    survey export's rows are committed a moment before its status), so that it is
    recorded and loaded again from the start."""
    drop_rows(con, delivery)
    con.execute("delete from raw.load_batches where batch_id = ? and status = 'received'",
                [delivery.batch_id])


def receive(source: Source, period: str, path: Path) -> tuple[Delivery, Path]:
    """The delivery and its copy in the archive, byte for byte and named by its content
    (``archive/<sha256>.<ext>``). The copy (the kernel's) runs in a thread while this
    one hashes the file, so a 3 GB export costs the longer of the two (about 2.3 s),
    not both (3.5 s). Bytes archived before (a duplicate, a retry) are kept as they are
    and the new copy is dropped."""
    folder = settings().archive_dir
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{uuid.uuid4().hex}{path.suffix.lower()}.part"
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            copying = pool.submit(shutil.copyfile, path, partial)
            delivery = delivery_of(source, period, path)
            copying.result()
        target = folder / f"{delivery.sha256}{path.suffix.lower()}"
        if not target.exists():
            partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)  # not renamed: archived before, or a failure
    return delivery, target


def record_received(con: duckdb.DuckDBPyConnection, delivery: Delivery, archived: Path,
                    delivered_by: str | None = None) -> None:
    con.execute(
        "insert into raw.load_batches (batch_id, source_id, period, original_name, "
        "archive_path, sha256, bytes, received_at, status, delivered_by) "
        "values (?, ?, ?, ?, ?, ?, ?, ?, 'received', ?)",
        [delivery.batch_id, delivery.source.source_id, delivery.period, delivery.path.name,
         str(archived), delivery.sha256, delivery.bytes, now(),
         delivered_by or delivery.source.department or delivery.source.source_id])


def current_batch(con: duckdb.DuckDBPyConnection, source_id: str, period: str,
                  excluding: str) -> str | None:
    """The batch now in force (promoted or waiting) for a source and period."""
    found = con.execute(
        "select batch_id from raw.load_batches where source_id = ? and period = ? "
        "and status in ('promoted', 'loaded') and batch_id <> ? "
        "order by received_at desc limit 1", [source_id, period, excluding]).fetchone()
    return found[0] if found else None


def record_loaded(con: duckdb.DuckDBPyConnection, delivery: Delivery, rows: int) -> None:
    supersedes = current_batch(con, delivery.source.source_id, delivery.period,
                               delivery.batch_id)
    con.execute(
        "update raw.load_batches set status = 'loaded', rows = ?, loaded_at = ?, "
        "supersedes_batch_id = ? where batch_id = ?",
        [rows, now(), supersedes, delivery.batch_id])


def quarantine(con: duckdb.DuckDBPyConnection, delivery: Delivery, archived: Path,
               error: str) -> Path:
    """Mark the batch quarantined and put a copy with its error in the quarantine folder."""
    con.execute("update raw.load_batches set status = 'quarantined', error = ? "
                "where batch_id = ?", [error, delivery.batch_id])
    folder = settings().quarantine_dir / delivery.batch_id.replace(":", "_")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(archived, folder / delivery.path.name)
    (folder / "error.txt").write_text(error + "\n", encoding="utf-8")
    return folder
