"""The housing register at province scale: ingestion of ``--rows`` buildings against a plain
DuckDB load of the same sheet.

    .venv/bin/python -m benchmarks.objects_ingest [--rows 1000000] [--workdir DIR]
        [--step-timeout 3600]

1. setup (not timed): a fresh ``CITYHEALTH_HOME`` with the demo's districts, blocks and
   compounds of the year loaded and validated (the buildings' parents), and a housing
   sheet (UTF-8 CSV, the demo's columns) of ``--rows`` buildings: the demo's buildings
   repeated under new ids, each at its own point inside its county;
2. the reference: plain DuckDB, ``create table as select * from read_csv(...)`` of that
   sheet into a fresh database file;
3. ingestion as the platform does it: ``ingest_source("objects_housing", year)`` (sha256,
   archive copy, batch record, the sheet read and checked column-wise by DuckDB
   (``cityhealth.ingestion.sheet_columns``), the point-in-county test on the county
   outlines, the parent check, insert, commit);
4. validation of that batch (``validate_pending``: the quality gate's plausibility rules);
5. prints a table and writes it as JSON to ``<workdir>/results.json``.

Each step runs in a process of its own under ``--step-timeout`` (``benchmarks.child``) and
reports its wall time and peak resident memory (``ru_maxrss`` at its end). A step that
times out or fails is reported as not measured; the others keep their figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import sys
import time
from pathlib import Path

from benchmarks.child import (
    DEFAULT_STEP_TIMEOUT,
    StepFailed,
    StepTimeout,
    fresh_database,
    run_step,
)

DEFAULT_ROWS = 1_000_000
YEAR = 2025
SEED = 20210930
DEFAULT_WORKDIR = Path("var/benchmarks/objects_ingest")
PARENTS = ("objects_district", "objects_block", "objects_compound")


def _peak_rss() -> int:
    """This process's peak resident set size in bytes (ru_maxrss is KiB on Linux)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _use_home(home: str) -> None:
    os.environ["CITYHEALTH_HOME"] = home
    from cityhealth.core import settings as settings_module

    settings_module.settings.cache_clear()
    settings_module.settings().ensure_dirs()


def step_setup(home: str, sheet: str, rows: int, year: int, seed: int) -> dict:
    """The parents loaded into a fresh home; the housing sheet of ``rows`` buildings."""
    _use_home(home)
    from cityhealth.core.periods import Period
    from cityhealth.core.settings import settings
    from cityhealth.demo.generator.objects import write_objects
    from cityhealth.demo.generator.world import build_world
    from cityhealth.expectations.gate import validate_pending
    from cityhealth.ingestion.registry import sources
    from cityhealth.ingestion.run import ingest_source

    started = time.perf_counter()
    landing = settings().landing_dir
    plan_start = Period.plan_of(year).first_year
    world = build_world(seed, (year,), plan_start)
    specs = {s.kind: (s.source_id, s.delivery) for s in sources().values()}
    write_objects(world, landing, (year,), plan_start, specs)
    for source_id in PARENTS:
        outcomes = ingest_source(source_id, str(year))
        validate_pending(source_id, str(year))
        if any(o.status != "loaded" for o in outcomes):
            raise RuntimeError(f"{source_id}: {[o.error for o in outcomes]}")
    for source_id in ("objects_housing", "object_findings"):
        shutil.rmtree(landing / source_id / str(year))
    target = write_housing_sheet(Path(sheet), rows, year, seed, first_year=year)
    return {"seconds": time.perf_counter() - started, "bytes": target.stat().st_size}


def write_housing_sheet(target: Path, rows: int, year: int, seed: int,
                        first_year: int) -> Path:
    """A housing sheet (UTF-8 CSV, the demo's columns) of ``rows`` buildings: the demo's
    buildings of ``year`` (``first_year``: the demo's first object year, before which no
    building is new) first under their own ids, then repeated under new ids."""
    from cityhealth.demo.generator.objects import OBJECT_HEADER, _sheet_rows, build_objects

    buildings = _sheet_rows(build_objects(seed).buildings, year, first_year)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(OBJECT_HEADER)
        for n in range(rows):
            row = list(buildings[n % len(buildings)])
            if n >= len(buildings):
                row[0] = f"{row[0]}-{n // len(buildings):03d}"
            writer.writerow(row)
    return target


def step_reference(sheet: str, database: str) -> dict:
    con = fresh_database(database)  # the warehouse's storage format, as the platform writes
    started = time.perf_counter()
    con.execute("create table housing as select * from read_csv(?, header = true)", [sheet])
    rows = con.execute("select count(*) from housing").fetchone()[0]
    con.close()
    return {"seconds": time.perf_counter() - started, "rows": rows,
            "peak_rss_bytes": _peak_rss()}


def step_ingest(home: str, sheet: str, year: int) -> dict:
    _use_home(home)
    from cityhealth.core.settings import settings
    from cityhealth.ingestion.run import ingest_source

    folder = settings().landing_dir / "objects_housing" / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(sheet, folder / Path(sheet).name)
    started = time.perf_counter()
    [outcome] = ingest_source("objects_housing", str(year))
    seconds = time.perf_counter() - started
    if outcome.status != "loaded":
        raise RuntimeError(outcome.error)
    return {"seconds": seconds, "rows": outcome.rows, "peak_rss_bytes": _peak_rss()}


def step_validate(home: str, year: int) -> dict:
    _use_home(home)
    from cityhealth.expectations.gate import validate_pending

    started = time.perf_counter()
    [result] = validate_pending("objects_housing", str(year))
    return {"seconds": time.perf_counter() - started, "success": result.success,
            "peak_rss_bytes": _peak_rss()}


def _guarded(step: str, timeout: float, *args, errors: dict) -> dict:
    try:
        return run_step("benchmarks.objects_ingest", step, *args, timeout=timeout)
    except (StepTimeout, StepFailed) as error:
        errors[step] = str(error)
        return {}


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def report(result: dict) -> str:
    def seconds(key: str) -> str:
        value = result.get(key)
        return "not measured" if value is None else f"{value:.2f} s"

    def gib(key: str) -> str:
        value = result.get(key)
        return "not measured" if value is None else f"{value / 1024 ** 3:.2f} GiB"

    ratio = result.get("ratio_ingest_reference")
    lines = [
        f"{'CPUs':<34}{result['machine']['cpu_count']:>16}",
        f"{'buildings':<34}{result['rows']:>16,}",
        f"{'sheet size':<34}{result['file_bytes'] / 1024 ** 2:>13.1f} MB",
        f"{'reference (DuckDB read_csv)':<34}{seconds('reference_seconds'):>16}  "
        f"peak RSS {gib('reference_peak_rss_bytes')}",
        f"{'ingest (ingest_source)':<34}{seconds('ingest_seconds'):>16}  "
        f"peak RSS {gib('ingest_peak_rss_bytes')}",
        f"{'ratio ingest / reference':<34}"
        f"{'not measured' if ratio is None else f'{ratio:.1f}':>16}",
        f"{'validation (validate_pending)':<34}{seconds('validation_seconds'):>16}  "
        f"peak RSS {gib('validation_peak_rss_bytes')}",
    ]
    lines += [f"not measured: {step}: {error}" for step, error in result["errors"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.objects_ingest",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="buildings")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--step-timeout", type=float, default=DEFAULT_STEP_TIMEOUT)
    args = parser.parse_args(argv)
    workdir = args.workdir.resolve()
    home = workdir / "home"
    shutil.rmtree(home, ignore_errors=True)
    sheet = workdir / f"住房体检信息采集表_{args.rows}.csv"
    database = workdir / "reference.duckdb"
    database.unlink(missing_ok=True)
    errors: dict[str, str] = {}
    setup = run_step("benchmarks.objects_ingest", "step_setup", str(home), str(sheet),
                     args.rows, YEAR, SEED, timeout=args.step_timeout)
    reference = _guarded("step_reference", args.step_timeout, str(sheet), str(database),
                         errors=errors)
    ingest = _guarded("step_ingest", args.step_timeout, str(home), str(sheet), YEAR,
                      errors=errors)
    validation = _guarded("step_validate", args.step_timeout, str(home), YEAR,
                          errors=errors) if ingest else {}
    result = {
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version()},
        "rows": args.rows, "file_bytes": setup["bytes"], "setup_seconds": setup["seconds"],
        "reference_seconds": reference.get("seconds"),
        "reference_peak_rss_bytes": reference.get("peak_rss_bytes"),
        "ingest_seconds": ingest.get("seconds"),
        "ingest_peak_rss_bytes": ingest.get("peak_rss_bytes"),
        "ingest_rows": ingest.get("rows"),
        "ratio_ingest_reference": _ratio(ingest.get("seconds"), reference.get("seconds")),
        "validation_seconds": validation.get("seconds"),
        "validation_peak_rss_bytes": validation.get("peak_rss_bytes"),
        "validation_success": validation.get("success"),
        "errors": errors,
    }
    print(report(result))
    (workdir / "results.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    shutil.rmtree(home, ignore_errors=True)
    database.unlink(missing_ok=True)
    return result


if __name__ == "__main__":
    main()
