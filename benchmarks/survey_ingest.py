"""The resident survey export at province scale: ingestion and validation against plain DuckDB.

    .venv/bin/python -m benchmarks.survey_ingest [--rows 10000000] [--workdir DIR]
        [--step-timeout 3600]

1. generates a GB18030 export of ``--rows`` respondents with the demo generator
   (``cityhealth.demo.generator.survey.write_survey_export``, 100 counties); it is kept in the
   work folder and reused by the next run of the same size;
2. the references: plain DuckDB reading that file into a table of a fresh database
   file (``read_csv(..., all_varchar = true, encoding = 'gb18030')``). DuckDB 1.5's
   ``encodings`` reader fails on a multi-byte character that straddles its 32 MB read
   buffer, which every export larger than that has: the reference then reads the same
   bytes cut at line ends into pieces below 32 MB (the cutting is not timed). The
   stricter reference, the one of the headline ratio, reads a UTF-8 copy of the file
   (the transcoding is not timed);
3. ingestion the way the platform does it, in a fresh ``CITYHEALTH_HOME``:
   ``cityhealth.ingestion.run.ingest_source("survey", year)`` (sha256, archive copy, batch
   record, read, checks, keyed hash of personal data, insert, commit). The UTF-8
   reference and the ingest run ``--rounds`` times (default 3), one after the other, and
   the best run of each is compared: on a shared machine the same statement takes a
   fifth more or less CPU from one minute to the next;
4. validation of that batch: ``cityhealth.expectations.gate.validate_pending`` (Great Expectations);
5. prints a table and writes it as JSON to ``<workdir>/results.json``.

Every measured step runs in a process of its own (``benchmarks.child``: ``python -c`` in
its own process group), which reports its wall time and its peak resident memory
(``getrusage(RUSAGE_SELF).ru_maxrss`` at its end): generating data or a previous step
never inflates another step's figure. A step that runs longer than ``--step-timeout``
seconds has its process group killed and is reported as not measured, with the figures
of the other steps kept. The headline ratio is ingestion against the UTF-8 reference.
This module imports only the standard library at the top, so that the parent process
stays small.
"""

from __future__ import annotations

import argparse
import codecs
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

DEFAULT_ROWS = 10_000_000
YEAR = 2025
SEED = 20210930
GiB = 1024 ** 3
TARGETS = {
    "ingest_vs_reference": 1.2,          # ingest wall time / UTF-8 reference wall time
    "ingest_peak_rss_bytes": 2 * GiB,
    "validation_vs_ingest": 0.3,         # validation wall time / ingest wall time
    "pandas_vs_ingest": 5.0,             # pandas reference (scaled) / ingest, at least
}
DEFAULT_ROUNDS = 3  # the UTF-8 reference and the ingest, alternately; best of each
DEFAULT_PANDAS_ROWS = 2_000_000  # the pandas reference reads at most this many rows, scaled
PANDAS_CHUNK_ROWS = 1_000_000
DUCKDB_CSV_BUFFER = 32_000_000     # DuckDB's default read_csv buffer_size
PIECE_BYTES = 30_000_000           # pieces of the export for the reference, below that
EXPORT_NAME = "问卷导出_{rows}.csv"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORKDIR = REPO_ROOT / "var" / "benchmarks" / "survey_ingest"


# --- measured steps (each runs in a spawned child) -----------------------------------

def _peak_rss() -> int:
    """This process's peak resident set size in bytes (ru_maxrss is KiB on Linux)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _cpu() -> float:
    """CPU seconds of this process so far, all threads (DuckDB's too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children() -> tuple[float, int]:
    """CPU seconds and the largest peak RSS (bytes) of this process's ended children
    (the ingest's transcoding workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    scale = 1 if sys.platform == "darwin" else 1024
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss * scale


def _use_home(home: str) -> None:
    os.environ["CITYHEALTH_HOME"] = home
    from cityhealth.core.settings import settings

    settings.cache_clear()


def step_generate(path: str, per_county: int, year: int, seed: int) -> dict:
    from cityhealth.core.reference import areas
    from cityhealth.demo.generator.survey import write_survey_export
    from cityhealth.demo.generator.world import build_world

    start = time.perf_counter()
    counties = areas("county")
    lean = build_world(seed, (year,)).survey_lean(year)
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    rows = write_survey_export(partial, year, counties, per_county, lean, seed)
    partial.replace(target)
    return {"seconds": time.perf_counter() - start, "rows": rows,
            "bytes": target.stat().st_size, "peak_rss_bytes": _peak_rss()}


def step_split(export: str, folder: str) -> dict:
    """Cut the export at line ends into files below DuckDB's CSV buffer, header in each."""
    target = Path(folder)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    pieces = 0
    with open(export, "rb") as src:
        header = src.readline()
        rest = b""
        while True:
            block = rest + src.read(PIECE_BYTES - len(header) - len(rest))
            if not block:
                break
            cut = block.rfind(b"\n") + 1 if len(block) >= PIECE_BYTES - len(header) else len(block)
            if cut <= 0:
                raise ValueError(f"a line of {export} is longer than {PIECE_BYTES} bytes")
            (target / f"piece_{pieces:05d}.csv").write_bytes(header + block[:cut])
            rest = block[cut:]
            pieces += 1
    return {"pieces": pieces}


def step_to_utf8(export: str, target: str, encoding: str = "gb18030") -> dict:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(export, "rb") as src, open(target, "wb") as out:
        while chunk := src.read(8 << 20):
            out.write(decoder.decode(chunk).encode("utf-8"))
        out.write(decoder.decode(b"", final=True).encode("utf-8"))
    return {"bytes": Path(target).stat().st_size}


def step_reference(files: list[str], database: str, encoding: str) -> dict:
    """Plain DuckDB: the CSV into a table of a fresh database file (in the warehouse's
    storage format, as the platform writes), every column as text."""
    import duckdb

    from cityhealth.warehouse.connection import load_extensions

    con = fresh_database(database)
    if encoding != "utf-8":
        load_extensions(con, "encodings")  # 350 MB of ICU tables: only when needed
    start, cpu = time.perf_counter(), _cpu()
    try:
        con.execute("create table t as select * from read_csv(?, header = true, "
                    "all_varchar = true, encoding = ?)",
                    [files if len(files) > 1 else files[0], encoding])
        rows = con.execute("select count(*) from t").fetchone()[0]
        error = None
    except duckdb.Error as failure:
        rows, error = None, " ".join(str(failure).split("\n")[:3])[:400]
    finally:
        con.close()
    seconds = time.perf_counter() - start
    size = Path(database).stat().st_size if Path(database).exists() else None
    return {"seconds": seconds, "cpu_seconds": _cpu() - cpu, "peak_rss_bytes": _peak_rss(),
            "rows": rows, "error": error, "database_bytes": size}


def step_pandas(export: str, database: str, rows: int) -> dict:
    """What a user would write: pandas ``read_csv(dtype=str)`` in chunks of a million rows,
    each inserted into a DuckDB table (the first ``rows`` data rows of the export)."""
    import pandas as pd

    con = fresh_database(database)
    start, cpu = time.perf_counter(), _cpu()
    loaded = 0
    try:
        for chunk in pd.read_csv(export, dtype=str, encoding="gb18030", nrows=rows,
                                 chunksize=PANDAS_CHUNK_ROWS):
            con.register("chunk", chunk)
            con.execute("insert into t select * from chunk" if loaded else
                        "create table t as select * from chunk")
            con.unregister("chunk")
            loaded += len(chunk)
    finally:
        con.close()
    seconds = time.perf_counter() - start
    Path(database).unlink(missing_ok=True)
    return {"seconds": seconds, "cpu_seconds": _cpu() - cpu, "peak_rss_bytes": _peak_rss(),
            "rows": loaded}


def step_ingest(export: str, home: str, year: int) -> dict:
    """The platform's ingestion of the export, in a fresh home; phases timed on the side."""
    _use_home(home)
    from cityhealth.core.settings import settings
    from cityhealth.ingestion import deliveries, run
    from cityhealth.ingestion.registry import source

    phases: dict[str, float] = {}
    within_load: dict[str, float] = {}

    def timed(owner, name: str, label: str, into: dict[str, float]) -> None:
        function = getattr(owner, name, None)
        if function is None:  # a helper renamed: its figure is missing, nothing breaks
            return

        def wrapper(*args, **kwargs):
            begin = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                into[label] = into.get(label, 0.0) + time.perf_counter() - begin
        setattr(owner, name, wrapper)

    kind = run.kind_module(source("survey").kind)
    timed(deliveries, "receive", "sha256_and_archive_copy", phases)  # the two overlap
    timed(kind, "load", "load", phases)
    # inside load (private helpers of cityhealth/ingestion/survey_export.py, timed when present)
    # the direct way (a clean export; transcoding overlaps the insert) ...
    timed(kind, "_load_direct", "transcode_check_and_insert", within_load)
    timed(kind, "_finish_direct", "checks_over_all_rows", within_load)
    # ... and the careful way, taken only when the direct way stops (a problem in the file)
    timed(kind, "_load_checked", "careful_read", within_load)

    settings().ensure_dirs()
    landing = source("survey").landing_dir(str(year))
    landing.mkdir(parents=True, exist_ok=True)
    landed = landing / Path(export).name
    try:
        os.link(export, landed)
    except OSError:
        shutil.copyfile(export, landed)
    start, cpu, children_cpu = time.perf_counter(), _cpu(), _children()[0]
    outcomes = run.ingest_source("survey", str(year))
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    workers_cpu, workers_rss = _children()
    workers_cpu -= children_cpu
    phases["other"] = seconds - sum(phases.values())  # open, record batch, commit, close
    if "transcode_check_and_insert" in within_load:  # _finish_direct runs inside it
        within_load["transcode_check_and_insert"] -= within_load.get(
            "checks_over_all_rows", 0.0)
    if within_load and "load" in phases:
        within_load["rest"] = phases["load"] - sum(within_load.values())
    if len(outcomes) != 1:
        raise RuntimeError(f"expected one batch, got {outcomes}")
    outcome = outcomes[0]
    return {"seconds": seconds, "cpu_seconds": cpu + workers_cpu,
            "workers_cpu_seconds": workers_cpu, "peak_rss_bytes": _peak_rss(),
            "workers_peak_rss_bytes": workers_rss if workers_cpu > 0 else 0,
            "status": outcome.status,
            "rows": outcome.rows, "error": outcome.error, "batch_id": outcome.batch_id,
            "phases": phases, "load_phases": within_load,
            "warehouse_bytes": settings().warehouse_path.stat().st_size,
            "memory_limit": settings().duckdb_memory_limit}  # as the platform applied it


def step_validate(home: str, year: int) -> dict:
    _use_home(home)
    from cityhealth.expectations.gate import validate_pending

    start, cpu = time.perf_counter(), _cpu()
    results = validate_pending(source_id="survey", period=str(year))
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_rss_bytes": _peak_rss(),
            "batches": len(results),
            "success": bool(results) and all(r.success for r in results),
            "rows": sum(r.rows for r in results),
            "summary": [r.summary() for r in results]}


# Seconds one step may run before its processes are killed (--step-timeout).
STEP_TIMEOUT = {"limit": DEFAULT_STEP_TIMEOUT}


# The platform steps' environment (--memory-limit): set in their processes only.
PLATFORM_ENV: dict[str, str] = {}
MEMORY_LIMIT_ENV = "CITYHEALTH_DUCKDB_MEMORY_LIMIT"  # cityhealth.core.settings, not imported


def in_child(function, *args, env: dict[str, str] | None = None) -> dict:
    """Run one step in a fresh process, under the step time limit, and return what it
    reports (``benchmarks.child``: its process group is killed at the limit)."""
    return run_step("benchmarks.survey_ingest", function.__name__, *args,
                    timeout=STEP_TIMEOUT["limit"], env=env)


def guarded(step: str, function, *args, log) -> dict:
    """A platform step whose failure or timeout is recorded (``error``) instead of ending
    the run, so that one step that hangs does not lose the figures of the others."""
    try:
        return in_child(function, *args, env=PLATFORM_ENV)
    except (StepTimeout, StepFailed) as error:
        log(f"  {step}: {error}")
        return {"error": str(error), "timed_out": isinstance(error, StepTimeout)}


# --- the run ---------------------------------------------------------------------------

def machine() -> dict:
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    info = {"cpu_count": os.cpu_count(), "total_ram_bytes": total,
            "platform": platform.platform(), "python": platform.python_version(),
            "load_average_1min": os.getloadavg()[0]}
    try:
        from importlib.metadata import version

        info["duckdb"] = version("duckdb")
        info["great_expectations"] = version("great_expectations")
    except Exception:  # noqa: BLE001 - versions are informative only
        pass
    return info


def export_for(workdir: Path, rows: int, year: int, seed: int, log) -> dict:
    """The export of this size (generated once, reused while its description matches)."""
    from cityhealth.core.reference import areas

    counties = len(areas("county"))
    per_county = max(1, round(rows / counties))
    path = workdir / EXPORT_NAME.format(rows=rows)
    described = path.with_name(path.name + ".json")
    wanted = {"per_county": per_county, "counties": counties, "year": year, "seed": seed}
    if path.exists() and described.exists():
        meta = json.loads(described.read_text(encoding="utf-8"))
        if {k: meta.get(k) for k in wanted} == wanted and meta.get("bytes") == path.stat().st_size:
            log(f"reusing {path} ({meta['rows']:,} rows, generated in "
                f"{meta['generation_seconds']:.1f} s)")
            return {**meta, "path": str(path), "reused": True}
    log(f"generating {per_county * counties:,} rows into {path} ...")
    generated = in_child(step_generate, str(path), per_county, year, seed)
    meta = {**wanted, "rows": generated["rows"], "bytes": generated["bytes"],
            "generation_seconds": generated["seconds"],
            "generation_peak_rss_bytes": generated["peak_rss_bytes"]}
    described.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return {**meta, "path": str(path), "reused": False}


def reference_gb18030(export: dict, workdir: Path, log) -> dict:
    database = str(workdir / "reference_gb18030.duckdb")
    log("reference: plain DuckDB read_csv(encoding = 'gb18030') ...")
    try:
        result = in_child(step_reference, [export["path"]], database, "gb18030")
        result["mode"] = "one file"
        if result["error"] and export["bytes"] > DUCKDB_CSV_BUFFER:
            first_error = result["error"]
            log(f"  DuckDB failed on the file ({first_error[:120]}...); "
                f"reading it cut into pieces below {DUCKDB_CSV_BUFFER:,} bytes")
            folder = workdir / "reference_pieces"
            pieces = in_child(step_split, export["path"], str(folder))["pieces"]
            files = sorted(str(p) for p in folder.glob("piece_*.csv"))
            result = in_child(step_reference, files, database, "gb18030")
            result["mode"] = f"{pieces} pieces < {DUCKDB_CSV_BUFFER:,} bytes"
            result["one_file_error"] = first_error
    except (StepTimeout, StepFailed) as error:
        log(f"  {error}")
        result = {"error": str(error), "mode": "not measured"}
    finally:
        shutil.rmtree(workdir / "reference_pieces", ignore_errors=True)
        Path(database).unlink(missing_ok=True)
    return result


def reference_utf8(copy: Path, copied: dict, workdir: Path, log) -> dict:
    """One run of the UTF-8 reference on the copy made for the whole run."""
    database = str(workdir / "reference_utf8.duckdb")
    try:
        result = in_child(step_reference, [str(copy)], database, "utf-8")
        result["mode"] = f"UTF-8 copy ({copied['bytes']:,} bytes), transcoding not timed"
    except (StepTimeout, StepFailed) as error:
        log(f"  {error}")
        result = {"error": str(error), "mode": "not measured"}
    finally:
        Path(database).unlink(missing_ok=True)
    return result


def ingest_once(export: dict, home: Path, log) -> dict:
    """One run of the platform's ingest, in a fresh home (kept for the validation)."""
    shutil.rmtree(home, ignore_errors=True)
    ingest = guarded("ingest", step_ingest, export["path"], str(home), YEAR, log=log)
    if not ingest.get("error") and ingest["status"] != "loaded":
        ingest = {"error": f"the export was not loaded: {ingest['status']}: "
                           f"{ingest['error']}"}
    return ingest


def alternate(export: dict, workdir: Path, home: Path, rounds: int,
              log) -> tuple[dict, dict, list[dict]]:
    """The UTF-8 reference and the ingest, one after the other ``rounds`` times: the
    best of each (and each round's figures). On a shared machine the same work takes a
    fifth longer or shorter from one minute to the next; the least disturbed run of
    each is the fair comparison, and alternating gives both the same chances. The
    ingest's peak RSS is the largest of its runs. The last run's home is kept for the
    validation."""
    copy = workdir / "reference_utf8.csv"
    log(f"reference (plain DuckDB read_csv of a UTF-8 copy) and ingest "
        f"(cityhealth.ingestion.run.ingest_source('survey', ...)), {rounds} x alternately ...")
    try:
        copied = in_child(step_to_utf8, export["path"], str(copy))
    except (StepTimeout, StepFailed) as error:
        log(f"  {error}")
        copy.unlink(missing_ok=True)
        failed = {"error": str(error), "mode": "not measured"}
        return failed, ingest_once(export, home, log), []
    measured: list[tuple[dict, dict]] = []
    try:
        for number in range(1, rounds + 1):
            utf8 = reference_utf8(copy, copied, workdir, log)
            ingest = ingest_once(export, home, log)
            measured.append((utf8, ingest))
            log(f"  round {number}: reference {_seconds(utf8)}, ingest {_seconds(ingest)}")
            if utf8.get("error") or ingest.get("error"):
                break
    finally:
        copy.unlink(missing_ok=True)
    references = [u for u, _ in measured if u.get("seconds") is not None]
    ingests = [i for _, i in measured if not i.get("error")]
    best_utf8 = min(references, key=lambda u: u["seconds"]) if references else measured[-1][0]
    if not ingests:
        return best_utf8, measured[-1][1], _rounds(measured)
    best_ingest = dict(min(ingests, key=lambda i: i["seconds"]))
    best_ingest["peak_rss_bytes"] = max(i["peak_rss_bytes"] for i in ingests)
    return best_utf8, best_ingest, _rounds(measured)


def _seconds(step: dict) -> str:
    return "failed" if step.get("seconds") is None else f"{step['seconds']:.1f} s"


def _rounds(measured: list[tuple[dict, dict]]) -> list[dict]:
    return [{"reference_utf8_seconds": u.get("seconds"),
             "reference_utf8_cpu_seconds": u.get("cpu_seconds"),
             "ingest_seconds": i.get("seconds"), "ingest_cpu_seconds": i.get("cpu_seconds"),
             "ratio_ingest_reference": _ratio(i.get("seconds"), u.get("seconds"))}
            for u, i in measured]


def reference_pandas(export: dict, workdir: Path, rows: int, log) -> dict:
    """The pandas reference on the first ``rows`` rows, its time scaled to the export's."""
    rows = min(rows, export["rows"])
    log(f"reference: pandas read_csv(dtype=str) in chunks of {PANDAS_CHUNK_ROWS:,} rows + "
        f"insert, {rows:,} rows ...")
    result = guarded("pandas reference", step_pandas, export["path"],
                     str(workdir / "reference_pandas.duckdb"), rows, log=log)
    (workdir / "reference_pandas.duckdb").unlink(missing_ok=True)
    if result.get("seconds") is not None:
        result["scaled_seconds"] = result["seconds"] * export["rows"] / result["rows"]
    return result


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _measured(step: dict) -> dict:
    """A step's figures, or an empty dict for a step that failed or timed out."""
    return {} if step.get("error") and step.get("seconds") is None else step


def figures(export: dict, reference: dict, utf8: dict, ingest: dict,
            validation: dict, info: dict, pandas: dict | None = None,
            rounds: list[dict] | None = None) -> dict:
    """Every figure of the run; a step that failed or timed out has None for its figures
    and its message under ``errors``. The headline ratio is against the UTF-8 reference
    (DuckDB's fast native reader: the stricter comparison), the best run of each when
    they ran in ``rounds``; the GB18030 one is shown too."""
    ref, ref8, ing, val = (_measured(s) for s in (reference, utf8, ingest, validation))
    pandas = pandas or {"skipped": True}
    pds = _measured(pandas)
    ratio = _ratio(ing.get("seconds"), ref8.get("seconds"))
    pandas_ratio = _ratio(pds.get("scaled_seconds"), ing.get("seconds"))
    val_ratio = _ratio(val.get("seconds"), ing.get("seconds"))
    errors = {name: step["error"] for name, step in (
        ("reference", reference), ("reference_utf8", utf8), ("ingest", ingest),
        ("validation", validation), ("reference_pandas", pandas))
        if step.get("error") and not _measured(step)}
    return {
        "machine": info,
        "rows": export["rows"],
        "file_bytes": export["bytes"],
        "generation_seconds": export["generation_seconds"],
        "generation_reused": export["reused"],
        "reference_seconds": ref.get("seconds"),
        "reference_cpu_seconds": ref.get("cpu_seconds"),
        "reference_peak_rss_bytes": ref.get("peak_rss_bytes"),
        "reference_mode": reference.get("mode"),
        "reference_error_one_file": reference.get("one_file_error"),
        "reference_utf8_seconds": ref8.get("seconds"),
        "reference_utf8_cpu_seconds": ref8.get("cpu_seconds"),
        "reference_utf8_peak_rss_bytes": ref8.get("peak_rss_bytes"),
        "reference_pandas_rows": pds.get("rows"),
        "reference_pandas_seconds": pds.get("seconds"),
        "reference_pandas_cpu_seconds": pds.get("cpu_seconds"),
        "reference_pandas_peak_rss_bytes": pds.get("peak_rss_bytes"),
        "reference_pandas_scaled_seconds": pds.get("scaled_seconds"),
        "reference_pandas_skipped": bool(pandas.get("skipped")),
        "ratio_pandas_ingest": pandas_ratio,
        "ingest_seconds": ing.get("seconds"),
        "ingest_cpu_seconds": ing.get("cpu_seconds"),
        "ingest_workers_cpu_seconds": ing.get("workers_cpu_seconds"),
        "ingest_workers_peak_rss_bytes": ing.get("workers_peak_rss_bytes"),
        "ingest_phases_seconds": ing.get("phases", {}),
        "ingest_load_phases_seconds": ing.get("load_phases", {}),
        "ingest_peak_rss_bytes": ing.get("peak_rss_bytes"),
        "ingest_warehouse_bytes": ing.get("warehouse_bytes"),
        "ratio_ingest_reference": ratio,
        "rounds": rounds or [],
        "ratio_ingest_reference_gb18030": _ratio(ing.get("seconds"), ref.get("seconds")),
        "validation_seconds": val.get("seconds"),
        "validation_cpu_seconds": val.get("cpu_seconds"),
        "validation_peak_rss_bytes": val.get("peak_rss_bytes"),
        "ratio_validation_ingest": val_ratio,
        "validation_summary": val.get("summary"),
        "errors": errors,
        "targets": TARGETS,
        "targets_met": {
            "ingest_vs_reference": ratio is not None
            and ratio <= TARGETS["ingest_vs_reference"],
            "ingest_peak_rss": ing.get("peak_rss_bytes") is not None
            and ing["peak_rss_bytes"] <= TARGETS["ingest_peak_rss_bytes"],
            "validation_vs_ingest": val_ratio is not None
            and val_ratio <= TARGETS["validation_vs_ingest"],
            "pandas_vs_ingest": pandas_ratio is not None
            and pandas_ratio >= TARGETS["pandas_vs_ingest"],
        },
    }


def report(result: dict) -> str:
    def gib(n: int | None) -> str:
        return "-" if n is None else f"{n / GiB:.2f} GiB"

    def sec(s: float | None) -> str:
        return "-" if s is None else f"{s:.1f} s"

    def num(x: float | None) -> str:
        return "-" if x is None else f"{x:.2f}"

    def ok(flag: bool) -> str:
        return "ok" if flag else "MISSED"

    def cpu(key: str) -> str:
        return f"(cpu {result[key]:.1f} s)" if result.get(key) is not None else ""

    info, met = result["machine"], result["targets_met"]
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in result["ingest_phases_seconds"].items())
    within = ", ".join(f"{k} {v:.1f} s"
                       for k, v in result["ingest_load_phases_seconds"].items())
    lines = [
        f"machine: {info['cpu_count']} CPUs, {gib(info['total_ram_bytes'])} RAM, "
        f"load average {info['load_average_1min']:.2f} at start, "
        f"{info.get('load_average_1min_end', float('nan')):.2f} at end; duckdb "
        f"{info.get('duckdb', '?')}, great_expectations {info.get('great_expectations', '?')}",
        f"{'rows':<34}{result['rows']:>16,}",
        f"{'DuckDB memory limit':<34}{result.get('memory_limit', '-'):>16}"
        "  (ingest and validation)",
        f"{'file size':<34}{result['file_bytes'] / 1e9:>14.2f} GB  (GB18030 CSV)",
        f"{'generation':<34}{sec(result['generation_seconds']):>16}"
        + ("  (reused)" if result["generation_reused"] else ""),
        f"{'reference (DuckDB, UTF-8 copy)':<34}"
        f"{sec(result['reference_utf8_seconds']):>16}  "
        f"{cpu('reference_utf8_cpu_seconds')} "
        f"peak RSS {gib(result['reference_utf8_peak_rss_bytes'])}",
        f"{'reference (DuckDB, gb18030)':<34}{sec(result['reference_seconds']):>16}  "
        f"{cpu('reference_cpu_seconds')} peak RSS {gib(result['reference_peak_rss_bytes'])}"
        f"  [{result['reference_mode']}]",
        f"{'ingest (ingest_source)':<34}{sec(result['ingest_seconds']):>16}  "
        f"{cpu('ingest_cpu_seconds')} {phases}",
    ]
    if within:
        lines.append(f"{'':<34}{'':>16}  load: {within}")
    if result.get("ingest_workers_cpu_seconds"):
        lines.append(f"{'':<34}{'':>16}  of the cpu: transcoding workers "
                     f"{result['ingest_workers_cpu_seconds']:.1f} s (peak RSS "
                     f"{gib(result['ingest_workers_peak_rss_bytes'])} each at most)")
    if len(result.get("rounds", [])) > 1:
        lines.append(f"{'rounds':<34}{len(result['rounds']):>16}  alternately, the best of "
                     "each above; UTF-8 reference / ingest = ratio: " + "; ".join(
                         f"{sec(r['reference_utf8_seconds'])} / {sec(r['ingest_seconds'])}"
                         f" = {num(r['ratio_ingest_reference'])}" for r in result["rounds"]))
    if result["reference_pandas_skipped"]:
        lines.append(f"{'reference (pandas)':<34}{'skipped':>16}  (--no-pandas)")
    else:
        lines.append(
            f"{'reference (pandas, scaled)':<34}"
            f"{sec(result['reference_pandas_scaled_seconds']):>16}  measured "
            f"{sec(result['reference_pandas_seconds'])} "
            f"{cpu('reference_pandas_cpu_seconds')} on "
            f"{result['reference_pandas_rows'] or 0:,} rows, scaled to all; peak RSS "
            f"{gib(result['reference_pandas_peak_rss_bytes'])}")
    lines += [
        f"{'ratio ingest / reference':<34}{num(result['ratio_ingest_reference']):>16}  "
        f"against the UTF-8 reference; target <= {TARGETS['ingest_vs_reference']}  "
        f"{ok(met['ingest_vs_reference'])}",
        f"{'ratio ingest / gb18030 reference':<34}"
        f"{num(result['ratio_ingest_reference_gb18030']):>16}  (information)",
        f"{'ratio pandas / ingest':<34}{num(result['ratio_pandas_ingest']):>16}  "
        f"target >= {TARGETS['pandas_vs_ingest']}  "
        + ("(not measured)" if result["reference_pandas_skipped"]
           else ok(met["pandas_vs_ingest"])),
        f"{'ingest peak RSS':<34}{gib(result['ingest_peak_rss_bytes']):>16}  "
        f"target <= {gib(TARGETS['ingest_peak_rss_bytes'])}  {ok(met['ingest_peak_rss'])}",
        f"{'validation (validate_pending)':<34}{sec(result['validation_seconds']):>16}  "
        f"{cpu('validation_cpu_seconds')}",
        f"{'ratio validation / ingest':<34}{num(result['ratio_validation_ingest']):>16}  "
        f"target <= {TARGETS['validation_vs_ingest']}  {ok(met['validation_vs_ingest'])}",
        f"{'validation peak RSS':<34}{gib(result['validation_peak_rss_bytes']):>16}",
    ]
    lines += [f"{'NOT MEASURED: ' + step:<34}{error}"
              for step, error in result["errors"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.survey_ingest",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS,
                        help=f"respondents in the export (default {DEFAULT_ROWS:,})")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help=f"where the export, scratch files and results.json go "
                             f"(default {DEFAULT_WORKDIR})")
    parser.add_argument("--step-timeout", type=float, default=DEFAULT_STEP_TIMEOUT,
                        help="seconds each measured step may run before its processes are "
                             f"killed and it is reported as timed out "
                             f"(default {DEFAULT_STEP_TIMEOUT:g})")
    parser.add_argument("--pandas-rows", type=int, default=DEFAULT_PANDAS_ROWS,
                        help="rows the pandas reference reads (it is slow); its time is "
                             "scaled to the export's rows (default "
                             f"{DEFAULT_PANDAS_ROWS:,})")
    parser.add_argument("--no-pandas", action="store_true",
                        help="skip the pandas reference")
    parser.add_argument("--no-gb18030", action="store_true",
                        help="skip the reference with DuckDB's own GB18030 reader (slow; "
                             "information only)")
    parser.add_argument("--memory-limit", default=None,
                        help=f"DuckDB's memory limit of the ingest and validation steps "
                             f"({MEMORY_LIMIT_ENV}, e.g. 1GB; default: the settings' 4GB)")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS,
                        help="times the UTF-8 reference and the ingest run, alternately; "
                             f"the best of each is compared (default {DEFAULT_ROUNDS})")
    parser.add_argument("--keep", action="store_true",
                        help="keep the platform home (archive, warehouse) after the run")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be positive")
    if args.rounds < 1:
        parser.error("--rounds must be positive")
    if args.pandas_rows < 1:
        parser.error("--pandas-rows must be positive")
    if args.step_timeout <= 0:
        parser.error("--step-timeout must be positive")
    STEP_TIMEOUT["limit"] = args.step_timeout
    PLATFORM_ENV.clear()
    if args.memory_limit:
        PLATFORM_ENV[MEMORY_LIMIT_ENV] = args.memory_limit
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)

    def log(text: str) -> None:
        print(text, flush=True)

    info = machine()
    export = export_for(workdir, args.rows, YEAR, SEED, log)
    home = workdir / "home"
    utf8, ingest, rounds = alternate(export, workdir, home, args.rounds, log)
    reference = ({"mode": "skipped (--no-gb18030)"} if args.no_gb18030
                 else reference_gb18030(export, workdir, log))
    pandas = (None if args.no_pandas
              else reference_pandas(export, workdir, args.pandas_rows, log))
    if ingest.get("error"):
        validation = {"error": "not run: the ingest step did not load the export"}
    else:
        log("validation: cityhealth.expectations.gate.validate_pending('survey', ...) ...")
        validation = guarded("validation", step_validate, str(home), YEAR, log=log)
        if not validation.get("error") and not validation["success"]:
            validation["error"] = f"the batch did not pass validation: {validation['summary']}"
    counted = {"reference": reference.get("rows"), "UTF-8 reference": utf8.get("rows"),
               "ingest": ingest.get("rows"), "validation": validation.get("rows")}
    wrong = {step: n for step, n in counted.items() if n is not None and n != export["rows"]}
    if wrong:
        raise RuntimeError(f"{export['rows']:,} rows generated, but counted {wrong}")
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    info["load_average_1min_end"] = os.getloadavg()[0]
    result = figures(export, reference, utf8, ingest, validation, info, pandas, rounds)
    result["memory_limit"] = ingest.get("memory_limit") or args.memory_limit or "-"
    (workdir / "results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False),
                                          encoding="utf-8")
    log("")
    log(report(result))
    log(f"\nwritten to {workdir / 'results.json'}")
    return result


if __name__ == "__main__":
    main()
