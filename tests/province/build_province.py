"""Build one check year of the demo, without Airflow, in the project copy on PYTHONPATH.

    CITYHEALTH_HOME=<home> PYTHONPATH=<copy> python -m tests.province.build_province 2025

The steps of ``annual_health_check`` as ``cityhealth.orchestration.pipeline`` runs them:
the demo generator writes the deliveries, every annual source of the year is ingested
and validated, and so are one month's supervision registers (files, no feed server);
``dbt build`` (without the unit tests, as the scheduled runs) for the check year; then
the annual, the plan period's and the month's releases are published and their reports
written from them. Prints one line per release and report folder.
"""

from __future__ import annotations

import argparse
import sys

REGISTER_KINDS = ("task_register", "project_register")
MONTH = 9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("year", type=int)
    args = parser.parse_args(argv)

    from cityhealth.core.settings import settings
    from cityhealth.demo.generator import generate
    from cityhealth.ingestion.registry import sources
    from cityhealth.orchestration import pipeline
    from cityhealth.warehouse.dbt import run_dbt

    cfg = settings()
    cfg.ensure_dirs()
    generate(cfg.landing_dir, cfg.profile)
    year = str(args.year)
    month = f"{args.year}-{MONTH:02d}"
    steps = [(source_id, year) for source_id in pipeline.sources_with_cadence("annual")]
    steps += [(s.source_id, month) for s in sources().values() if s.kind in REGISTER_KINDS]
    for source_id, period in steps:
        pipeline.ingest(source_id, period)
        pipeline.validate(source_id, period)
    run_dbt(["build", "--exclude", "test_type:unit"],
            vars=pipeline.dbt_vars(year))
    for kind, period in (("annual", year), ("five_year", pipeline.plan_period(year).label),
                         ("monthly", month)):
        folder = pipeline.publish_release(period, run_id="second-province")["folder"]
        pipeline.write_reports(kind, period, folder)
        print(f"{kind} {period} {folder}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
