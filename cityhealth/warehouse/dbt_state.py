"""What the warehouse was last built with, so that a run can leave out what has not changed.

Three records, kept in the warehouse itself (table ``dbt_state.fingerprints``), so that
they describe that warehouse file and go with it (a fresh warehouse has none, a copy
carries its own):

* ``reference``: the fingerprint of everything the reference step reads (the seed files
  and their YAML, the reference staging views' SQL and YAML (REFERENCE_MODELS),
  ``dbt_project.yml``, ``selectors.yml``, the macros and data tests, dbt's version)
  after the step last succeeded. The reference step is skipped while it is unchanged and
  every seed table and reference view is there: the reference data, its views and the
  data tests on them would come out the same (the views read no run var).
* ``models``: the fingerprint of the whole dbt project, dbt's version, the vars (check
  year, plan period) and the data read (the caller's description, e.g. the annual
  deliveries in force) of the last build of every model that succeeded. A monthly
  or quarterly run rebuilds only what its sources feed while it is unchanged, since the
  rest of the warehouse is then exactly what a full build would make again.
* ``whole``: the same as ``models`` but over every delivery in force, the feeds' and
  registers' too, recorded when the models step of a build succeeded (whole, or the
  supervision part on top of a current rest). While it is unchanged the warehouse is
  what any build with those vars would make, and a run leaves dbt out altogether: the
  five-year assessment and the appraisal that follow the plan's last check year, or a
  rerun of a period with nothing new. Every dbt command that may change the
  warehouse starts by forgetting it (the project's on-run-start hook), so that a build
  from a shell never leaves a record behind; raw rows changed by hand rather than by a
  delivery are not seen either: build by hand, or forget the record.

A record is forgotten before the build it describes starts and written when it has
succeeded, so a build that failed part way never leaves a record behind. The caller
holds the warehouse's write slot (:func:`cityhealth.warehouse.connection.write_slot`)
around the check, the build and the record.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from cityhealth.core.settings import DBT_PROJECT_DIR, REFERENCE_MODELS

REFERENCE = "reference"
MODELS = "models"
WHOLE = "whole"

STATE_SQL = """
create schema if not exists dbt_state;
create table if not exists dbt_state.fingerprints (
    what varchar primary key,     -- reference | models | whole
    fingerprint varchar not null, -- sha256 (hex) of what the build read
    recorded_at timestamptz not null default current_timestamp
);
"""

# What the reference step reads, below the dbt project (folders are read whole).
REFERENCE_INPUTS = ("dbt_project.yml", "selectors.yml", "seeds", REFERENCE_MODELS, "macros",
                    "tests")
# Folders of the dbt project that are dbt's output, not its input.
NOT_INPUTS = {"target", "logs", "dbt_packages"}


def _files(project: Path, names: tuple[str, ...] | None) -> list[Path]:
    tops = [project / name for name in names] if names else [
        p for p in project.iterdir() if p.name not in NOT_INPUTS]
    files: list[Path] = []
    for top in tops:
        if top.is_file():
            files.append(top)
        elif top.is_dir():
            files += [p for p in top.rglob("*") if p.is_file()]
    return sorted(files)


def _file_digests(names: tuple[str, ...] | None) -> list[tuple[bytes, bytes]]:
    """(path below the project, sha256 of the content) of each file of ``names`` (None:
    the whole project)."""
    project = Path(DBT_PROJECT_DIR)
    return [(path.relative_to(project).as_posix().encode(),
             hashlib.sha256(path.read_bytes()).digest()) for path in _files(project, names)]


def _digest(files: list[tuple[bytes, bytes]], extra: str = "") -> str:
    from dbt.version import __version__ as dbt_version

    digest = hashlib.sha256(f"dbt {dbt_version}\0{extra}\0".encode())
    for name, content in files:
        digest.update(name + b"\0")
        digest.update(content)
    return digest.hexdigest()


def reference_fingerprint() -> str:
    """The fingerprint of what the reference step reads (see the module docstring)."""
    return _digest(_file_digests(REFERENCE_INPUTS))


def models_fingerprints(dbt_vars: dict, *inputs: list) -> tuple[str, ...]:
    """The fingerprint of the whole dbt project built with ``dbt_vars`` from each of
    ``inputs`` (what the caller knows of the data it reads, e.g. the batches in force),
    the project's files read once for all of them."""
    files = _file_digests(None)
    return tuple(_digest(files, json.dumps([dbt_vars, data], sort_keys=True, default=str))
                 for data in inputs)


def reference_relations() -> list[str]:
    """The tables and views the reference step makes: one per seed (its CSV file's name)
    and one per model of REFERENCE_MODELS."""
    project = Path(DBT_PROJECT_DIR)
    return sorted([p.stem for p in (project / "seeds").glob("*.csv")]
                  + [p.stem for p in (project / REFERENCE_MODELS).glob("*.sql")])


def recorded(con: duckdb.DuckDBPyConnection, what: str) -> str | None:
    """The fingerprint recorded for ``what`` (None: none, or the warehouse is new)."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_catalog = "
        "current_database() and table_schema = 'dbt_state' and table_name = 'fingerprints'"
    ).fetchone()[0]
    if not exists:
        return None
    row = con.execute("select fingerprint from dbt_state.fingerprints where what = ?",
                      [what]).fetchone()
    return row[0] if row else None


def record(con: duckdb.DuckDBPyConnection, what: str, fingerprint: str) -> None:
    """Record that ``what`` was built successfully from ``fingerprint``."""
    con.execute(STATE_SQL)
    con.execute("insert or replace into dbt_state.fingerprints (what, fingerprint, "
                "recorded_at) values (?, ?, current_timestamp)", [what, fingerprint])


def forget(con: duckdb.DuckDBPyConnection, *what: str) -> None:
    """Drop the records of ``what`` (before a build that changes it starts)."""
    con.execute(STATE_SQL)
    con.execute("delete from dbt_state.fingerprints where what in "
                f"({', '.join('?' for _ in what)})", list(what))


def reference_current(con: duckdb.DuckDBPyConnection, fingerprint: str) -> bool:
    """Whether the reference data in the warehouse is that of ``fingerprint``: recorded
    after a successful reference step, and every seed table and reference view still
    there."""
    if recorded(con, REFERENCE) != fingerprint:
        return False
    names = reference_relations()
    present = {name for (name,) in con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = current_database() and table_name in "
        f"({', '.join('?' for _ in names)})", names).fetchall()}
    return present == set(names)
