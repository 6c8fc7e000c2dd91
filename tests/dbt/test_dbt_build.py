"""The dbt project built end to end on a generated raw fixture (all counties, two years).

One ``dbt build`` (seeds, models, data tests, unit tests) is shared by the assertions
through a module-scoped fixture; a second dbt invocation in the same process checks that
a failing model surfaces as a DbtBuildError naming it.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from cityhealth.core import settings as settings_module
from cityhealth.core.settings import SEEDS_DIR
from tests.dbt.fixture_data import QUARANTINED_VALUE, YEARS, Fixture, insert_raw
from tests.reads import query

CHECK_YEAR = YEARS[-1]


@dataclass
class Built:
    home: Path
    warehouse: Path
    fixture: Fixture
    run_results: dict
    seconds: float

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        return query(sql, params, warehouse=self.warehouse)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """A fresh home (as the cityhealth_home fixture makes, but shared by the module),
    the raw fixture loaded through the writer, and one dbt build."""
    from cityhealth.warehouse.connection import writer
    from cityhealth.warehouse.dbt import build

    home = tmp_path_factory.mktemp("dbt_build") / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITYHEALTH_HOME", str(home))
        settings_module.settings.cache_clear()
        cfg = settings_module.settings()
        cfg.ensure_dirs()
        with writer() as con:
            fixture = insert_raw(con, SEEDS_DIR)
        started = time.monotonic()
        build(check_year=CHECK_YEAR)
        seconds = time.monotonic() - started
        run_results = json.loads((cfg.dbt_target_dir / "run_results.json").read_text())
        yield Built(home, cfg.warehouse_path, fixture, run_results, seconds)
    settings_module.settings.cache_clear()


@pytest.mark.slow
def test_build_ran_seeds_models_data_tests_and_unit_tests(built: Built) -> None:
    results = built.run_results["results"]
    kinds: dict[str, int] = {}
    for result in results:
        kind = result["unique_id"].split(".")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
        if kind == "exposure":  # readers of the published views: listed, nothing to run
            assert result["status"] == "no-op", result["unique_id"]
            continue
        assert result["status"] in ("success", "pass"), result["unique_id"]
    assert kinds.get("seed", 0) >= 9
    assert kinds.get("model", 0) >= 40
    # (a table's key and filled columns are its contract's constraints, not tests)
    assert kinds.get("test", 0) >= 300
    assert kinds.get("unit_test", 0) >= 22
    assert kinds.get("exposure", 0) >= 5
    # dbt writes under CITYHEALTH_HOME, never into the repository
    assert (built.home / "dbt" / "target" / "run_results.json").exists()
    assert (built.home / "dbt" / "target" / "partial_parse.msgpack").exists()
    print(f"dbt build on the fixture: {built.seconds:.1f} s")


@pytest.mark.slow
def test_nodes_ran_on_the_threads_of_the_setting(built: Built) -> None:
    """dbt ran CITYHEALTH_DBT_THREADS nodes at a time (4 unless set), and what ran is in
    run_results.json, which the platform writes itself (not dbt: it would serialise the
    whole manifest too, a second of every dbt task)."""
    threads = {result["thread_id"] for result in built.run_results["results"]
               if not result["unique_id"].startswith("operation.")}  # hooks: main thread
    assert len(threads) == settings_module.DBT_THREADS_DEFAULT == 4, threads
    assert built.run_results["elapsed_time"] > 0
    assert built.run_results["metadata"]["dbt_version"].startswith("1.11")


@pytest.mark.slow
def test_health_index_for_each_of_the_11_cities(built: Built) -> None:
    rows = built.query(
        "select area_code, health_index, rank_in_province from marts.fct_health_index "
        "where area_level = 'city' and period_year = ? order by rank_in_province",
        [CHECK_YEAR],
    )
    assert len(rows) == 11
    assert all(index is not None and 0 <= index <= 100 for _, index, _ in rows)
    assert sorted(rank for _, _, rank in rows)[0] == 1
    published = built.query(
        "select count(*) from published.pub_health_index "
        "where area_level = 'city' and period_year = ?",
        [CHECK_YEAR],
    )
    assert published == [(11,)]


@pytest.mark.slow
def test_scores_are_within_0_and_100(built: Built) -> None:
    out_of_range = built.query(
        "select count(*) from marts.fct_indicator_score where score < 0 or score > 100"
    )
    assert out_of_range == [(0,)]
    scored = built.query("select count(score) from marts.fct_indicator_score")
    assert scored[0][0] > 0
    dimension_columns = ", ".join(
        f"score_{code}" for code in ("el", "hc", "sr", "tr", "tc", "to", "di", "iv")
    )
    for row in built.query(f"select {dimension_columns} from published.pub_health_index"):
        assert all(score is None or 0 <= score <= 100 for score in row)


def _catalogue() -> list[dict[str, str]]:
    import csv

    with open(SEEDS_DIR / "ref_indicators.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_city_ratio_is_sum_of_numerators_over_sum_of_denominators(built: Built) -> None:
    fixture = built.fixture
    county, year, missing_variable = fixture.missing
    indicator = next(
        i for i in _catalogue()
        if i["aggregation"] == "ratio" and i["numerator_variable"] == missing_variable
        and i["denominator_variable"]
        and int(i["check_year_from"]) <= year <= int(i["check_year_to"] or 9999)
    )
    city = fixture.counties[county]
    members = [c for c, parent in fixture.counties.items() if parent == city]
    reporting = [c for c in members if c != county]
    numerator = sum(fixture.values[(c, year, missing_variable)] for c in reporting)
    denominator = sum(
        fixture.values[(c, year, indicator["denominator_variable"])] for c in reporting
    )
    multiplier = float(indicator["multiplier"] or 1)
    expected = numerator / denominator * multiplier
    mean_of_ratios = sum(
        fixture.values[(c, year, missing_variable)]
        / fixture.values[(c, year, indicator["denominator_variable"])]
        for c in reporting
    ) / len(reporting) * multiplier

    [(value, reported, expected_counties, complete)] = built.query(
        "select value, counties_reported, counties_expected, is_complete "
        "from marts.fct_indicator_value "
        "where area_code = ? and period_year = ? and indicator_code = ?",
        [city, year, indicator["indicator_code"]],
    )
    assert value == pytest.approx(expected, rel=1e-9)
    assert value != pytest.approx(mean_of_ratios, rel=1e-9)
    # the county without the numerator is missing from the roll-up, and it shows
    assert (reported, expected_counties, complete) == (len(members) - 1, len(members), False)


@pytest.mark.slow
def test_quarantined_batch_does_not_reach_staging(built: Built) -> None:
    batch_id = built.fixture.quarantined_batch_id
    in_raw = built.query(
        "select count(*) from raw.department_values where batch_id = ?", [batch_id]
    )
    assert in_raw[0][0] > 0
    in_staging = built.query(
        "select count(*) from staging.stg_departments__values where batch_id = ? or value = ?",
        [batch_id, QUARANTINED_VALUE],
    )
    assert in_staging == [(0,)]
    in_marts = built.query(
        "select count(*) from marts.fct_indicator_value where list_contains(batch_ids, ?)",
        [batch_id],
    )
    assert in_marts == [(0,)]


@pytest.mark.slow
def test_failing_model_raises_dbt_build_error_naming_it(built: Built, cityhealth_home) -> None:
    """A second dbt invocation in the same process, on a warehouse without raw tables."""
    from cityhealth.warehouse.dbt import DbtBuildError, run_dbt

    with pytest.raises(DbtBuildError) as raised:
        run_dbt(["run", "--select", "stg_load__batches"])
    message = str(raised.value)
    assert "stg_load__batches" in message
    assert "load_batches" in message.split("stg_load__batches", 1)[1]
    assert raised.value.failures and len(raised.value.failures) == 1


def _changed_copy(built: Built, home: Path, change: str) -> Path:
    """A copy of the built warehouse with the statement ``change`` applied."""
    import shutil

    copy = home / "copy" / built.warehouse.name
    copy.parent.mkdir()
    shutil.copyfile(built.warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute(change)
    finally:
        con.close()
    return copy


def _run_dbt_on(copy: Path, command: str, model: str) -> None:
    from cityhealth.core.periods import Period
    from cityhealth.warehouse.dbt import run_dbt

    run_dbt([command, "--select", model], warehouse_path=copy,
            vars=Period.annual(CHECK_YEAR).dbt_vars())


def _run_on_a_broken_copy(built: Built, home: Path, breaking: str,
                          model: str, command: str = "run") -> tuple[list[str], Path]:
    """A copy of the built warehouse with the statement ``breaking`` applied, then
    ``dbt <command>`` of ``model`` on it, which must fail: its failures, and the copy."""
    from cityhealth.warehouse.dbt import DbtBuildError

    copy = _changed_copy(built, home, breaking)
    with pytest.raises(DbtBuildError) as raised:
        _run_dbt_on(copy, command, model)
    return raised.value.failures, copy


@pytest.mark.slow
def test_a_null_in_a_not_null_column_stops_its_model_and_names_the_column(
        built: Built, cityhealth_home: Path) -> None:
    """Table models declare their columns' types and not-null columns in an enforced
    contract: a null stops the model as its table is written, the error names the table
    and the column, and the table as it was stays."""
    rows = "select count(*) from marts.fct_dimension_score"
    # the weights of one dimension left empty in the reference table
    failures, copy = _run_on_a_broken_copy(
        built, cityhealth_home,
        "update reference.ref_index_weights set weight = null where dimension_code = 'EL'",
        "fct_dimension_score")
    assert failures == [
        "model fct_dimension_score [error]: Constraint Error: NOT NULL constraint failed: "
        "fct_dimension_score.dimension_weight"]
    assert query(rows, warehouse=copy) == built.query(rows)
    assert query(f"{rows} where dimension_weight is null", warehouse=copy) == [(0,)]


@pytest.mark.slow
def test_a_value_outside_its_list_stops_its_model_and_names_the_rule(
        built: Built, cityhealth_home: Path) -> None:
    """A column whose values come from a list (or a range) says so as a check constraint
    of its table's contract: a value outside it stops the model as its table is written,
    the error names the table and the rule, and the table as it was stays."""
    rows = "select count(*) from marts.dim_indicator"
    # one indicator's direction misspelt in the reference table
    failures, copy = _run_on_a_broken_copy(
        built, cityhealth_home,
        "update reference.ref_indicators set direction = 'higher' where indicator_code = "
        "(select min(indicator_code) from reference.ref_indicators)",
        "dim_indicator")
    assert failures == [
        "model dim_indicator [error]: Constraint Error: CHECK constraint failed on table "
        "dim_indicator with expression CHECK((direction IN ('higher_better', "
        "'lower_better', 'target_range')))"]
    assert query(rows, warehouse=copy) == built.query(rows)
    assert query(f"{rows} where direction = 'higher'", warehouse=copy) == [(0,)]


@pytest.mark.slow
def test_a_duplicate_key_stops_its_model_and_names_the_key(
        built: Built, cityhealth_home: Path) -> None:
    """A table's grain is the primary key of its contract: a second row with the same key
    stops the model as its table is written, the error gives the key's values and
    columns, and the table as it was stays."""
    rows = "select count(*) from marts.dim_indicator"
    code, year = built.query("select indicator_code, check_year_from "
                             "from marts.dim_indicator order by all limit 1")[0]
    # one catalogue row delivered twice
    failures, copy = _run_on_a_broken_copy(
        built, cityhealth_home,
        f"insert into reference.ref_indicators select * from reference.ref_indicators "
        f"where indicator_code = '{code}' and check_year_from = {year}",
        "dim_indicator")
    assert failures == [
        "model dim_indicator [error]: Constraint Error: PRIMARY KEY or UNIQUE constraint "
        f'violation: duplicate key "{code}, {year}" (the key of dim_indicator: '
        "indicator_code, check_year_from)"]
    assert query(rows, warehouse=copy) == built.query(rows)


@pytest.mark.slow
def test_a_failed_data_test_shows_its_failing_rows(
        built: Built, cityhealth_home: Path) -> None:
    """A view's columns that must be filled are tested together (not_null_columns), its
    references too (relationships_of_columns): a failure names the test, and its first
    rows name the column, the value and where it should have been found."""
    problem = built.query("select min(problem_id) from marts.fct_problem_history")[0][0]
    failures, _copy = _run_on_a_broken_copy(
        built, cityhealth_home,
        # (the table holds its own not-null constraint; the view's test is what is tested)
        "alter table marts.fct_problem_history alter column status drop not null; "
        f"update marts.fct_problem_history set status = null, area_code = '369999' "
        f"where problem_id = '{problem}'",
        "pub_problem_history", command="test")
    by_test = {failure.split(" [", 1)[0]: failure for failure in failures}
    assert len(by_test) == 2, failures
    not_null = by_test[next(name for name in by_test if "not_null_columns" in name)]
    assert re.fullmatch(
        r"test not_null_columns_pub_problem_history_\w+ \[fail\]: Got 1 result, configured "
        r"to fail if != 0 – failing rows: column_name=status, rows_with_null=[1-9]\d*",
        not_null), not_null
    references = by_test[next(name for name in by_test
                              if "relationships_of_columns" in name)]
    assert re.search(
        r"\[fail\]: Got 1 result, configured to fail if != 0 – failing rows: "
        r"column_name=area_code, value_not_found=369999, should_be_in=dim_area.area_code, "
        r"rows_with_value=[1-9]\d*$", references), references


@pytest.mark.slow
def test_the_simulated_index_builds_empty_without_simulations(
        built: Built, cityhealth_home: Path) -> None:
    """The simulated index is built in a branch per simulated year: with no simulation
    (no year to branch on) it is still valid SQL, and empty."""
    copy = _changed_copy(built, cityhealth_home,
                         "delete from marts.dim_uncertainty_simulation")
    _run_dbt_on(copy, "run", "fct_health_index_simulation")
    assert query("select count(*) from marts.fct_health_index_simulation",
                 warehouse=copy) == [(0,)]
    assert built.query("select count(*) > 0 from marts.fct_health_index_simulation") == [
        (True,)]


LAYERS = ("staging", "intermediate", "marts", "published")


@pytest.mark.slow
def test_models_depend_only_on_their_own_or_earlier_layers(
        built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    """The layers' order (staging → intermediate → marts → published) is the project's
    structure: a model reads its own layer or an earlier one, never a later one."""
    from cityhealth.warehouse.dbt import run_dbt

    monkeypatch.setenv("CITYHEALTH_HOME", str(built.home))
    settings_module.settings.cache_clear()
    run_dbt(["parse"])  # writes target/manifest.json (a build writes only run_results.json)
    manifest = json.loads((built.home / "dbt" / "target" / "manifest.json").read_text())
    settings_module.settings.cache_clear()
    nodes = manifest["nodes"]

    def layer(node: dict) -> int:
        return LAYERS.index(Path(node["original_file_path"]).parts[1])

    violations = [
        f"{node['name']} -> {nodes[parent]['name']}"
        for node in nodes.values() if node["resource_type"] == "model"
        for parent in node["depends_on"]["nodes"]
        if nodes.get(parent, {}).get("resource_type") == "model"
        and layer(nodes[parent]) > layer(node)
    ]
    assert violations == []
