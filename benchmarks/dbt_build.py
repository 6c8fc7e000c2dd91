"""Benchmark: ``dbt build`` of the whole project on the demo scaled up, beside the ingest.

The demo deliveries are generated for N times the counties (synthetic counties beside
the real ones) and N times the years (6 x N years ending at the check year); they are
ingested and validated as the demo does (``cityhealth.ingestion.run.ingest_all`` and
``cityhealth.expectations.gate.validate_pending`` per year, the monthly registers per month of the
check year), then ``cityhealth.warehouse.dbt.build(check_year=...)`` builds the whole project.
Printed: rows delivered, ingest seconds, dbt build seconds, the ratio dbt / ingest, the
peak RSS of each step, the number of models and tests and the slowest models
(``run_results.json``).

The synthetic counties and the longer history live in a scratch copy of the dbt project
(``<workdir>/project/dbt_project``, with an extended ``ref_areas`` seed and catalogue
definitions reaching back to the first year) and a scratch run profile
(``<workdir>/project/config/bench.yaml``). The platform reads both locations from the
module constants of ``cityhealth.core.settings`` (``SEEDS_DIR``, ``DBT_PROJECT_DIR``,
``CONFIG_DIR``; no environment variable exists for them), so every measured step runs in
a process of its own (``benchmarks.child``: its own process group, killed after
``--step-timeout`` seconds) that points those constants at the scratch copy before it
imports anything else of the platform. The repository is never written.

With ``--survey-respondents N`` the check year's survey export is replaced, after the
generation, by one of N respondents (``N / counties`` per county, the demo generator's
``write_survey_export``): a province-sized survey (10,000,000 respondents in one year)
beside the scaled demo. ``--memory-limit`` sets ``CITYHEALTH_DUCKDB_MEMORY_LIMIT`` for the
dbt build (the other steps keep the settings'), so that DuckDB spills instead of growing.
The goal printed with the figures: dbt's peak RSS at most 4 GiB at any scale, time linear
in the data.

    .venv/bin/python -m benchmarks.dbt_build [--scale N] [--years Y] [--workdir DIR]
        [--survey-respondents N] [--memory-limit SIZE] [--step-timeout S] [--keep]
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

from benchmarks.child import DEFAULT_STEP_TIMEOUT, run_step

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_WORKDIR = REPO_ROOT / "var" / "benchmarks" / "dbt_build"
DEFAULT_SCALE = 10
DEMO_YEARS = 6  # config/demo.yaml: 2020-2025
# Seeds whose rows are valid from a year on: (seed, column of the first year)
DATED_SEEDS = (("ref_indicators", "check_year_from"), ("ref_index_weights", "valid_from_year"),
               ("ref_assessment_weights", "valid_from_year"))
REGISTER_KINDS = ("task_register", "project_register")
GiB = 1024 ** 3
GOAL_DBT_PEAK_RSS_BYTES = 4 * GiB  # issue 16: dbt in bounded memory, at any scale
MEMORY_LIMIT_ENV = "CITYHEALTH_DUCKDB_MEMORY_LIMIT"  # cityhealth.core.settings, not imported here
# Synthetic counties get codes SSPPCC: SS the province's, PP from the one after its last
# city (Jiangxi: 12, after 3601..3611) and CC from 01 to 99: six digits as GB/T 2260,
# never a real code of the province.
SLOTS_PER_PREFIX = 99


# --- the scratch project -------------------------------------------------------------

def synthetic_code(index: int, province: str, first_prefix: int) -> str:
    prefix = first_prefix + index // SLOTS_PER_PREFIX
    if prefix > 99:
        raise ValueError(f"too many synthetic counties for the {province}PPCC code space")
    return f"{province}{prefix:02d}{index % SLOTS_PER_PREFIX + 1:02d}"


def scaled_areas(rows: list[dict[str, str]], scale: int) -> list[dict[str, str]]:
    """ref_areas with (scale - 1) synthetic copies of every county, in the county's city."""
    counties = [r for r in rows if r["area_level"] == "county"]
    real = {r["area_code"] for r in rows}
    [province] = [r["area_code"][:2] for r in rows if r["area_level"] == "province"]
    first_prefix = 1 + max(int(r["area_code"][2:4]) for r in rows if r["area_level"] == "city")
    order = max(int(r["sort_order"]) for r in rows)
    extra = []
    index = 0
    for copy in range(1, scale):
        for county in counties:
            code = synthetic_code(index, province, first_prefix)
            index += 1
            if code in real:
                raise ValueError(f"synthetic code {code} collides with a real area")
            order += 1
            extra.append({**county, "area_code": code,
                          "area_name_zh": f"{county['area_name_zh']}(示例{copy})",
                          "area_name_en": "", "is_county_town_pilot": "false",
                          "sort_order": str(order)})
    return rows + extra


def _rewrite_csv(path: Path, change) -> None:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = change(list(reader))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _reach_back(rows: list[dict[str, str]], column: str, first_year: int) -> list:
    """Rows valid from the seed's earliest year become valid from ``first_year``."""
    earliest = min(int(r[column]) for r in rows)
    for row in rows:
        if int(row[column]) == earliest and first_year < earliest:
            row[column] = str(first_year)
    return rows


def prepare_project(root: Path, scale: int, years: int) -> dict:
    """The scratch dbt project and run profile under ``root``; returns what was made."""
    shutil.rmtree(root, ignore_errors=True)
    project = root / "dbt_project"
    shutil.copytree(REPO_ROOT / "dbt_project", project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    seeds = project / "seeds"
    _rewrite_csv(seeds / "ref_areas.csv", lambda rows: scaled_areas(rows, scale))

    import yaml

    demo = yaml.safe_load((REPO_ROOT / "config" / "demo.yaml").read_text(encoding="utf-8"))
    check_year = int(demo["check_year"])
    first_year = check_year - years + 1
    earliest = min(int(y) for y in demo["years"])
    if first_year < earliest:
        # The catalogue, the index and assessment weights and the questionnaire start
        # with or before the demo's first year: let the definitions in force at their
        # first year reach back to the scaled first year.
        for name, column in DATED_SEEDS:
            _rewrite_csv(seeds / f"{name}.csv",
                         lambda rows, column=column: _reach_back(rows, column, first_year))

        def questionnaire(rows):
            first = min({r["questionnaire_id"] for r in rows},
                        key=lambda q: int(q.rsplit("-", 1)[1]))
            for row in rows:
                if row["questionnaire_id"] == first:
                    row["questionnaire_id"] = f"{first.rsplit('-', 1)[0]}-{first_year}"
            return rows

        _rewrite_csv(seeds / "ref_survey_questions.csv", questionnaire)
    config = root / "config"
    config.mkdir()
    profile = {**demo, "profile": "bench", "years": list(range(first_year, check_year + 1)),
               "county_multiplier": scale}
    (config / "bench.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True),
                                       encoding="utf-8")
    with open(seeds / "ref_areas.csv", encoding="utf-8") as handle:
        counties = sum(1 for r in csv.DictReader(handle) if r["area_level"] == "county")
    return {"check_year": check_year, "first_year": first_year, "years": years,
            "counties": counties}


# --- steps, each in a spawned process ------------------------------------------------

def _use(root: str, home: str) -> None:
    """Point the platform at the scratch project and home (before importing any of it)."""
    os.environ["CITYHEALTH_HOME"] = home
    os.environ["CITYHEALTH_PROFILE"] = "bench"
    os.environ.pop("CITYHEALTH_FEED_BASE_URL", None)
    from cityhealth.core import settings as settings_module

    for name in ("cityhealth.core.reference", "cityhealth.expectations.suites",
                 "cityhealth.warehouse.dbt", "cityhealth.warehouse.release"):
        if name in sys.modules:  # pragma: no cover - a fresh spawned process
            raise RuntimeError(f"{name} was imported before the scratch project was set")
    settings_module.DBT_PROJECT_DIR = Path(root) / "dbt_project"
    settings_module.SEEDS_DIR = settings_module.DBT_PROJECT_DIR / "seeds"
    settings_module.CONFIG_DIR = Path(root) / "config"
    settings_module.settings.cache_clear()


def _peak_rss() -> int:
    """Peak resident memory of this process and its children, bytes (Linux: KiB units)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) * 1024


def step_generate(root: str, home: str, buildings: int = 0) -> dict:
    _use(root, home)
    from cityhealth.core.settings import settings
    from cityhealth.demo.generator import generate

    cfg = settings()
    cfg.ensure_dirs()
    start = time.perf_counter()
    written = generate(cfg.landing_dir, cfg.profile)
    if buildings:
        _more_buildings(cfg.landing_dir, cfg.profile, buildings)
    return {"seconds": time.perf_counter() - start, "files": len(written.files),
            "bytes": sum(p.stat().st_size for p in written.files),
            "counties": len(written.world.counties), "peak_rss_bytes": _peak_rss()}


def step_province_survey(root: str, home: str, respondents: int) -> dict:
    """Replace the check year's survey export in the landing folder by one of
    ``respondents`` respondents, the same number in every county (rounded down to a
    multiple of the counties)."""
    _use(root, home)
    from cityhealth.core.periods import Period
    from cityhealth.core.settings import settings
    from cityhealth.demo.generator.survey import write_survey_export
    from cityhealth.demo.generator.world import build_world
    from cityhealth.ingestion.registry import sources

    cfg = settings()
    profile = cfg.profile
    year = profile.check_year
    [spec] = [s for s in sources().values() if s.kind == "survey_export"]
    folder = cfg.landing_dir / spec.source_id / str(year)
    [path] = sorted(folder.glob("*.csv"))
    world = build_world(profile.seed, profile.years, Period.plan_of(year).first_year)
    counties = list(world.counties)
    # whole respondents per county (answer sheet numbers are numbered per export)
    per_county = max(1, respondents // len(counties))
    start = time.perf_counter()
    partial = path.with_name(path.name + ".part")
    written = write_survey_export(partial, year, counties, per_county,
                                  world.survey_lean(year), profile.seed)
    partial.replace(path)
    return {"seconds": time.perf_counter() - start, "respondents": written, "year": year,
            "bytes": path.stat().st_size, "peak_rss_bytes": _peak_rss()}


def _more_buildings(landing: Path, profile, buildings: int) -> None:
    """The check year's housing register replaced by one of ``buildings`` buildings: the
    demo's own (the findings' objects) first, then repeated under new ids
    (``benchmarks.objects_ingest.write_housing_sheet``)."""
    from benchmarks.objects_ingest import write_housing_sheet
    from cityhealth.demo.generator.objects import FIRST_YEAR

    year = profile.check_year
    [sheet] = (landing / "objects_housing" / str(year)).iterdir()
    write_housing_sheet(sheet, buildings, year, profile.seed, first_year=FIRST_YEAR)


def step_ingest(root: str, home: str) -> dict:
    _use(root, home)
    from cityhealth.core.settings import settings
    from cityhealth.expectations.gate import validate_pending
    from cityhealth.ingestion.registry import sources
    from cityhealth.ingestion.run import ingest_all, ingest_source

    profile = settings().profile
    registers = [s.source_id for s in sources().values() if s.kind in REGISTER_KINDS]
    outcomes, results = [], []
    ingest = validate = 0.0
    start = time.perf_counter()
    for year in profile.years:
        begin = time.perf_counter()
        outcomes += ingest_all(str(year))
        middle = time.perf_counter()
        results += validate_pending(period=str(year))
        ingest, validate = ingest + middle - begin, validate + time.perf_counter() - middle
    for month in range(1, 13):
        period = f"{profile.check_year}-{month:02d}"
        begin = time.perf_counter()
        for source_id in registers:
            outcomes += ingest_source(source_id, period)
        middle = time.perf_counter()
        results += validate_pending(period=period)
        ingest, validate = ingest + middle - begin, validate + time.perf_counter() - middle
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "ingest_seconds": ingest, "validation_seconds": validate,
            "peak_rss_bytes": _peak_rss(), "batches": len(outcomes),
            "rows": sum(o.rows or 0 for o in outcomes),
            "not_loaded": [f"{o.batch_id}: {o.status}: {o.error}" for o in outcomes
                           if o.status != "loaded"],
            "failed_validations": [r.summary() for r in results if not r.success],
            "validations": len(results)}


def step_build(root: str, home: str, memory_limit: str = "") -> dict:
    _use(root, home)
    if memory_limit:  # this process only: the caller's environment stays as it was
        os.environ[MEMORY_LIMIT_ENV] = memory_limit
    import duckdb

    from cityhealth.core.settings import settings
    from cityhealth.warehouse.dbt import build

    cfg = settings()
    os.environ["DBT_QUIET"] = "true"  # dbt's per-node lines still go to its log file
    start = time.perf_counter()
    build(check_year=cfg.profile.check_year)
    seconds = time.perf_counter() - start
    run_results = json.loads((cfg.dbt_target_dir / "run_results.json").read_text())
    con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
    try:
        counts = dict(zip(
            ("reference_counties", "staging_counties", "indicator_value_counties",
             "indicator_value_years", "survey_sheets", "survey_sheets_check_year",
             "survey_counted_sheets", "check_year_buildings"),
            con.execute("""
                select
                    (select count(*) from reference.ref_areas where area_level = 'county'),
                    (select count(distinct area_code) from staging.stg_departments__values),
                    (select count(distinct area_code) from marts.fct_indicator_value
                     where area_level = 'county' and value is not null),
                    (select count(distinct period_year) from marts.fct_indicator_value
                     where value is not null),
                    (select count(*) from intermediate.int_survey__submissions),
                    (select count(*) from intermediate.int_survey__submissions
                     where period_year = $year),
                    (select count(*) from intermediate.int_survey__submissions
                     where is_counted),
                    (select count(*) from raw.check_objects
                     where object_kind = 'housing' and period_year = $year)
            """, {"year": cfg.profile.check_year}).fetchone(), strict=True))
    finally:
        con.close()
    return {"seconds": seconds, "peak_rss_bytes": _peak_rss(), "run_results": run_results,
            **counts, "warehouse_bytes": cfg.warehouse_path.stat().st_size}


# Seconds one step may run before its process group is killed (--step-timeout).
STEP_TIMEOUT = {"limit": DEFAULT_STEP_TIMEOUT}


def in_child(function, *args) -> dict:
    """Run one step in a fresh process under the step time limit (``benchmarks.child``:
    StepTimeout when its process group was killed, StepFailed with the error's last lines)."""
    return run_step("benchmarks.dbt_build", function.__name__, *args,
                    timeout=STEP_TIMEOUT["limit"])


# --- figures -------------------------------------------------------------------------

def node_figures(run_results: dict) -> dict:
    results = run_results.get("results", [])
    kinds: dict[str, int] = {}
    for result in results:
        kind = result["unique_id"].split(".", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    models = sorted((r for r in results if r["unique_id"].startswith("model.")),
                    key=lambda r: r.get("execution_time") or 0.0, reverse=True)
    survey = [r for r in results
              if r["unique_id"].startswith("model.") and "survey" in r["unique_id"]]
    return {"models": kinds.get("model", 0), "tests": kinds.get("test", 0),
            "survey_models_seconds": sum(r.get("execution_time") or 0.0 for r in survey),
            "unit_tests": kinds.get("unit_test", 0), "seeds": kinds.get("seed", 0),
            "statuses": sorted({str(r["status"]) for r in results}),
            "slowest_models": [[r["unique_id"].rsplit(".", 1)[-1], r["execution_time"]]
                               for r in models[:5]]}


def report(result: dict) -> str:
    def gib(n: int) -> str:
        return f"{n / GiB:.2f} GiB"

    info = result["machine"]
    lines = [
        f"machine: {info['cpu_count']} CPUs, {gib(info['total_ram_bytes'])} RAM, load average "
        f"{info['load_average_1min']:.2f} at start, {info['load_average_1min_end']:.2f} at end",
        f"{'scale':<34}{result['scale']:>14}x counties, {result['years']} years "
        f"({result['first_year']}-{result['check_year']})",
        f"{'counties':<34}{result['counties']:>14,}  (warehouse: "
        f"{result['warehouse_counties']:,} with indicator values)",
        f"{'buildings (check year, raw)':<34}{result['check_year_buildings']:>14,}",
        f"{'rows delivered':<34}{result['rows_delivered']:>14,}  "
        f"({result['batches']:,} batches, {result['delivery_bytes'] / 1e6:.1f} MB)",
        f"{'generation (not timed below)':<34}{result['generation_seconds']:>12.1f} s",
        f"{'ingest seconds':<34}{result['ingest_seconds']:>12.1f} s  (ingest "
        f"{result['ingest_only_seconds']:.1f} s + validation "
        f"{result['validation_seconds']:.1f} s), peak RSS {gib(result['ingest_peak_rss_bytes'])}",
        f"{'survey answer sheets':<34}{result['survey_sheets']:>14,}  "
        f"({result['survey_sheets_check_year']:,} in {result['check_year']}"
        + (f", the province-sized export of {result['survey_respondents']:,} respondents"
           if result["survey_respondents"] else "") + ")",
        f"{'DuckDB memory limit':<34}{result['memory_limit']:>14}",
        f"{'dbt build seconds':<34}{result['dbt_build_seconds']:>12.1f} s  peak RSS "
        f"{gib(result['dbt_peak_rss_bytes'])}, warehouse "
        f"{result['warehouse_bytes'] / 1e6:.1f} MB",
        f"{'survey models seconds':<34}{result['survey_models_seconds']:>12.1f} s  "
        f"({result['survey_models_seconds_per_million_sheets']:.1f} s per million sheets; "
        f"whole build {result['dbt_seconds_per_million_sheets']:.1f} s per million)",
        f"{'goal: dbt peak RSS <= 4 GiB':<34}"
        f"{'met' if result['dbt_peak_rss_goal_met'] else 'MISSED':>14}  "
        f"({gib(result['dbt_peak_rss_bytes'])}; time linear in the data: compare "
        f"the seconds per million sheets between runs)",
        f"{'ratio dbt / ingest':<34}{result['ratio_dbt_ingest']:>14.2f}",
        f"{'models / tests':<34}{result['models']:>10} / {result['tests']}  "
        f"(+ {result['unit_tests']} unit tests, {result['seeds']} seeds)",
        "slowest models:",
    ]
    lines += [f"  {name:<40}{seconds:>8.1f} s" for name, seconds in result["slowest_models"]]
    return "\n".join(lines)


def machine() -> dict:
    return {"cpu_count": os.cpu_count(),
            "total_ram_bytes": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"),
            "platform": platform.platform(), "python": platform.python_version(),
            "load_average_1min": os.getloadavg()[0]}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dbt_build",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=DEFAULT_SCALE,
                        help=f"times the counties (and, by default, the years); "
                             f"default {DEFAULT_SCALE}")
    parser.add_argument("--years", type=int, default=None,
                        help=f"years ending at the check year (default {DEMO_YEARS} x scale)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help=f"scratch project, platform home, results.json "
                             f"(default {DEFAULT_WORKDIR})")
    parser.add_argument("--step-timeout", type=float, default=DEFAULT_STEP_TIMEOUT,
                        help="seconds each step (generation, ingest, dbt build) may run "
                             f"before its processes are killed (default {DEFAULT_STEP_TIMEOUT:g})")
    parser.add_argument("--survey-respondents", type=int, default=None,
                        help="replace the check year's survey export by one of this many "
                             "respondents (10000000: a province-sized survey); default: "
                             "the demo's respondents per county")
    parser.add_argument("--memory-limit", default=None,
                        help=f"DuckDB's memory limit of the dbt build ({MEMORY_LIMIT_ENV}, "
                             "e.g. 2GB); default: the settings' (4GB unless set)")
    parser.add_argument("--buildings", type=int, default=0,
                        help="the check year's housing register with this many buildings "
                             "(the demo's, then repeated under new ids; default: the demo's)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the platform home (landing, warehouse) after the run")
    args = parser.parse_args(argv)
    years = args.years if args.years is not None else DEMO_YEARS * args.scale
    if args.scale < 1 or years < DEMO_YEARS:
        parser.error(f"--scale must be >= 1 and --years >= {DEMO_YEARS} (the plan period)")
    if args.survey_respondents is not None and args.survey_respondents < 1:
        parser.error("--survey-respondents must be >= 1")
    STEP_TIMEOUT["limit"] = args.step_timeout
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    root, home = workdir / "project", workdir / "home"
    shutil.rmtree(home, ignore_errors=True)

    def log(text: str) -> None:
        print(text, flush=True)

    info = machine()
    made = prepare_project(root, args.scale, years)
    log(f"scratch project: {made['counties']} counties, {made['first_year']}-"
        f"{made['check_year']}; generating the deliveries ...")
    generated = in_child(step_generate, str(root), str(home), args.buildings)
    log(f"  {generated['files']} files in {generated['seconds']:.1f} s")
    survey = None
    if args.survey_respondents:
        log(f"  the {made['check_year']} survey export: {args.survey_respondents:,} "
            "respondents ...")
        survey = in_child(step_province_survey, str(root), str(home),
                          args.survey_respondents)
        log(f"  {survey['respondents']:,} respondents, {survey['bytes'] / 1e9:.2f} GB in "
            f"{survey['seconds']:.1f} s")
        generated["seconds"] += survey["seconds"]
        generated["bytes"] += survey["bytes"]  # (plus the small demo export it replaced)
    log("ingesting ...")
    ingest = in_child(step_ingest, str(root), str(home))
    if ingest["not_loaded"] or ingest["failed_validations"]:
        raise RuntimeError("the scaled deliveries did not all pass: "
                           f"{(ingest['not_loaded'] + ingest['failed_validations'])[:5]}")
    log(f"  {ingest['rows']:,} rows in {ingest['seconds']:.1f} s; dbt build ...")
    built = in_child(step_build, str(root), str(home), args.memory_limit or "")
    nodes = node_figures(built.pop("run_results"))
    info["load_average_1min_end"] = os.getloadavg()[0]
    result = {
        "machine": info, "scale": args.scale, "years": years, "buildings": args.buildings,
        "check_year_buildings": built["check_year_buildings"],
        "first_year": made["first_year"], "check_year": made["check_year"],
        "counties": made["counties"], "generated_counties": generated["counties"],
        "reference_counties": built["reference_counties"],
        "staging_counties": built["staging_counties"],
        "warehouse_counties": built["indicator_value_counties"],
        "warehouse_years": built["indicator_value_years"],
        "rows_delivered": ingest["rows"], "batches": ingest["batches"],
        "delivery_files": generated["files"], "delivery_bytes": generated["bytes"],
        "generation_seconds": generated["seconds"],
        "ingest_seconds": ingest["seconds"], "ingest_only_seconds": ingest["ingest_seconds"],
        "validation_seconds": ingest["validation_seconds"],
        "ingest_peak_rss_bytes": ingest["peak_rss_bytes"],
        "dbt_build_seconds": built["seconds"], "dbt_peak_rss_bytes": built["peak_rss_bytes"],
        "warehouse_bytes": built["warehouse_bytes"],
        "ratio_dbt_ingest": built["seconds"] / ingest["seconds"],
        "survey_respondents": survey["respondents"] if survey else None,
        "survey_sheets": built["survey_sheets"],
        "survey_sheets_check_year": built["survey_sheets_check_year"],
        "survey_counted_sheets": built["survey_counted_sheets"],
        "memory_limit": (args.memory_limit
                         or os.environ.get(MEMORY_LIMIT_ENV, "4GB (default)")),
        "dbt_seconds_per_million_sheets": built["seconds"] / built["survey_sheets"] * 1e6,
        "survey_models_seconds_per_million_sheets":
            nodes["survey_models_seconds"] / built["survey_sheets"] * 1e6,
        "dbt_peak_rss_goal_met": built["peak_rss_bytes"] <= GOAL_DBT_PEAK_RSS_BYTES,
        **nodes,
    }
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    (workdir / "results.json").write_text(json.dumps(result, indent=2, ensure_ascii=False),
                                          encoding="utf-8")
    log("")
    log(report(result))
    log(f"\nwritten to {workdir / 'results.json'}")
    return result


if __name__ == "__main__":
    main()
