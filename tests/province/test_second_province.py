"""Another province is a data change: the demo built from Hunan's seeds (430000, 14
prefecture-level units, 122 county-level units) carries no Jiangxi code or name into
its releases or its reports.

The project's tracked files are copied, the fixture's seeds put over the copy's
``dbt_project/seeds/`` and one check year (the plan's last) built in a subprocess
(``tests/province/build_province.py``: the annual pipeline's steps, then the annual,
five-year and monthly releases and reports).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from cityhealth.core import reference
from cityhealth.core.periods import Period
from cityhealth.core.settings import REPO_ROOT, settings
from tests.province.build_province import MONTH

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).parents[1] / "fixtures" / "provinces" / "430000"
TIMEOUT_SECONDS = 1800
JIANGXI_CODE = re.compile(r"(?<!\d)36\d{4}(?!\d)")  # a 36xxxx code, alone or inside a text


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def jiangxi_names() -> list[str]:
    """The names that must not appear: the province's and its cities' (real seed)."""
    return [reference.province()["area_name_zh"], "江西",
            *(a["area_name_zh"] for a in reference.areas("city"))]


def copy_project(target: Path) -> None:
    """The work tree's files as they are on disk under ``target``: the tracked ones and
    the new ones git does not ignore (a change is tested before it is committed)."""
    listed = subprocess.run(["git", "-C", str(REPO_ROOT), "ls-files", "-z", "--cached",
                             "--others", "--exclude-standard"], check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def replace_seeds(seeds: Path) -> None:
    """The fixture's geography, and its replacements of the other seeds' province texts."""
    shutil.copy(FIXTURE / "ref_areas.csv", seeds / "ref_areas.csv")
    _, replacements = _read_csv(FIXTURE / "seed_text.csv")
    for rule in replacements:
        path = seeds / f"{rule['seed']}.csv"
        header, rows = _read_csv(path)
        hits = 0
        for row in rows:
            if rule["text"] in row[rule["column"]]:
                row[rule["column"]] = row[rule["column"]].replace(rule["text"],
                                                                  rule["replacement"])
                hits += 1
        assert hits, f"seed_text.csv: {rule['text']!r} is no longer in {rule['seed']}"
        _write_csv(path, header, rows)


@pytest.fixture(scope="module")
def second_province(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("second_province")
    copy, home = root / "project", root / "home"
    copy_project(copy)
    replace_seeds(copy / "dbt_project" / "seeds")
    year = Period.plan_of(settings().profile.check_year).last_year
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYHEALTH_")}
    env.update(PYTHONPATH=str(copy), CITYHEALTH_HOME=str(home), CITYHEALTH_PROFILE="demo")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tests.province.build_province", str(year)],
        cwd=copy, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    seconds = time.monotonic() - started
    print(f"second province built in {seconds:.0f} s")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-8000:]
    releases = {line.split()[0]: Path(line.split()[2]) for line in done.stdout.splitlines()
                if line.split() and line.split()[0] in ("annual", "five_year", "monthly")}
    return {"copy": copy, "home": home, "year": year, "releases": releases}


def test_the_copy_has_no_other_jiangxi_seed_text(second_province: dict) -> None:
    """A new province-specific seed row must be replaced in seed_text.csv too."""
    names = jiangxi_names()
    for path in sorted((second_province["copy"] / "dbt_project" / "seeds").glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        assert not [n for n in names if n in text], path.name
        assert not JIANGXI_CODE.search(text), path.name


def _hunan() -> tuple[dict[str, str], set[str], set[str]]:
    _, rows = _read_csv(FIXTURE / "ref_areas.csv")
    province = next(r for r in rows if r["area_level"] == "province")
    return (province, {r["area_code"] for r in rows},
            {r["area_code"] for r in rows if r["area_level"] == "city"})


def test_releases_hold_only_the_new_provinces_areas(second_province: dict) -> None:
    province, codes, cities = _hunan()
    names = jiangxi_names()
    assert set(second_province["releases"]) == {"annual", "five_year", "monthly"}
    for kind, folder in second_province["releases"].items():
        con = duckdb.connect(str(folder / "published.duckdb"), read_only=True)
        try:
            columns = con.execute(
                "select table_name, column_name from information_schema.columns "
                "where data_type = 'VARCHAR' order by all").fetchall()
            assert columns, kind
            for table, column in columns:
                values = {v for (v,) in con.execute(
                    f'select distinct "{column}" from "{table}" where "{column}" is not null'
                ).fetchall()}
                six_digit = {v for v in values if re.fullmatch(r"\d{6}", v)}
                assert six_digit <= codes, (kind, table, column, sorted(six_digit - codes)[:5])
                inside = sorted(v for v in values if JIANGXI_CODE.search(v))
                assert not inside, (kind, table, column, inside[:5])
                leaked = sorted({n for n in names for v in values if n in v})
                assert not leaked, (kind, table, column, leaked)
            if kind == "annual":
                ranked = con.execute(
                    "select area_code from pub_health_index where area_level = 'city' "
                    "and period_year = ?", [second_province["year"]]).fetchall()
                assert {code for (code,) in ranked} == cities
                assert con.execute(
                    "select distinct area_name_zh from pub_health_index "
                    "where area_level = 'province'").fetchall() == [(province["area_name_zh"],)]
        finally:
            con.close()


def _report_text(path: Path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as workbook:
            return "".join(workbook.read(n).decode("utf-8") for n in workbook.namelist()
                           if n.endswith(".xml"))
    return path.read_text(encoding="utf-8")


def test_reports_name_the_new_province_and_no_jiangxi_place(second_province: dict) -> None:
    province, _, cities = _hunan()
    name, year = province["area_name_zh"], second_province["year"]
    reports = second_province["home"] / "reports"
    files = sorted(p for p in reports.rglob("*") if p.suffix in (".html", ".xlsx"))
    names = jiangxi_names()
    for path in files:
        text = _report_text(path)
        assert not [n for n in names if n in text], path.relative_to(reports)
    city_pages = [p for p in files if p.name.startswith("城市体检报告_")]
    assert sorted(p.name.split("_")[1] for p in city_pages) == sorted(cities)
    assert all(f"{name}城市体检评估" in _report_text(p) for p in city_pages)
    plan = Period.plan_of(year)
    first, last = plan.first_year, plan.last_year
    titles = {
        reports / str(year) / "index.html": f"{name}{year}年度城市体检报告",
        reports / f"plan-{first}-{last}": f"{name}城市体检{first}—{last}年五年评估报告",
        reports / f"{year}-{MONTH:02d}": f"{name}城市体检评估{year}年{MONTH}月调度",
    }
    for path, title in titles.items():
        pages = [path] if path.is_file() else sorted(path.glob("*.html"))
        assert pages and all(title in _report_text(p) for p in pages), path.name
    workbook = next((reports / str(year)).glob("*.xlsx"))
    assert f"{name}{year}年度城市体检" in _report_text(workbook)
