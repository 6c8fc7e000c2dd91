"""The whole demo, built once per test session for the tests that read its marts.

The demo generator writes every delivery of the profile's years; the annual sources
are ingested and validated year by year; the monthly and quarterly feeds are pulled
from the project's feed server (on loopback, in a thread) and the registers ingested
for every month of the check year; one ``cityhealth.warehouse.dbt.build`` runs seeds, models, data
tests and unit tests; then the annual, a monthly, a quarterly and the five-year
releases are published. Settings point at the platform only while it is built (and
inside ``DemoPlatform.active()``), so other tests never see it.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import pickle
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from cityhealth.core import settings as settings_module
from cityhealth.core.periods import Period
from tests.reads import query

TOKEN = "demo-platform-token"
MONTH = "07"
QUARTER = 2


@dataclass
class DemoPlatform:
    home: Path
    warehouse: Path
    years: tuple[int, ...]
    check_year: int
    plan_period: tuple[int, int]  # of the check year (ref_plan_periods): (start, end)
    cities: list[str]
    run_results: dict
    build_seconds: float
    releases: dict[str, Path] = field(default_factory=dict)

    @property
    def month(self) -> str:
        return f"{self.check_year}-{MONTH}"

    @property
    def quarter(self) -> str:
        return f"{self.check_year}-Q{QUARTER}"

    @property
    def plan_label(self) -> str:
        return Period.plan(*self.plan_period).label

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        return query(sql, params, warehouse=self.warehouse)

    def moved_to(self, home: Path) -> DemoPlatform:
        """The same platform, copied to ``home``."""
        def move(path: Path) -> Path:
            return home / path.relative_to(self.home)

        return dataclasses.replace(self, home=home, warehouse=move(self.warehouse),
                                   releases={k: move(v) for k, v in self.releases.items()})

    @contextmanager
    def active(self) -> Iterator[None]:
        """Settings point at this platform inside the block."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CITYHEALTH_HOME", str(self.home))
            patch.setenv("CITYHEALTH_PROFILE", "demo")
            settings_module.settings.cache_clear()
            try:
                yield
            finally:
                settings_module.settings.cache_clear()


def _pull(source_ids: list[str], period: str) -> None:
    from cityhealth.expectations.gate import validate_pending
    from cityhealth.ingestion.run import ingest_source

    for source_id in source_ids:
        ingest_source(source_id, period)
    validate_pending(period=period)


def build_demo_platform(home: Path) -> DemoPlatform:
    from cityhealth.demo.feed_server import make_server
    from cityhealth.demo.generator import generate
    from cityhealth.expectations.gate import validate_pending
    from cityhealth.ingestion.registry import sources
    from cityhealth.ingestion.run import ingest_all
    from cityhealth.warehouse.dbt import build
    from cityhealth.warehouse.release import publish

    server = make_server("127.0.0.1", 0, token=TOKEN)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CITYHEALTH_HOME", str(home))
            patch.setenv("CITYHEALTH_PROFILE", "demo")
            patch.setenv("CITYHEALTH_FEED_BASE_URL",
                         f"http://127.0.0.1:{server.server_address[1]}")
            patch.setenv("CITYHEALTH_FEED_TOKEN", TOKEN)
            settings_module.settings.cache_clear()
            cfg = settings_module.settings()
            cfg.ensure_dirs()
            profile = cfg.profile

            generate(cfg.landing_dir, profile)
            for year in profile.years:
                ingest_all(str(year))
                validate_pending(period=str(year))
            monthly = [s.source_id for s in sources().values() if s.cadence == "monthly"]
            quarterly = [s.source_id for s in sources().values() if s.cadence == "quarterly"]
            for month in range(1, 13):
                _pull(monthly, f"{profile.check_year}-{month:02d}")
            for quarter in range(1, 5):
                _pull(quarterly, f"{profile.check_year}-Q{quarter}")

            started = time.monotonic()
            build(check_year=profile.check_year)
            seconds = time.monotonic() - started
            print(f"dbt build on the demo ({profile.years[0]}–{profile.check_year}): "
                  f"{seconds:.1f} s")
            run_results = json.loads((cfg.dbt_target_dir / "run_results.json").read_text())
            con = duckdb.connect(str(cfg.warehouse_path), read_only=True)
            try:
                cities = [code for (code,) in con.execute(
                    "select area_code from reference.ref_areas where area_level = 'city' "
                    "order by area_code").fetchall()]
            finally:
                con.close()
            plan = Period.plan_of(profile.check_year)
            platform = DemoPlatform(home, cfg.warehouse_path, profile.years, profile.check_year,
                                    (plan.first_year, plan.last_year), cities,
                                    run_results, seconds)
            for period in (str(platform.check_year), platform.month, platform.quarter,
                           platform.plan_label):
                platform.releases[period] = publish(period, run_id="demo-platform").path
            return platform
    finally:
        server.shutdown()
        server.server_close()
        settings_module.settings.cache_clear()


def shared_demo_platform(shared: Path, home: Path) -> DemoPlatform:
    """The demo built once for all the processes of a test run (``make test`` shares the
    test files among processes): the first process to ask builds it into ``shared``
    while the others wait for the lock; each then works on its own copy at ``home``
    (tests publish releases and write reports into the platform's home)."""
    shared.mkdir(parents=True, exist_ok=True)
    built = shared / "platform.pickle"
    with open(shared / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not built.exists():
            built.write_bytes(pickle.dumps(build_demo_platform(shared / "home")))
    original: DemoPlatform = pickle.loads(built.read_bytes())
    shutil.copytree(original.home, home, symlinks=True)
    return original.moved_to(home)
