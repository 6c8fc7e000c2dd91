"""The quality gate: good batches are promoted, each rule catches its crafted bad batch.

The gate judges plausibility only. The rules ingestion needs to map a delivery (a known
area, variable or indicator code, a row of the delivery's period, one row per key) are
tested on delivered files in tests/ingestion/test_ingest.py (BAD_DELIVERIES: unknown area
code, file of another source, year of another period, duplicate rows, unknown indicator,
survey answers not in the scale), where they now live.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cityhealth.core.reference import questionnaire_for_year, seed_frame
from cityhealth.expectations.gate import ValidationFailed, raise_if_failed, validate_pending
from cityhealth.expectations.suites import batch_frame, gx_context, survey_responses
from cityhealth.warehouse.connection import writer
from tests.geography import unknown_county_code

VARIABLES = seed_frame("ref_variables")
AREAS = seed_frame("ref_areas")
COUNTIES = sorted(AREAS.loc[AREAS.area_level == "county", "area_code"])  # a whole delivery
# three counties of the delivery, and a code of the province that is no county
FIRST, OTHER, LAST = COUNTIES[0], COUNTIES[len(COUNTIES) // 2], COUNTIES[-1]
UNKNOWN = unknown_county_code()


def add_batch(con, batch_id: str, source_id: str, period: str = "2025",
              status: str = "loaded") -> None:
    con.execute(
        "insert into raw.load_batches (batch_id, source_id, period, original_name, sha256, "
        "bytes, received_at, status) values (?, ?, ?, ?, ?, ?, now(), ?)",
        [batch_id, source_id, period, f"{batch_id}.csv", batch_id, 1, status])


def department_rows(batch_id: str, department: str, year: int = 2025,
                    change=None) -> list[tuple]:
    """Plausible values (midpoint of the valid range, capped) for every variable of a department."""
    own = VARIABLES[VARIABLES.department_code == department]
    rows = []
    for n, area in enumerate(COUNTIES, start=1):
        for var in own.itertuples():
            value = min(float(var.valid_max) / 2, 50.0)
            row = [batch_id, f"dept_{department.lower()}", department, n, area, "",
                   year, f"{var.variable_name_zh}({var.unit_zh})", var.variable_code, value, ""]
            if change:
                row = change(row)
            if row is not None:
                rows.append(tuple(row))
    return rows


def load_department(batch_id: str, department: str = "STATS", change=None,
                    year: int = 2025, period: str = "2025") -> None:
    with writer() as con:
        add_batch(con, batch_id, f"dept_{department.lower()}", period)
        con.executemany("insert into raw.department_values values (?,?,?,?,?,?,?,?,?,?,?)",
                        department_rows(batch_id, department, year, change))


def status_and_error(batch_id: str) -> tuple[str, str | None]:
    with writer() as con:
        return con.execute("select status, error from raw.load_batches where batch_id = ?",
                           [batch_id]).fetchone()


def test_good_department_batch_is_promoted_and_results_stored(cityhealth_home: Path) -> None:
    load_department("good")
    [result] = validate_pending()
    assert result.success, result.summary()
    assert status_and_error("good") == ("promoted", None)
    with writer() as con:
        runs = con.execute("select count(*), bool_and(success) from quality.validation_runs"
                           ).fetchone()
        results = con.execute("select count(*) from quality.validation_results").fetchone()[0]
    assert runs == (1, True)
    assert results == len(result.outcomes) >= 6


def set_value(variable: str, area: str, value):
    def change(row):
        if row[8] == variable and row[4] == area:
            row[9] = value
        return row
    return change


@pytest.mark.parametrize(
    ("case", "change", "expected_in_error"),
    [
        ("above_max", set_value("POP_RESIDENT", OTHER, 9.9e12),
         "数值高于该项的最大合理值，数量级不合理，请核对数值及表头中的单位(如元与万元、公顷与平方公里)后"
         "更正 (value above the variable's maximum: implausible magnitude) (1 row): data row "
         f"{COUNTIES.index(OTHER) + 1}, column 常住人口(人): 9.9e+12人, 最大合理值 50000000人 "
         f"({OTHER}/POP_RESIDENT)"),
        ("negative", set_value("GDP", FIRST, -5.0), f"-5万元, 最小合理值 0万元 ({FIRST}/GDP)"),
        ("null_base_number", set_value("POP_RESIDENT", LAST, None),
         "统一底数(常住人口、建成区面积等)不得为空，请填写 (base numbers must not be empty) "
         "(1 row): "
         f"data row {COUNTIES.index(LAST) + 1}, column 常住人口(人): 空 empty"),
        ("county_missing", lambda r: None if r[4] == FIRST else r,
         "每个区县都须报送，请补上缺少的区县行 (every county must be delivered): "
         f"缺少 missing {FIRST}"),
        ("variable_missing", lambda r: None if r[8] == "HOUSEHOLDS" else r,
         "缺少 missing HOUSEHOLDS"),
    ],
)
def test_each_rule_quarantines_its_bad_batch(cityhealth_home: Path, case: str, change,
                                             expected_in_error: str) -> None:
    load_department("good")
    load_department(case, change=change)
    results = {r.batch_id: r for r in validate_pending()}
    assert results["good"].success, "the good batch still passes"
    assert status_and_error("good")[0] == "promoted"
    status, error = status_and_error(case)
    assert status == "quarantined"
    assert expected_in_error in error, error
    assert error.startswith(f"dept_stats: {case}.csv: ")
    assert f" of 7 checks failed (period 2025, batch {case}):\n- " in error
    report = cityhealth_home / "quarantine" / case / "validation_report.json"
    assert json.loads(report.read_text(encoding="utf-8"))["failed"]
    assert (cityhealth_home / "quarantine" / case / "error.txt").read_text(
        encoding="utf-8").startswith(error)
    with pytest.raises(ValidationFailed, match=case):
        raise_if_failed(list(results.values()))


def test_an_error_names_the_file_the_row_the_heading_and_the_rule(cityhealth_home: Path) -> None:
    load_department("low", change=set_value("GDP", FIRST, -5.0))
    [result] = validate_pending()
    assert status_and_error("low")[0] == "quarantined"
    row = COUNTIES.index(FIRST) + 1
    assert result.summary() == (
        "dept_stats: low.csv: 1 of 6 checks failed (period 2025, batch low):\n"
        "- 数值低于该项的最小合理值，请核对数值、正负号及表头中的单位后更正 (value below the "
        f"variable's minimum) (1 row): data row {row}, column 地区生产总值(万元): -5万元, "
        f"最小合理值 0万元 ({FIRST}/GDP)")
    [failed] = result.errors
    assert failed.rule in failed.describe()
    assert failed.examples == [
        f"data row {row}, column 地区生产总值(万元): -5万元, 最小合理值 0万元 ({FIRST}/GDP)"]


def test_year_over_year_jump_is_a_warning_not_a_block(cityhealth_home: Path) -> None:
    load_department("y2024", year=2024, period="2024")
    validate_pending()
    load_department("y2025", change=set_value("GDP", OTHER, 50.0 * 10))
    [result] = validate_pending()
    assert result.success and status_and_error("y2025")[0] == "promoted"
    assert [w.column for w in result.warnings] == ["yoy_ratio"]
    assert f"{OTHER}/GDP" in result.warnings[0].examples[0]


def add_survey(batch_id: str, rows: list[tuple]) -> None:
    with writer() as con:
        add_batch(con, batch_id, "survey")
        con.executemany(
            "insert into raw.survey_responses values (?, 'survey', ?, ?, ?, ?, 2025, "
            "timestamp '2025-06-01 10:00:00', ?, ?, ?)",
            [(batch_id, n, f"R{n}", key, area, duration, questionnaire_for_year(2025), answers)
             for n, (key, area, duration, answers) in enumerate(rows, start=1)])


def survey_rows(per_county: int = 30) -> list[tuple]:
    """Answer sheets from every county, per_county each (the rules' minimum is 30)."""
    return [(f"k{i}", COUNTIES[i % len(COUNTIES)], 300 + i,
             [1 + (i + j) % 5 for j in range(24)])
            for i in range(per_county * len(COUNTIES))]


def test_survey_batches(cityhealth_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each rule of the survey suite, its examples from the rerun of the failed
    expectations alone; the frames are not fingerprinted (seconds at province size)."""
    from great_expectations.execution_engine import pandas_execution_engine

    def fingerprint(frame) -> str:
        raise AssertionError("a batch was fingerprinted")
    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", fingerprint)
    add_survey("s_good", survey_rows())
    bad = survey_rows()
    bad[3] = ("k1", *bad[3][1:])                       # the same respondent twice
    bad[5] = (bad[5][0], bad[5][1], -3, bad[5][3])      # a negative completion time
    add_survey("s_bad", bad)
    speedy = [(k, a, 20 if i % 10 == 0 else d, [3] * 24 if i % 10 == 0 else ans)
              for i, (k, a, d, ans) in enumerate(survey_rows())]
    add_survey("s_warn", speedy)
    thin = [row for row in survey_rows()
            if row[1] != COUNTIES[0]                                  # a county not surveyed
            and not (row[1] == COUNTIES[1] and int(row[0][1:]) > 5 * len(COUNTIES))]
    add_survey("s_thin", thin)                          # a county with 6 answer sheets
    results = {r.batch_id: r for r in validate_pending(source_id="survey")}
    assert results["s_good"].success and not results["s_good"].warnings
    assert not results["s_bad"].success
    failed = {o.column for o in results["s_bad"].errors}
    assert failed == {"duration_seconds"}
    # the same respondent twice is told (the statistics keep the later sheet), not refused
    assert {o.column for o in results["s_bad"].warnings} == {"respondent_key"}
    assert results["s_warn"].success
    warned = {o.column: o for o in results["s_warn"].warnings}
    assert set(warned) == {"speeder_share", "straight_liner_share"}
    # a tenth of the sheets are both: the share is said as it is
    assert warned["speeder_share"].examples == ["实际 observed 0.1"]
    assert warned["straight_liner_share"].examples == ["实际 observed 0.1"]
    assert results["s_thin"].success
    warned = {o.column: o for o in results["s_thin"].warnings}
    assert set(warned) == {"county_respondents", "area_code"}
    assert COUNTIES[0] in str(warned["area_code"].examples)
    assert COUNTIES[1] in str(warned["county_respondents"].examples)


def test_survey_frame_keys_are_equal_exactly_for_the_same_respondent(
        cityhealth_home: Path) -> None:
    """A repeat respondent's sheets share one key, the data row of the first sheet; every
    other sheet is keyed by its own data row; the answers given are counted without the
    blanks."""
    rows = survey_rows()
    rows[7] = ("k2", *rows[7][1:])                      # k2 again, after its data row 3
    rows[9] = ("k2", *rows[9][1:])                      # and a third time
    rows[4] = (rows[4][0], rows[4][1], rows[4][2], [None] * 20 + [4] * 4)
    rows[5] = (rows[5][0], rows[5][1], rows[5][2], [None, 2, None, *[2] * 21])
    rows[6] = (rows[6][0], rows[6][1], rows[6][2], [2, 2, 2, *[2] * 20, 3])
    add_survey("s_keys", rows)
    with writer() as con:
        gx_context()
        frame = batch_frame(con, survey_responses(2025), "s_keys", 2025)
    keys = dict(zip(frame.row_number, frame.respondent_key, strict=True))
    assert keys[3] == keys[8] == keys[10] == 3
    assert all(key == row for row, key in keys.items() if row not in (3, 8, 10))
    straight = dict(zip(frame.row_number, frame.is_straight_liner, strict=True))
    assert straight[5] == 0            # four answers alike are fewer than the rule's minimum
    assert straight[6] == 1            # blanks aside, one answer throughout
    assert straight[7] == 0            # the first answers alike, the last not
    assert sum(straight.values()) == 1


def test_a_large_survey_batch_is_framed_and_told_in_data_row_order(
        cityhealth_home: Path) -> None:
    """A batch that several threads read (its joins' output would come in their order):
    the frame is in data-row order, so a failed rule's examples are the export's first
    failing sheets."""
    rows, every = 400_000, 9_973
    with writer() as con:
        add_batch(con, "s_large", "survey")
        con.execute(
            "insert into raw.survey_responses select 's_large', 'survey', n, 'R' || n, "
            "'k' || (n % 390000), ?[1 + n % ?], 2025, timestamp '2025-06-01 10:00:00', "
            "case when n % ? = 0 then -1 else 300 end, ?, [1 + n % 5, 2, 3] "
            "from range(1, ? + 1) t(n)",
            [COUNTIES, len(COUNTIES), every, questionnaire_for_year(2025), rows])
        gx_context()
        frame = batch_frame(con, survey_responses(2025), "s_large", 2025)
    assert frame.row_number.tolist() == list(range(1, rows + 1))
    [result] = validate_pending(source_id="survey")
    [failed] = result.errors
    assert failed.column == "duration_seconds"
    shown = [int(example.split("data row ")[1].split(",")[0]) for example in failed.examples]
    assert shown == [every * k for k in range(1, len(shown) + 1)] and shown


def test_third_party_batches(cityhealth_home: Path) -> None:
    with writer() as con:
        for batch_id, value, code in (("t_good", 40.0, "EL02"), ("t_bad", 140.0, "EL02")):
            add_batch(con, batch_id, "third_party")
            con.execute("insert into raw.third_party_values values "
                        "(?, 'third_party', 1, ?, 2025, ?, ?, '测评机构', null)",
                        [batch_id, FIRST, code, value])
    results = {r.batch_id: r for r in validate_pending(source_id="third_party")}
    assert results["t_good"].success
    [failed] = results["t_bad"].errors
    assert failed.column == "value" and "测评值高于该指标的最大合理值" in failed.rule
    assert failed.examples == [f"data row 1, column 测评值: 140%, 最大合理值 100% ({FIRST}/EL02)"]


def test_data_docs_open_offline(cityhealth_home: Path) -> None:
    load_department("good")
    load_department("bad", change=set_value("GDP", FIRST, -1.0))
    validate_pending()
    index = cityhealth_home / "quality" / "data_docs" / "index.html"
    pages = [index, *index.parent.glob("runs/*.html")]
    assert len(pages) == 3
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, page
    text = index.read_text(encoding="utf-8")
    assert "隔离" in text
    # one screen per source and period: batches, promoted, quarantined and the last error
    summary = text.split("Validation runs")[0]
    assert "<td>dept_stats</td><td>2025</td><td>2</td><td class=ok>1</td>" in summary
    assert "GDP" in summary


def test_nothing_pending_validates_nothing(cityhealth_home: Path) -> None:
    with writer() as con:
        add_batch(con, "done", "dept_stats", status="promoted")
    assert validate_pending() == []
