"""Immutable, versioned releases of the published tables.

A release is a folder ``releases/<period>/<release_id>/`` holding one Parquet file
per published table, ``published.duckdb`` (views over those files) and
``manifest.json`` (period, run, row counts, checksums, catalogue version).
``releases/latest`` is a symbolic link swapped atomically to the newest release,
so analysts and BI tools that open ``releases/latest/published.duckdb`` read one
complete release while the next one is being built, and never block a writer.

The release id is derived from the content (the Parquet checksums): publishing
the same data twice gives the same release and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cityhealth.settings import REPO_ROOT, SEEDS_DIR, settings
from warehouse.connection import connect, writer

PUBLISHED_SCHEMA = "published"
LATEST_LINK = "latest"
RELEASE_DB = "published.duckdb"
MANIFEST = "manifest.json"


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
        "select table_name from information_schema.tables where table_schema = ? "
        "order by table_name",
        [PUBLISHED_SCHEMA],
    ).fetchall()
    return [name for (name,) in rows]


def _export(con: duckdb.DuckDBPyConnection, table: str, target: Path) -> int:
    columns = [
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [PUBLISHED_SCHEMA, table],
        ).fetchall()
    ]
    # A total order makes the Parquet bytes, hence the release id, reproducible.
    order = ", ".join(f'"{c}"' for c in columns)
    con.execute(
        f'copy (select * from {PUBLISHED_SCHEMA}."{table}" order by {order}) '
        f"to '{target}' (format parquet, compression zstd)"
    )
    return con.execute(f"select count(*) from read_parquet('{target}')").fetchone()[0]


def _write_release_db(release_dir: Path, tables: list[str]) -> None:
    db_path = release_dir / RELEASE_DB
    con = duckdb.connect(str(db_path))
    try:
        for table in tables:
            parquet = release_dir / f"{table}.parquet"
            con.execute(f"create view \"{table}\" as select * from read_parquet('{parquet}')")
    finally:
        con.close()
    db_path.chmod(0o444)


def _point_latest(releases_dir: Path, release_dir: Path) -> None:
    """Swap releases/latest to release_dir in one rename (readers see old or new, never half)."""
    link = releases_dir / LATEST_LINK
    tmp = releases_dir / f".{LATEST_LINK}.{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(release_dir.relative_to(releases_dir))
    os.replace(tmp, link)


def publish(period: str, run_id: str = "manual") -> Release:
    """Snapshot the ``published`` schema of the warehouse as an immutable release."""
    cfg = settings()
    period_dir = cfg.releases_dir / period
    period_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=period_dir))
    try:
        with writer() as con:
            tables = published_tables(con)
            if not tables:
                raise RuntimeError(
                    f"nothing to publish for {period}: the warehouse has no "
                    f"'{PUBLISHED_SCHEMA}' tables (did dbt build run?)"
                )
            counts = {t: _export(con, t, staging / f"{t}.parquet") for t in tables}
        checksums = {t: _sha256(staging / f"{t}.parquet") for t in tables}
        release_id = f"{period}-" + hashlib.sha256(
            json.dumps(checksums, sort_keys=True).encode()
        ).hexdigest()[:12]
        final = period_dir / release_id
        if final.exists():
            shutil.rmtree(staging)
            _point_latest(cfg.releases_dir, final)
            return Release(period, release_id, final, counts, is_new=False)
        manifest = {
            "period": period,
            "release_id": release_id,
            "run_id": run_id,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "code_version": _code_version(),
            "catalogue_sha256": _sha256(SEEDS_DIR / "ref_indicators.csv")
            if (SEEDS_DIR / "ref_indicators.csv").exists()
            else None,
            "tables": {
                t: {"rows": counts[t], "file": f"{t}.parquet", "sha256": checksums[t]}
                for t in tables
            },
        }
        (staging / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        os.rename(staging, final)
        _write_release_db(final, tables)
        for item in final.iterdir():
            if item.is_file():
                item.chmod(0o444)
        _point_latest(cfg.releases_dir, final)
        return Release(period, release_id, final, counts, is_new=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def latest_release_db() -> Path:
    """The published database of the newest release (what BI tools open)."""
    return settings().releases_dir / LATEST_LINK / RELEASE_DB


def open_latest() -> duckdb.DuckDBPyConnection:
    """A read-only connection to the latest release; never waits for a running DAG."""
    path = latest_release_db()
    if not path.exists():
        raise FileNotFoundError(f"no release published yet ({path} missing)")
    return connect(path.resolve(), read_only=True)
