"""The reference step (the seeds and their staging views) builds only when what it reads
changed since it was last built into this warehouse.

A scratch copy of the dbt project (the repository's seeds are never written) and a fresh
home: the first reference step builds; a second one with nothing changed leaves dbt out;
a changed seed file, or a seed table or reference view gone from the warehouse, is built
again and the warehouse holds the new rows; a changed seed configuration, data test or
reference view runs the step again, and a failed step is not recorded as built.
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


def test_the_reference_data_is_built_only_when_it_changed(scratch_project: Path) -> None:
    from cityhealth.orchestration.pipeline import build_step

    results = settings().dbt_target_dir / "run_results.json"
    assert build_step("reference", "2025") == "reference built"
    assert "万平方米" in _units() and "千公顷" not in _units()
    seeded_at = results.stat().st_mtime_ns

    assert build_step("reference", "2025-07") == "reference unchanged"
    assert results.stat().st_mtime_ns == seeded_at, "dbt ran although nothing changed"

    units = scratch_project / "seeds" / "ref_units.csv"
    units.write_text(units.read_text(encoding="utf-8") + NEW_UNIT + "\n", encoding="utf-8")
    assert build_step("reference", "2025") == "reference built"
    assert "千公顷" in _units()
    assert build_step("reference", "2025") == "reference unchanged"

    con = duckdb.connect(str(settings().warehouse_path))
    con.execute("drop table reference.ref_units")
    con.close()
    assert build_step("reference", "2025") == "reference built"
    assert "千公顷" in _units()

    con = duckdb.connect(str(settings().warehouse_path))
    con.execute("drop view staging.stg_reference__areas")
    con.close()
    assert build_step("reference", "2025") == "reference built"
    assert query("select count(*) from staging.stg_reference__areas")[0][0] > 0
    assert build_step("reference", "2025") == "reference unchanged"

    view = scratch_project / "models" / "staging" / "reference" / "stg_reference__areas.sql"
    view.write_text(view.read_text(encoding="utf-8") + "-- a changed view\n",
                    encoding="utf-8")
    assert build_step("reference", "2025") == "reference built"


def test_a_changed_seed_configuration_or_test_is_built_again(scratch_project: Path) -> None:
    """seeds.yml holds the seeds' column types and data tests: a change there runs the
    reference step (seeds, their views and tests) again, so a new test on a seed runs at
    once."""
    from cityhealth.orchestration.pipeline import build_step

    results = settings().dbt_target_dir / "run_results.json"
    assert build_step("reference", "2025") == "reference built"
    assert build_step("reference", "2025") == "reference unchanged"
    config = scratch_project / "seeds" / "seeds.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "        description: Unit as written in a delivered header.\n"
        "        data_tests: [not_null]",
        "        description: Unit as written in a delivered header.\n"
        "        data_tests: [not_null, unique]", 1), encoding="utf-8")
    with pytest.raises(DbtBuildError, match="unique_ref_units_unit_zh"):
        build_step("reference", "2025")  # 平方米 has three conversions: the new test fails
    assert "unique_ref_units_unit_zh" in results.read_text(encoding="utf-8")
    # a failed reference step records nothing: the next run tries again
    with pytest.raises(DbtBuildError):
        build_step("reference", "2025")
