"""The resident satisfaction survey export, loaded by DuckDB in one pass.

An export has one row per respondent (a province: millions) so it is read with
DuckDB's CSV reader, checked with set-based SQL and inserted with one statement;
Python never loops over respondents.

Personal data never lands: name, phone number and ID number are replaced by one
keyed hash (HMAC-SHA256 with the deployment's key, ``CITYHEALTH_PII_HASH_KEY``) so
that the same respondent is recognisable across batches without being identifiable;
the IP address and the county name are dropped. Answers become scores through
``ref_survey_answers.csv`` and are kept as one array per respondent in questionnaire
order (``ref_survey_questions.csv``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from cityhealth.reference import questionnaire_for_year, survey_answer_scores, survey_questions
from cityhealth.settings import settings
from ingestion.checks import area_codes, current_year
from ingestion.errors import DeliveryError, Problem
from ingestion.registry import Source
from ingestion.tables import detect_encoding, sniff
from warehouse.connection import load_extensions

RESPONSE_ID, SUBMITTED, DURATION, AREA = "答卷编号", "提交时间", "答题时长(秒)", "所在区县代码"
PERSONAL = ("姓名", "手机号码", "身份证号")
DROPPED = ("IP地址", "所在区县")
TIME_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"]
EXAMPLES = 5


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _hmac_pads(key: str) -> tuple[bytes, bytes]:
    """The inner and outer HMAC-SHA256 pads of the key (RFC 2104)."""
    raw = key.encode("utf-8")
    if len(raw) > 64:
        raw = hashlib.sha256(raw).digest()
    raw = raw.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in raw), bytes(b ^ 0x5C for b in raw)


def keyed_hash_sql(message_sql: str) -> str:
    """SQL for HMAC-SHA256(key, message) as hex; the pads are parameters $ipad, $opad."""
    return f"sha256($opad || unhex(sha256($ipad || encode({message_sql}))))"


def _read(con: duckdb.DuckDBPyConnection, source: Source,
          path: Path) -> tuple[list[str], str]:
    """Read the export into the temp table survey_in; its columns and the SQL of a row's
    1-based number in the file's data rows."""
    head = path.open("rb").read(4096)
    kind = sniff(head)
    if kind != "text":
        what = {"empty": "the file is empty", "html": "the file is an HTML page, not an export",
                "xlsx": "the file is a workbook; the survey platform exports CSV"}[kind]
        raise DeliveryError(source.source_id, path.name, what)
    encoding = detect_encoding(path)
    load_extensions(con, "encodings")  # gb18030 in read_csv, offline
    try:
        con.execute(
            "create or replace temp table survey_in as select * from read_csv(?, header = true, "
            "all_varchar = true, encoding = ?, strict_mode = true, null_padding = false, "
            "delim = ',', quote = '\"')", [str(path), encoding])
    except duckdb.Error as error:
        lines = [line for line in str(error).splitlines() if line.strip()]
        detail = "; ".join(lines[:3])
        raise DeliveryError(source.source_id, path.name,
                            f"not a readable CSV export ({encoding}): {detail}") from None
    columns = [column[0] for column in con.execute("select * from survey_in limit 0").description]
    # rowids of a table created inside a transaction do not start at 0: number from the first
    first = con.execute("select coalesce(min(rowid), 0) from survey_in").fetchone()[0]
    return columns, f"(rowid - {int(first)} + 1)"


def _examples(con: duckdb.DuckDBPyConnection, row: str, condition: str, column: str,
              message: str, params: dict | None = None) -> list[Problem]:
    """One Problem per offending row (the first few), naming row and column."""
    found = con.execute(
        f"select {row}, {_ident(column)} from survey_in where {condition} "
        f"order by rowid limit {EXAMPLES}", params or {}).fetchall()
    total = con.execute(f"select count(*) from survey_in where {condition}",
                        params or {}).fetchone()[0] if found else 0
    problems = [Problem(message.format(value=value), f"data row {row}", column)
                for row, value in found]
    if total > len(found):
        problems.append(Problem(f"{total - len(found)} more rows like these", column=column))
    return problems


def _check(con: duckdb.DuckDBPyConnection, row: str, columns: list[str],
           questions: list[str], year: int) -> list[Problem]:
    missing = [c for c in (RESPONSE_ID, SUBMITTED, AREA, *questions) if c not in columns]
    if missing:
        return [Problem(f"missing column {c}") for c in missing]
    con.execute("create or replace temp table known_areas as select unnest(?::varchar[]) as code",
                [sorted(area_codes())])
    answers = [text for text in survey_answer_scores()]
    problems = _examples(
        con, row, f"{_ident(AREA)} is null or trim({_ident(AREA)}) not in "
             "(select code from known_areas)", AREA,
        "unknown area code '{value}' (not a Jiangxi county in ref_areas.csv)")
    problems += _examples(con, row, f"{_ident(RESPONSE_ID)} is null", RESPONSE_ID,
                          "the answer sheet number is empty")
    problems += _examples(
        con, row, f"{_ident(RESPONSE_ID)} in (select {_ident(RESPONSE_ID)} from survey_in "
             f"group by 1 having count(*) > 1)", RESPONSE_ID,
        "answer sheet {value} appears more than once (duplicate rows?)")
    submitted = f"try_strptime(trim({_ident(SUBMITTED)}), {TIME_FORMATS!r})"
    problems += _examples(con, row, f"{submitted} is null", SUBMITTED,
                          "'{value}' is not a date and time (YYYY-MM-DD HH:MM:SS)")
    problems += _examples(con, row, f"year({submitted}) > {current_year()}", SUBMITTED,
                          "submitted at {value}: in the future")
    problems += _examples(con, row, f"year({submitted}) <> {year}", SUBMITTED,
                          f"submitted at {{value}}: not in the survey year {year}")
    if DURATION in columns:
        problems += _examples(
            con, row, f"{_ident(DURATION)} is not null and try_cast(trim({_ident(DURATION)}) "
                 "as integer) is null", DURATION, "'{value}' is not a whole number of seconds")
    counts = con.execute("select " + ", ".join(
        f"count_if({_ident(q)} is not null and trim({_ident(q)}) not in $answers)"
        for q in questions) + " from survey_in", {"answers": answers}).fetchone()
    for question, count in zip(questions, counts, strict=True):
        if count:
            problems += _examples(
                con, row, f"{_ident(question)} is not null and trim({_ident(question)}) "
                     "not in $answers", question,
                "'{value}' is not an answer of ref_survey_answers.csv", {"answers": answers})
    return problems


def load(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
         batch_id: str) -> int:
    year = int(period[:4])
    questionnaire = questionnaire_for_year(year)
    questions = [q["question_zh"] for q in survey_questions(questionnaire)]
    columns, row = _read(con, source, path)
    try:
        problems = _check(con, row, columns, questions, year)
        if problems:
            raise DeliveryError(source.source_id, path.name, problems)
        scores = survey_answer_scores()
        cases = " ".join(f"when '{text}' then {score}" for text, score in scores.items()
                         if score is not None)
        answers = ", ".join(f"case trim({_ident(q)}) {cases} end" for q in questions)
        personal = [f"coalesce(trim({_ident(c)}), '')" for c in PERSONAL if c in columns]
        identity = " || '|' || ".join(personal) if personal else "''"
        message = (f"case when replace({identity}, '|', '') = '' "
                   f"then 'anonymous|' || {_ident(RESPONSE_ID)} else {identity} end")
        duration = (f"try_cast(trim({_ident(DURATION)}) as integer)" if DURATION in columns
                    else "null")
        ipad, opad = _hmac_pads(settings().pii_hash_key)
        con.execute(
            f"""insert into raw.survey_responses
            select $batch_id, $source_id, {row}, trim({_ident(RESPONSE_ID)}),
                   {keyed_hash_sql(message)}, trim({_ident(AREA)}), $year,
                   try_strptime(trim({_ident(SUBMITTED)}), {TIME_FORMATS!r}), {duration},
                   $questionnaire, [{answers}]::utinyint[]
            from survey_in order by rowid""",
            {"batch_id": batch_id, "source_id": source.source_id, "year": year,
             "questionnaire": questionnaire, "ipad": ipad, "opad": opad})
        return con.execute("select count(*) from survey_in").fetchone()[0]
    finally:
        con.execute("drop table if exists survey_in")
        con.execute("drop table if exists known_areas")
