"""The seeds step seeds only what changed since the last seed into this warehouse.

A scratch copy of the dbt project (the repository's seeds are never written) and a fresh
home: the first seeds step seeds; a second one with nothing changed leaves dbt out; a
changed seed file, or a seed table gone from the warehouse, is seeded again and the
warehouse holds the new rows; a changed seed configuration or data test runs the step
again, and a failed step is not recorded as seeded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from cityhealth.core.settings import DBT_PROJECT_DIR, settings
from cityhealth.warehouse.dbt import DbtBuildError
from tests.reads import query

pytestmark = pytest.mark.slow

NEW_UNIT = "千公顷,平方公里,10"


@pytest.fixture
def scratch_project(tmp_path: Path, cityhealth_home: Path,
                    monkeypatch: pytest.MonkeyPatch) -> Path:
    from cityhealth.warehouse import dbt, dbt_state

    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project,
                    ignore=shutil.ignore_patterns(*dbt_state.NOT_INPUTS))
    for module in (dbt, dbt_state):
        monkeypatch.setattr(module, "DBT_PROJECT_DIR", project)
    return project


def _units() -> set[str]:
    return {unit for (unit,) in query("select unit_zh from reference.ref_units")}


def test_seeds_are_seeded_only_when_they_changed(scratch_project: Path) -> None:
    from cityhealth.orchestration.pipeline import build_step

    results = settings().dbt_target_dir / "run_results.json"
    assert build_step("seeds", "2025") == "seeded"
    assert "万平方米" in _units() and "千公顷" not in _units()
    seeded_at = results.stat().st_mtime_ns

    assert build_step("seeds", "2025-07") == "seeds unchanged"
    assert results.stat().st_mtime_ns == seeded_at, "dbt ran although nothing changed"

    units = scratch_project / "seeds" / "ref_units.csv"
    units.write_text(units.read_text(encoding="utf-8") + NEW_UNIT + "\n", encoding="utf-8")
    assert build_step("seeds", "2025") == "seeded"
    assert "千公顷" in _units()
    assert build_step("seeds", "2025") == "seeds unchanged"

    con = duckdb.connect(str(settings().warehouse_path))
    con.execute("drop table reference.ref_units")
    con.close()
    assert build_step("seeds", "2025") == "seeded"
    assert "千公顷" in _units()


def test_a_changed_seed_configuration_or_test_is_seeded_again(scratch_project: Path) -> None:
    """seeds.yml holds the seeds' column types and data tests: a change there runs the
    seeds step (seeds and their tests) again, so a new test on a seed runs at once."""
    from cityhealth.orchestration.pipeline import build_step

    results = settings().dbt_target_dir / "run_results.json"
    assert build_step("seeds", "2025") == "seeded"
    assert build_step("seeds", "2025") == "seeds unchanged"
    config = scratch_project / "seeds" / "seeds.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "        description: Unit as written in a delivered header.\n"
        "        data_tests: [not_null]",
        "        description: Unit as written in a delivered header.\n"
        "        data_tests: [not_null, unique]", 1), encoding="utf-8")
    with pytest.raises(DbtBuildError, match="unique_ref_units_unit_zh"):
        build_step("seeds", "2025")  # 平方米 has three conversions: the new test fails
    assert "unique_ref_units_unit_zh" in results.read_text(encoding="utf-8")
    # a failed seeds step records nothing: the next run tries again
    with pytest.raises(DbtBuildError):
        build_step("seeds", "2025")
