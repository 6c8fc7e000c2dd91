"""Immutable, versioned releases of the published tables.

A release is a folder ``releases/<period>/<release_id>/`` holding one Parquet file
per published table, ``published.duckdb`` (the same tables copied in, so the file
is self-contained: it names no path and reads the same wherever the folder is
mounted or copied), the areas' outlines for maps (``boundaries.geojson`` and the
GeoParquet ``boundaries.parquet``, keyed by area_code like every published table;
:mod:`cityhealth.core.boundaries`) and ``manifest.json`` (period, run, row counts, checksums,
catalogue version, float precision). Folders are 0755 and files 0444: any user
may read a release, nobody changes it.

Which release is current is a relative symbolic link per period kind
(:mod:`cityhealth.core.periods`), swapped atomically, so analysts and BI tools that
open ``releases/latest/published.duckdb`` read one complete release while the
next one is being built, and never block a writer:

- ``releases/latest-<kind>`` (``latest-annual``, ``latest-monthly``,
  ``latest-quarterly``, ``latest-five_year``, ``latest-appraisal``) points at the
  newest release of that kind. It only moves forward in period: a release of a
  newer period moves it, a republish of the same period with other data moves it,
  a release of an older period does not.
- ``releases/latest`` is ``latest-annual``: the newest check year. A monthly,
  quarterly, five-year or appraisal release never moves it.

Reproducibility. The release id is derived from the content (the Parquet and boundary
files' checksums): publishing the same data twice gives the same release
(``is_new=False``) and changes no file and no link, not even ``latest`` (only a
scratch ``.building-*`` folder comes and goes). Two things make the bytes depend
on the data only:

- every row order is total (each table is sorted on all its columns);
- floating-point columns are fixed to a stated precision at publish, because a
  sum taken in another order differs in its last bits (~1e-15): ``DOUBLE`` values
  are rounded to 12 significant digits and ``FLOAT`` (``REAL``) values to 6
  (also inside ``DOUBLE[]``/``FLOAT[]`` lists), i.e. each value becomes the
  nearest binary number to its rounded decimal. The manifest states it under
  ``float_precision``. ``DECIMAL`` columns are exact and left as they are.

A publish killed part way leaves a ``.building-*`` folder beside the releases of
its period; the next publish removes such folders. Publishing runs entirely under
the warehouse writer lock (:func:`cityhealth.warehouse.connection.writer`), so a folder being
built is never mistaken for a stale one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from cityhealth.core import boundaries
from cityhealth.core.periods import KINDS, Period, PeriodError
from cityhealth.core.settings import REPO_ROOT, SEEDS_DIR, settings
from cityhealth.warehouse.connection import connect, ident, literal, writer

log = logging.getLogger(__name__)

PUBLISHED_SCHEMA = "published"
LATEST_LINK = "latest"  # the newest annual release (what BI tools open by default)
LATEST_PREFIX = "latest-"  # latest-annual, latest-monthly, ... (one per period kind)
DEFAULT_KIND = "annual"
RELEASE_DB = "published.duckdb"
MANIFEST = "manifest.json"
BOUNDARIES_GEOJSON = "boundaries.geojson"
BOUNDARIES_PARQUET = "boundaries.parquet"
BUILDING_PREFIX = ".building-"
DIR_MODE = 0o755
FILE_MODE = 0o444

# Significant digits kept of each floating-point type (see the module docstring).
FLOAT_DIGITS = {"DOUBLE": 12, "FLOAT": 6}
FLOAT_PRECISION = {
    "rule": "rounded to significant digits (the nearest binary value to the rounded decimal)",
    "significant_digits": dict(FLOAT_DIGITS),
}

_BUILD_CATALOG = "release_build"


@dataclass(frozen=True)
class Release:
    period: str
    release_id: str
    path: Path
    tables: dict[str, int]
    is_new: bool

    @property
    def database(self) -> Path:
        return self.path / RELEASE_DB


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _code_version() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"],
            capture_output=True, text=True, timeout=10, check=False,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def published_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? "
        "order by table_name",
        [PUBLISHED_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def _column_expr(name: str, data_type: str) -> str:
    """The column as published: floating-point values fixed to FLOAT_DIGITS."""
    column = ident(name)
    base = data_type.removesuffix("[]")
    digits = FLOAT_DIGITS.get(base)
    if digits is None:
        return column
    if data_type.endswith("[]"):
        fixed = f"list_transform({column}, lambda v: printf('%.{digits}g', v)::{base})"
    else:
        fixed = f"printf('%.{digits}g', {column})::{base}"
    return f"{fixed} as {column}"


def _copy_table(con: duckdb.DuckDBPyConnection, table: str, staging: Path) -> int:
    """Copy one published table into the release database, then to its Parquet file."""
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [PUBLISHED_SCHEMA, table],
    ).fetchall()
    select = ", ".join(_column_expr(name, data_type) for name, data_type in columns)
    # A total order (on the published values) makes the Parquet bytes reproducible.
    order = ", ".join(str(i) for i in range(1, len(columns) + 1))
    target = f"{_BUILD_CATALOG}.main.{ident(table)}"
    con.execute(
        f"create table {target} as select {select} "
        f"from {PUBLISHED_SCHEMA}.{ident(table)} order by {order}"
    )
    con.execute(
        f"copy {target} to {literal(staging / f'{table}.parquet')} "
        "(format parquet, compression zstd)"
    )
    return con.execute(f"select count(*) from {target}").fetchone()[0]


def _build(con: duckdb.DuckDBPyConnection, staging: Path, tables: list[str]) -> dict[str, int]:
    """Write published.duckdb (tables, no paths) and one Parquet file per table.

    The tables are copied by as many threads as DuckDB has (each on its own cursor of
    the same database): most published tables are a few thousand rows, which DuckDB
    reads, sorts and writes on one of its threads."""
    con.execute(f"attach {literal(staging / RELEASE_DB)} as {_BUILD_CATALOG}")
    try:
        workers = max(1, min(len(tables), settings().duckdb_threads))
        cursors = [con.cursor() for _ in range(workers)]
        try:
            with ThreadPoolExecutor(workers) as pool:
                counts = pool.map(lambda k: [(t, _copy_table(cursors[k], t, staging))
                                             for t in tables[k::workers]], range(workers))
                found = dict(pair for share in counts for pair in share)
        finally:
            for cursor in cursors:
                cursor.close()
        return {table: found[table] for table in tables}
    finally:
        con.execute(f"detach {_BUILD_CATALOG}")


def _write_boundaries(staging: Path) -> dict:
    """The areas' outlines as GeoJSON and GeoParquet; their manifest entry.

    ``BoundaryError`` (naming the area code) when an area of ref_areas has no outline:
    a release never carries a map with an area missing.
    """
    outlines = boundaries.boundaries()
    (staging / BOUNDARIES_GEOJSON).write_text(
        json.dumps(boundaries.geojson(outlines), ensure_ascii=False, separators=(",", ":")),
        encoding="utf-8")
    pq.write_table(boundaries.geoarrow_table(outlines), staging / BOUNDARIES_PARQUET,
                   compression="zstd")
    return {
        "areas": len(outlines),
        "source": boundaries.source_version(),
        "coordinates": "GCJ-02 longitude/latitude",
        "simplify_tolerance_deg": boundaries.SIMPLIFY_TOLERANCE_DEG,
        "files": {name: _sha256(staging / name)
                  for name in (BOUNDARIES_GEOJSON, BOUNDARIES_PARQUET)},
    }


def _chmod(path: Path, mode: int) -> None:
    """Set a mode where we may (a releases folder mounted from elsewhere may refuse)."""
    try:
        path.chmod(mode)
    except PermissionError:
        log.warning("cannot chmod %o %s", mode, path)


def _remove_stale_builds(releases_dir: Path) -> None:
    """Remove what a killed publish left behind. Call only while holding the writer lock."""
    for stale in sorted(releases_dir.glob(f"*/{BUILDING_PREFIX}*")):
        log.warning("removing %s, left by an interrupted publish", stale)
        shutil.rmtree(stale, ignore_errors=True)
    for stale in releases_dir.glob(f".{LATEST_LINK}*.*"):
        if stale.is_symlink():
            stale.unlink()


def latest_link(kind: str = DEFAULT_KIND) -> str:
    """The name, under releases/, of the link to the newest release of a period kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown release kind {kind!r}: one of {', '.join(KINDS)}")
    return f"{LATEST_PREFIX}{kind}"


def _period_of(target: Path) -> Period | None:
    """The period of a link target ``<period>/<release_id>`` (None when not a period)."""
    try:
        return Period.parse(target.parts[0]) if target.parts else None
    except PeriodError:
        return None


def _advance(releases_dir: Path, name: str, period: Period, release_dir: Path) -> bool:
    """Point releases/<name> at release_dir unless it points at a newer period of the kind.

    Swapped in one rename (readers see the old or the new release, never half).
    """
    link = releases_dir / name
    target = release_dir.relative_to(releases_dir)
    if link.is_symlink():
        current = Path(os.readlink(link))
        if current == target:
            return False
        current_period = _period_of(current)
        if (current_period is not None and current_period.kind == period.kind
                and current_period > period and (releases_dir / current).is_dir()):
            return False
    tmp = releases_dir / f".{name}.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)
    return True


def _point_latest(releases_dir: Path, period: Period, release_dir: Path) -> None:
    names = [latest_link(period.kind)]
    if period.kind == DEFAULT_KIND:
        names.append(LATEST_LINK)
    for name in names:
        if _advance(releases_dir, name, period, release_dir):
            log.info("releases/%s -> %s", name, release_dir.relative_to(releases_dir))


def publish(period: str | Period, run_id: str = "manual") -> Release:
    """Snapshot the ``published`` schema of the warehouse as an immutable release."""
    parsed = Period.parse(period)
    label = parsed.label
    cfg = settings()
    releases_dir = cfg.releases_dir
    with writer() as con:
        releases_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_builds(releases_dir)
        tables = published_tables(con)
        if not tables:
            raise RuntimeError(
                f"nothing to publish for {label}: the warehouse has no "
                f"'{PUBLISHED_SCHEMA}' tables (did dbt build run?)"
            )
        _chmod(releases_dir, DIR_MODE)
        period_dir = releases_dir / label
        period_dir.mkdir(exist_ok=True)
        _chmod(period_dir, DIR_MODE)
        staging = Path(tempfile.mkdtemp(prefix=BUILDING_PREFIX, dir=period_dir))
        try:
            staging.chmod(DIR_MODE)  # mkdtemp makes it 0700
            counts = _build(con, staging, tables)
            checksums = {t: _sha256(staging / f"{t}.parquet") for t in tables}
            outlines = _write_boundaries(staging)
            release_id = f"{label}-" + hashlib.sha256(
                json.dumps({**checksums, **outlines["files"]}, sort_keys=True).encode()
            ).hexdigest()[:12]
            final = period_dir / release_id
            is_new = not final.exists()
            if is_new:
                manifest = {
                    "period": label,
                    "kind": parsed.kind,
                    "release_id": release_id,
                    "run_id": run_id,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "code_version": _code_version(),
                    "catalogue_sha256": _sha256(SEEDS_DIR / "ref_indicators.csv")
                    if (SEEDS_DIR / "ref_indicators.csv").exists()
                    else None,
                    "float_precision": FLOAT_PRECISION,
                    "tables": {
                        t: {"rows": counts[t], "file": f"{t}.parquet", "sha256": checksums[t]}
                        for t in tables
                    },
                    "boundaries": outlines,
                }
                (staging / MANIFEST).write_text(
                    json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
                )
                for item in staging.iterdir():
                    if item.is_file():
                        item.chmod(FILE_MODE)
                os.rename(staging, final)
            else:
                shutil.rmtree(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _point_latest(releases_dir, parsed, final)
    return Release(label, release_id, final, counts, is_new=is_new)


def latest_release_dir(kind: str = DEFAULT_KIND) -> Path:
    """The folder of the newest release of a kind (through its link, not resolved)."""
    name = LATEST_LINK if kind == DEFAULT_KIND else latest_link(kind)
    return settings().releases_dir / name


def latest_release_db(kind: str = DEFAULT_KIND) -> Path:
    """The published database of the newest release of a kind (what BI tools open).

    The default, the newest annual release, is ``releases/latest/published.duckdb``.
    """
    return latest_release_dir(kind) / RELEASE_DB


def open_latest(kind: str = DEFAULT_KIND) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the latest release of a kind; never waits for a running DAG."""
    path = latest_release_db(kind)
    if not path.exists():
        raise FileNotFoundError(f"no {kind} release published yet ({path} missing)")
    return connect(path.resolve(), read_only=True)


def release_of(period: str | Period) -> Path:
    """The current release of one period: the one its kind's link points at when that
    is this period, else the newest published for the period (manifest ``created_at``)."""
    parsed = Period.parse(period)
    releases_dir = settings().releases_dir
    link = releases_dir / latest_link(parsed.kind)
    if link.is_symlink():
        target = Path(os.readlink(link))
        if target.parts and target.parts[0] == parsed.label and (releases_dir / target).is_dir():
            return releases_dir / target
    candidates = []
    for manifest in (releases_dir / parsed.label).glob(f"*/{MANIFEST}"):
        created = json.loads(manifest.read_text(encoding="utf-8")).get("created_at", "")
        candidates.append((created, manifest.parent.name, manifest.parent))
    if not candidates:
        raise FileNotFoundError(f"no release of {parsed.label} in {releases_dir}")
    return max(candidates)[2]
