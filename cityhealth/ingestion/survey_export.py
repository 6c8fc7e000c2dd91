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

How a ten-million-row export stays cheap (``benchmarks/survey_ingest.py`` measures it):

* A GBK/GB18030 export is transcoded to UTF-8 (by a compiled loop that gives the
  bytes Python's codec would, :mod:`cityhealth.ingestion.gb18030`) into DuckDB's temp
  directory, and DuckDB reads that. DuckDB 1.5's ``encodings`` reader corrupts or
  rejects a multi-byte character that straddles its 32 MB read buffer (a large export
  always has some) and decodes several times slower than Python. An export larger than
  ``PIECE_BYTES`` is cut at line ends into pieces that worker processes transcode at
  the same time (``cityhealth.ingestion.transcode``, one per DuckDB thread), while
  DuckDB reads the pieces already done, in file order.
* A clean export goes the direct way (:func:`_load_direct`): each file or group of
  pieces is parsed, checked and inserted into raw.survey_responses by one statement,
  nothing materialised twice. Every row check is made in that statement (a failing
  row stops it); the rows are committed, then the one check over all rows (answer
  sheet numbers that repeat) is an aggregate, and the row numbers follow from the
  order the rows were appended in (one update: see :func:`_finish_direct`).
  Personal data is hashed in the same pass, so it never sits in DuckDB's spill files.
* When the direct way stops (a problem in the export, or anything else), the load's
  transaction is rolled back, any rows it committed are deleted, and the export is
  read the careful way
  (:func:`_load_checked`): parsed once into a compact temp table that keeps, beside
  what is loaded, the raw text of the few cells that fail; every check is one
  aggregate over it, and rows and values are looked up only for a check that failed,
  to name them in the error. A piece DuckDB refuses is diagnosed by reading the whole
  file as one, so that the message names the file's lines, not a piece's. A bad
  export thus costs two reads; a good one, one.
* The load runs under the deployment's DuckDB memory limit
  (``CITYHEALTH_DUCKDB_MEMORY_LIMIT``, set on every connection), so DuckDB spills to
  ``CITYHEALTH_DUCKDB_TEMP_DIRECTORY`` instead of growing with the export.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb

from cityhealth.core.periods import Period
from cityhealth.core.reference import (
    province,
    questionnaire_for_year,
    survey_answer_scores,
    survey_questions,
)
from cityhealth.core.settings import settings
from cityhealth.ingestion import transcode
from cityhealth.ingestion.checks import area_codes, current_year
from cityhealth.ingestion.errors import LEVELS_ZH, DeliveryError, Problem, problem, shown
from cityhealth.ingestion.registry import Source
from cityhealth.ingestion.tables import (
    MAX_CELL_CHARS,
    delimiter_problem,
    detect_encoding,
    locate_undecodable,
    sniff,
)
from cityhealth.warehouse.connection import ident, literal

log = logging.getLogger(__name__)

RESPONSE_ID, SUBMITTED, DURATION, AREA = "答卷编号", "提交时间", "答题时长(秒)", "所在区县代码"
PERSONAL = ("姓名", "手机号码", "身份证号")
DROPPED = ("IP地址", "所在区县")
TIME_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"]
EXAMPLES = 5
PIECE_BYTES = 64 << 20     # an export larger than this is transcoded in pieces, in parallel
MASK_BITS = 62             # answer columns per bit mask of invalid answers
INVALID = 255              # code of an answer that is not in ref_survey_answers.csv
MAX_LINE_BYTES = 2_097_152  # DuckDB's max_line_size (its default, said in the message)
CSV_OPTIONS = ("header = true, all_varchar = true, strict_mode = true, null_padding = false, "
               f"delim = ',', quote = '\"', max_line_size = {MAX_LINE_BYTES}")


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


def _scratch_dir() -> Path:
    """DuckDB's spill folder (``CITYHEALTH_DUCKDB_TEMP_DIRECTORY``): the UTF-8 copy of an
    export goes where the deployment has room for scratch files."""
    folder = settings().duckdb_temp_directory
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _undecodable(source: Source, path: Path, encoding: str) -> DeliveryError:
    """The export has bytes that are not ``encoding``: the first of them, located."""
    return DeliveryError(source.source_id, path.name, problem(
        "encoding", f"not a readable CSV export ({encoding}): "
        f"{locate_undecodable(path, encoding)}"))


def _transcode(source: Source, path: Path, encoding: str, target: Path) -> None:
    """A GBK/GB18030 export into one UTF-8 copy (undecodable bytes: DeliveryError)."""
    try:
        transcode.transcode_piece(str(path), 0, path.stat().st_size, encoding, b"",
                                  str(target))
    except UnicodeDecodeError:
        raise _undecodable(source, path, encoding) from None


def _columns(con: duckdb.DuckDBPyConnection, source: Source, path: Path, csv_path: Path,
             encoding: str) -> list[str]:
    try:
        found = con.execute(f"select * from read_csv(?, {CSV_OPTIONS}) limit 0",
                            [str(csv_path)]).description
    except (duckdb.Error, UnicodeDecodeError) as error:
        raise _unreadable(source, path, csv_path, encoding, error) from None
    return [column[0] for column in found]


def _long_line(path: Path) -> int | None:
    """The first line of a file longer than MAX_LINE_BYTES (read in chunks; error path)."""
    line, length = 1, 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(8 << 20), b""):
            start = 0
            while (end := chunk.find(b"\n", start)) >= 0:
                if length + end - start > MAX_LINE_BYTES:
                    return line
                line, length, start = line + 1, 0, end + 1
            length += len(chunk) - start
            if length > MAX_LINE_BYTES:
                return line
    return None


def _unreadable(source: Source, path: Path, csv_path: Path, encoding: str,
                error: Exception) -> DeliveryError:
    """DuckDB's refusal of an export, said for the clerk. (DuckDB quotes the offending line
    in its message, cut mid-character at times: then its message is not even readable and
    the file itself is searched for the reason.)"""
    text = str(error) if isinstance(error, duckdb.Error) else ""
    if "Invalid unicode" in text or not text:
        where = locate_undecodable(csv_path, "utf-8")
        if where is not None:
            return DeliveryError(source.source_id, path.name, problem(
                "encoding", f"not a readable CSV export ({encoding}): {where}"))
    if "Maximum line size" in text or not text:
        line = _long_line(csv_path)
        if line is not None or text:
            return DeliveryError(source.source_id, path.name, problem(
                "row_too_long", f"the row is longer than {MAX_LINE_BYTES:,} bytes: a cell of "
                f"more than {MAX_CELL_CHARS:,} characters, or a quote opened and never closed?",
                f"line {line}" if line is not None else ""))
    lines = [line.replace(str(csv_path), path.name) for line in text.splitlines()
             if line.strip()] or [f"{type(error).__name__}: {error}"]
    detail = "; ".join(shown(line, 200) for line in lines[:3])
    return DeliveryError(source.source_id, path.name, problem(
        "unreadable_csv", f"not a readable CSV export ({encoding}): {detail}"))


def _masks(count: int) -> list[list[int]]:
    """Question positions (0-based) per bit mask column."""
    return [list(range(start, min(start + MASK_BITS, count)))
            for start in range(0, count, MASK_BITS)]


def _answer_code(cell: str, fail: str, unknown: str = "NULL") -> str:
    """SQL of one answer cell's score as stored (UTINYINT): its score; ``unknown`` for an
    empty cell or 不了解; ``fail`` for any other text. Spaces around an answer are
    allowed; the cell is trimmed only when it is not an answer as it stands (trimming
    every cell costs a tenth of the load).

    The answers' texts are compared first and the scores are UTINYINT constants: an
    empty cell matches none of them, and nothing is cast afterwards (the answers of a
    ten-million-row export are 300 million cells; testing for empty first and casting
    the list cost a tenth of the insert's CPU)."""
    # (No IN lists here: DuckDB turns long ones into a join, which loses the file order
    # that the rowids, hence the row numbers, come from.)
    def whens(text_sql: str) -> str:
        return " ".join(
            f"when {text_sql} = {literal(text)} then "
            + (f"{score}::utinyint" if score else unknown)
            for text, score in survey_answer_scores().items())
    return (f"case {whens(cell)} when {cell} is null then {unknown} "
            f"else case {whens(f'trim({cell})')} else {fail} end end")


def _cells_sql(columns: list[str], questions: list[str]) -> list[str]:
    """The select list that both reads start from: raw answer sheet number (rid) and area
    code (area), parsed timestamp (submitted_at) with its text, parsed duration with its
    text when it is not a number (duration_text), the keyed hash of the personal data
    (respondent_key) and each answer as delivered (r0, r1, ...).
    Parameters $ipad, $opad."""
    # name|phone|ID trimmed, an empty cell as '': the message, or for a sheet without
    # personal data (only '|' left) the sheet number. One concat (which skips NULLs), and
    # the cheap test first (almost every identity starts with a name): 0.31 instead of
    # 0.50 s of CPU per million sheets than coalesces joined by || and a replace on
    # every row, for the same bytes hashed.
    personal = [f"trim({ident(c)})" for c in PERSONAL if c in columns]
    identity = "concat(" + ", '|', ".join(personal) + ")" if personal else "''"
    message = (f"case when ({identity} = '' or starts_with({identity}, '|')) "
               f"and replace({identity}, '|', '') = '' "
               f"then 'anonymous|' || {ident(RESPONSE_ID)} else {identity} end")
    duration = (f"try_cast(trim({ident(DURATION)}) as integer)" if DURATION in columns
                else "null::integer")
    duration_text = (f"case when {ident(DURATION)} is not null and {duration} is null "
                     f"then {ident(DURATION)} end" if DURATION in columns else "null::varchar")
    return [
        f"{ident(RESPONSE_ID)} as rid",
        f"{ident(AREA)} as area",
        f"try_strptime(trim({ident(SUBMITTED)}), {TIME_FORMATS!r}) as submitted_at",
        f"{ident(SUBMITTED)} as submitted_text",
        f"{duration} as duration_seconds",
        f"{duration_text} as duration_text",
        f"{keyed_hash_sql(message)} as respondent_key",
        *(f"{ident(q)} as r{i}" for i, q in enumerate(questions)),
    ]


def _parse_sql(columns: list[str], questions: list[str]) -> str:
    """The select that parses CSV files ($path: one or a list) into survey_in's columns:
    what is loaded (trimmed codes, keyed hash, parsed timestamp and duration, scores) and
    what the checks need: raw answer sheet number and area code, the raw text of a
    failing timestamp or duration, a bit mask of invalid answers per row and, only for
    such rows, the raw answers. Parameters $path, $year, $current_year, $ipad, $opad."""
    count = len(questions)
    coded = ", ".join([
        "rid", "area", "submitted_at", "submitted_text", "duration_seconds", "duration_text",
        "respondent_key", *(f"r{i}" for i in range(count)),
        *(_answer_code(f"r{i}", f"{INVALID}::utinyint", "0::utinyint") + f" as c{i}"
          for i in range(count)),
    ])
    masks = [" | ".join(f"((c{i} = {INVALID})::bigint << {bit})" for bit, i in enumerate(group))
             for group in _masks(count)]
    any_bad = " or ".join(f"c{i} = {INVALID}" for i in range(count)) or "false"
    compact = ", ".join([
        "rid", "area", "submitted_at",
        "case when submitted_at is null or year(submitted_at) <> $year "
        "or year(submitted_at) > $current_year then submitted_text end as submitted_text",
        "duration_seconds", "duration_text", "respondent_key",
        "[" + ", ".join(f"nullif(c{i}, 0)" for i in range(count)) + "] as answers",
        *(f"{mask} as bad{m}" for m, mask in enumerate(masks)),
        f"case when {any_bad} then [" + ", ".join(f"r{i}" for i in range(count))
        + "] end as raw_answers",
    ])
    return (f"select {compact} from (select {coded} from "
            f"(select {', '.join(_cells_sql(columns, questions))} "
            f"from read_csv($path, {CSV_OPTIONS})))")


def _insert_sql(columns: list[str], questions: list[str]) -> str:
    """The insert of CSV files ($path: one or a list) straight into raw.survey_responses,
    every row check of :func:`_check` made on the way: a row that fails one stops the
    statement (DuckDB's ``error()``; its text is never shown, the careful read names the
    problem). Row numbers are set afterwards (:func:`_finish_direct`). Parameters $path,
    $batch_id, $source_id, $year, $current_year, $questionnaire, $areas, $ipad, $opad."""
    fail = "error('survey row check failed')"
    answers = ", ".join(_answer_code(f"r{i}", fail) for i in range(len(questions)))
    # the columns as the first file's header named them: DuckDB does not sniff each
    # statement's first file again (about 60 ms of one core per statement)
    declared = ", ".join(f"{literal(column)}: 'VARCHAR'" for column in columns)
    return f"""insert into raw.survey_responses
        select $batch_id, $source_id, 0, trim(rid), respondent_key,
               case when list_contains($areas, trim(area)) then trim(area) else {fail} end,
               $year,
               case when submitted_at is null or year(submitted_at) <> $year
                         or year(submitted_at) > $current_year then {fail}
                    else submitted_at end,
               case when duration_text is not null then {fail} else duration_seconds end,
               $questionnaire, [{answers}]::utinyint[]
        from (select {', '.join(_cells_sql(columns, questions))}
              from read_csv($path, {CSV_OPTIONS}, auto_detect = false,
                            columns = {{{declared}}}))"""


def _parse(con: duckdb.DuckDBPyConnection, sql: str, files: str | list[str], year: int,
           first: bool) -> None:
    """Parse CSV file(s) into survey_in: the first call creates it, the next ones append
    (in file order, so that rowids follow the file's data rows)."""
    ipad, opad = _hmac_pads(settings().pii_hash_key)
    into = "create or replace temp table survey_in as " if first else "insert into survey_in "
    con.execute(into + sql, {"path": files, "year": year, "current_year": current_year(),
                             "ipad": ipad, "opad": opad})


def _row_number(con: duckdb.DuckDBPyConnection) -> str:
    """SQL of a survey_in row's 1-based number in the file's data rows."""
    # rowids of a table created inside a transaction do not start at 0: number from the first
    first = con.execute("select coalesce(min(rowid), 0) from survey_in").fetchone()[0]
    return f"(rowid - {int(first)} + 1)"


def _read(con: duckdb.DuckDBPyConnection, source: Source, path: Path, csv_path: Path,
          encoding: str, columns: list[str], questions: list[str], year: int) -> str:
    """Parse one CSV file once into the compact temp table survey_in (:func:`_parse_sql`);
    returns the SQL of a row's 1-based number in the file's data rows."""
    try:
        _parse(con, _parse_sql(columns, questions), str(csv_path), year, first=True)
    except (duckdb.Error, UnicodeDecodeError) as error:
        raise _unreadable(source, path, csv_path, encoding, error) from None
    return _row_number(con)


class _PiecesUnreadable(Exception):
    """DuckDB refused a piece: the whole file is read the single-file way, whose error
    names the file's own lines."""


def _transcoders() -> int:
    return max(1, min(settings().duckdb_threads, os.cpu_count() or 1))


def _utf8_pieces(source: Source, path: Path, encoding: str,
                 folder: Path) -> Iterator[list[str]]:
    """Transcode the export in pieces on every core (``cityhealth.ingestion.transcode``)
    and yield the UTF-8 piece files in file order, as many at a time as there are
    workers and every later one already written, while the next ones are being
    transcoded; each list is deleted once the caller comes back for the next. Close the
    generator to stop the workers.

    The cuts are guessed at line ends; when one falls inside a quoted cell (a cell with
    a line break, where the workers' quote counts do not balance), the rest of the
    export, from the first piece not yet given out, is cut again with the quotes counted
    and transcoded anew."""
    with open(path, "rb") as handle:
        header = handle.read(transcode.header_end(path))
    try:
        header = header.decode(encoding)
    except UnicodeDecodeError:
        raise _undecodable(source, path, encoding) from None
    start, exact, named = 0, False, 0  # named: piece files named so far
    while True:
        jobs = [{"piece": number, "path": str(path), "start": begin, "end": end,
                 "encoding": encoding, "header": "" if begin == 0 else header,
                 "target": str(folder / f"piece_{named + number:06d}.csv")}
                for number, (begin, end) in enumerate(
                    transcode.pieces(path, PIECE_BYTES, start, exact=exact))]
        named += len(jobs)
        workers = transcode.Workers(_transcoders(), jobs)
        try:
            pieces, done = len(jobs), 0
            while done < pieces:
                batch = [done]
                try:
                    workers.wait(done)
                    while batch[-1] + 1 < pieces and len(batch) < workers.count:
                        workers.wait(batch[-1] + 1)
                        batch.append(batch[-1] + 1)
                    # and every piece already written after those: fewer, longer
                    # statements, each ending with one thread idle for less time
                    while batch[-1] + 1 < pieces and workers.ready(batch[-1] + 1):
                        batch.append(batch[-1] + 1)
                except UnicodeDecodeError:
                    raise _undecodable(source, path, encoding) from None
                except transcode.CutInsideQuotes as inside:
                    log.info("%s: %s; cutting the rest of %s with its quotes counted",
                             source.source_id, inside, path.name)
                    break
                files = [jobs[number]["target"] for number in batch]
                yield files
                for file in files:
                    Path(file).unlink()
                done = batch[-1] + 1
            else:
                return
        finally:
            workers.close()
        for piece in jobs[done:]:  # written ahead by the workers, not given out
            Path(piece["target"]).unlink(missing_ok=True)
        start, exact = jobs[done]["start"], True


def _piece_columns(con: duckdb.DuckDBPyConnection, source: Source, path: Path, first: str,
                   questions: list[str]) -> list[str]:
    """The export's columns, read from its first UTF-8 piece (DuckDB's refusal: raised as
    it is); a missing column is the sender's error."""
    columns = [column[0] for column in con.execute(
        f"select * from read_csv(?, {CSV_OPTIONS}) limit 0", [first]).description]
    _require(source, path, columns, questions)
    return columns


def _require(source: Source, path: Path, columns: list[str], questions: list[str]) -> None:
    missing = [c for c in (RESPONSE_ID, SUBMITTED, AREA, *questions) if c not in columns]
    if missing:
        raise DeliveryError(source.source_id, path.name, [
            problem("missing_column", f"missing column {c}", heading=c) for c in missing])


def _read_pieces(con: duckdb.DuckDBPyConnection, source: Source, path: Path, encoding: str,
                 questions: list[str], year: int, folder: Path) -> str:
    """Parse the export's UTF-8 pieces (:func:`_utf8_pieces`) into survey_in, in file
    order; returns the SQL of a row's number in the file's data rows. A piece DuckDB
    refuses: :class:`_PiecesUnreadable`."""
    sql = ""
    with contextlib.closing(_utf8_pieces(source, path, encoding, folder)) as batches:
        for files in batches:
            try:
                first = not sql
                if first:
                    sql = _parse_sql(_piece_columns(con, source, path, files[0], questions),
                                     questions)
                _parse(con, sql, files, year, first=first)
            except duckdb.InterruptException:
                raise  # a statement timeout (query_timeout), not the file's fault
            except duckdb.Error as error:
                raise _PiecesUnreadable(files[0]) from error
    return _row_number(con)


def _examples(con: duckdb.DuckDBPyConnection, row: str, condition: str, value: str,
              column: str, kind: str, message: str, total: int,
              **fields: object) -> list[Problem]:
    """One Problem of a kind per offending row (the first few), naming row and column."""
    found = con.execute(
        f"select {row}, {value} from survey_in where {condition} "
        f"order by rowid limit {EXAMPLES}").fetchall()
    problems = [problem(kind, message.format(value=shown(text)), f"data row {number}", column,
                        **fields) for number, text in found]
    if total > len(found):
        problems.append(problem(kind, f"{total - len(found)} more rows like these",
                                column=column, **fields))
    return problems


def _check(con: duckdb.DuckDBPyConnection, row: str, questions: list[str],
           year: int) -> list[Problem]:
    """Every check in one aggregate over survey_in; examples only for the failing ones."""
    con.execute("create or replace temp table known_areas as select unnest(?::varchar[]) as code",
                [sorted(area_codes())])
    area_bad = "area is null or trim(area) not in (select code from known_areas)"
    masks = _masks(len(questions))
    counts = con.execute(
        f"""select count_if({area_bad}),
                   count_if(rid is null),
                   count(rid) - count(distinct hash(trim(rid))) filter (where rid is not null),
                   count_if(submitted_at is null),
                   count_if(year(submitted_at) > {current_year()}),
                   count_if(year(submitted_at) <> {year}),
                   count_if(duration_text is not null)
                   {"".join(f", bit_or(bad{m})" for m in range(len(masks)))}
            from survey_in""").fetchone()
    area, empty_id, duplicates, unparsed, future, other_year, duration = counts[:7]
    problems: list[Problem] = []
    if area:
        problems += _examples(con, row, area_bad, "area", AREA, "area_unknown",
                              "unknown area code '{value}' (not a county of "
                              f"{province()['area_name_en']} in ref_areas.csv)", area,
                              province=province()["area_name_zh"], level=LEVELS_ZH["county"])
    if empty_id:
        problems += _examples(con, row, "rid is null", "rid", RESPONSE_ID,
                              "sheet_number_empty", "the answer sheet number is empty", empty_id)
    if duplicates > 0:  # hashes can collide: the exact duplicates decide
        twice = ("trim(rid) in (select trim(rid) from survey_in group by 1 "
                 "having count(*) > 1)")
        total = con.execute(f"select count(*) from survey_in where {twice}").fetchone()[0]
        if total:
            problems += _examples(con, row, twice, "rid", RESPONSE_ID, "sheet_number_twice",
                                  "answer sheet {value} appears more than once "
                                  "(duplicate rows?)", total)
    if unparsed:
        problems += _examples(con, row, "submitted_at is null", "submitted_text", SUBMITTED,
                              "not_datetime",
                              "'{value}' is not a date and time (YYYY-MM-DD HH:MM:SS)", unparsed)
    if future:
        problems += _examples(con, row, f"year(submitted_at) > {current_year()}",
                              "submitted_text", SUBMITTED, "datetime_future",
                              "submitted at {value}: in the future", future)
    if other_year:
        problems += _examples(con, row, f"year(submitted_at) <> {year}", "submitted_text",
                              SUBMITTED, "datetime_other_year",
                              f"submitted at {{value}}: not in the survey year {year}",
                              other_year, year=year)
    if duration:
        problems += _examples(con, row, "duration_text is not null", "duration_text", DURATION,
                              "not_seconds", "'{value}' is not a whole number of seconds", duration)
    for m, group in enumerate(masks):
        if not counts[7 + m]:
            continue
        for bit, position in enumerate(group):
            if not counts[7 + m] & (1 << bit):
                continue
            condition = f"bad{m} & {1 << bit} <> 0"
            total = con.execute(f"select count(*) from survey_in where {condition}").fetchone()[0]
            problems += _examples(con, row, condition, f"raw_answers[{position + 1}]",
                                  questions[position], "not_an_answer",
                                  "'{value}' is not an answer of ref_survey_answers.csv", total)
    return problems


@contextlib.contextmanager
def _utf8_file(source: Source, path: Path, encoding: str) -> Iterator[Path]:
    """The export as one UTF-8 file: itself, or a GBK/GB18030 one transcoded into the
    scratch folder (deleted afterwards)."""
    if encoding == "utf-8":
        yield path
        return
    descriptor, name = tempfile.mkstemp(prefix="survey-", suffix=".utf8.csv",
                                        dir=_scratch_dir())
    os.close(descriptor)
    copy = Path(name)
    try:
        _transcode(source, path, encoding, copy)
        yield copy
    finally:
        copy.unlink(missing_ok=True)


@contextlib.contextmanager
def _pieces_folder() -> Iterator[Path]:
    """A folder of its own in the scratch folder for an export's UTF-8 pieces."""
    folder = Path(tempfile.mkdtemp(prefix="survey-", dir=_scratch_dir()))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read_whole(con: duckdb.DuckDBPyConnection, source: Source, path: Path, encoding: str,
                questions: list[str], year: int) -> str:
    """The export read as one file (a GBK/GB18030 one through one UTF-8 copy) into
    survey_in; returns the SQL of a row's number in the file's data rows."""
    with _utf8_file(source, path, encoding) as csv_path:
        columns = _columns(con, source, path, csv_path, encoding)
        _require(source, path, columns, questions)
        return _read(con, source, path, csv_path, encoding, columns, questions, year)


def _diagnosis(source: Source, path: Path, encoding: str, questions: list[str], year: int,
               refused: _PiecesUnreadable) -> DeliveryError:
    """Why DuckDB refused a piece, said as for the whole file (its lines, not a piece's):
    the export is read again as one file on a connection of its own (the load's
    transaction is aborted by the error)."""
    scratch = duckdb.connect()
    try:
        scratch.execute(f"set memory_limit = '{settings().duckdb_memory_limit}'")
        scratch.execute(f"set threads = {_transcoders()}")
        scratch.execute(f"set temp_directory = {literal(_scratch_dir())}")
        _read_whole(scratch, source, path, encoding, questions, year)
    except DeliveryError as error:
        return error
    finally:
        scratch.close()
    # the file as a whole was read: say what DuckDB said of the piece
    return _unreadable(source, path, Path(str(refused)), encoding, refused.__cause__)


class _Doubtful(Exception):
    """The direct load stopped: a row failed a check, an answer sheet number came twice
    or DuckDB refused the file. The export is then read the careful way, which names
    every problem (or, if there is none after all, loads it)."""


def _load_direct(con: duckdb.DuckDBPyConnection, source: Source, path: Path, encoding: str,
                 questions: list[str], year: int, batch_id: str, questionnaire: str,
                 in_pieces: bool) -> int:
    """The export parsed, checked and inserted into raw.survey_responses in one pass per
    file (:func:`_insert_sql`), the way a clean export goes: nothing is materialised
    twice. Then the check over all rows and the row numbers (:func:`_finish_direct`).
    Raises :class:`_Doubtful` when anything is wrong; a sender's error found before
    DuckDB reads the rows (encoding, missing columns) is raised as it is."""
    ipad, opad = _hmac_pads(settings().pii_hash_key)
    params = {"batch_id": batch_id, "source_id": source.source_id, "year": year,
              "current_year": current_year(), "questionnaire": questionnaire,
              "areas": sorted(area_codes()), "ipad": ipad, "opad": opad}
    rows = 0
    try:
        if in_pieces:
            with _pieces_folder() as folder, \
                    contextlib.closing(_utf8_pieces(source, path, encoding, folder)) as batches:
                sql = ""
                for files in batches:
                    if not sql:
                        columns = _piece_columns(con, source, path, files[0], questions)
                        sql = _insert_sql(columns, questions)
                    rows += con.execute(sql, {**params, "path": files}).fetchone()[0]
        else:
            with _utf8_file(source, path, encoding) as csv_path:
                columns = _columns(con, source, path, csv_path, encoding)
                _require(source, path, columns, questions)
                rows = con.execute(_insert_sql(columns, questions),
                                   {**params, "path": str(csv_path)}).fetchone()[0]
    except duckdb.InterruptException:
        raise  # a statement timeout (query_timeout), not the file's fault
    except duckdb.Error as error:
        raise _Doubtful(shown(str(error).splitlines()[0], 200)) from error
    _finish_direct(con, batch_id)
    return rows


def _finish_direct(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    """After the direct insert: the rows are committed; then, in a new transaction, the
    check over all rows (an answer sheet number that comes twice: :class:`_Doubtful`,
    the caller deletes the rows) and each row's number in the file's data rows.

    Why commit first: DuckDB writes a large insert to the database file as it goes and
    only links it at commit, unless the same transaction updates those rows, and then
    the commit writes every row again through the log (ten million rows: about 5 s of
    one core, 1.7 GB of log). Updated after their commit, the rows cost a fraction of a
    second. And rows not yet committed are scanned by one thread: the check over ten
    million of them took 1.9 s, committed 1.0 s on two. Between the two commits the
    batch is still ``received``: nothing downstream reads its rows (staging reads
    promoted batches, the quality gate loaded ones), and if the process dies there the
    next run finds an interrupted load and loads it again from the start
    (``deliveries.forget_interrupted``); a failure after the first commit deletes the
    rows (``run.ingest_file``)."""
    con.commit()
    con.begin()
    # hashes can collide: the careful read decides on the sheet numbers themselves
    repeated = con.execute(
        "select count(*) - count(distinct hash(response_id)) "
        "from raw.survey_responses where batch_id = ?", [batch_id]).fetchone()[0]
    if repeated:
        raise _Doubtful("an answer sheet number may appear more than once")
    _number_rows(con, batch_id)


def _number_rows(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    """Each row's number in the file's data rows: the rows were appended in file order
    (DuckDB keeps the insertion order, and rowids follow it), so a row's number is its
    place among the batch's rowids."""
    first = con.execute("select min(rowid) from raw.survey_responses where batch_id = ?",
                        [batch_id]).fetchone()[0]
    con.execute("update raw.survey_responses set row_number = rowid - ? + 1 "
                "where batch_id = ?", [first, batch_id])


def _load_checked(con: duckdb.DuckDBPyConnection, source: Source, path: Path, encoding: str,
                  questions: list[str], year: int, batch_id: str, questionnaire: str,
                  in_pieces: bool) -> int:
    """The careful way: the export parsed once into the compact temp table survey_in,
    every check made over it with examples of the failing rows and cells, then, if
    there is no problem, the insert into raw.survey_responses."""
    try:
        row = ""
        if in_pieces:
            with _pieces_folder() as folder:
                try:
                    row = _read_pieces(con, source, path, encoding, questions, year, folder)
                except _PiecesUnreadable as refused:
                    raise _diagnosis(source, path, encoding, questions, year,
                                     refused) from None
        else:
            row = _read_whole(con, source, path, encoding, questions, year)
        problems = _check(con, row, questions, year)
        if problems:
            raise DeliveryError(source.source_id, path.name, problems)
        con.execute(
            f"""insert into raw.survey_responses
            select $batch_id, $source_id, {row}, trim(rid), respondent_key, trim(area),
                   $year, submitted_at, duration_seconds, $questionnaire, answers
            from survey_in""",
            {"batch_id": batch_id, "source_id": source.source_id, "year": year,
             "questionnaire": questionnaire})
        return con.execute("select count(*) from survey_in").fetchone()[0]
    finally:
        with contextlib.suppress(duckdb.Error):  # a failed transaction drops them anyway
            con.execute("drop table if exists survey_in")
            con.execute("drop table if exists known_areas")


def load(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
         batch_id: str) -> int:
    """Load a survey export into raw.survey_responses inside the caller's transaction,
    which holds nothing else yet: a clean export goes the direct way
    (:func:`_load_direct`; its rows are committed before the check over all rows and
    their numbers, the batch still ``received``: :func:`_finish_direct`); when that
    stops, the transaction is rolled back and begun again, the rows it committed are
    deleted and the export is read the careful way
    (:func:`_load_checked`), which names the problems for the sender."""
    year = Period.parse(period).check_year
    questionnaire = questionnaire_for_year(year)
    questions = [q["question_zh"] for q in survey_questions(questionnaire)]
    with open(path, "rb") as handle:
        head = handle.read(4096)
    kind = sniff(head)
    if kind != "text":
        what = {"empty": problem("empty_file", "the file is empty"),
                "html": problem("html_page", "the file is an HTML page, not an export"),
                "xlsx": problem("not_csv_export",
                                "the file is a workbook; the survey platform exports CSV")}[kind]
        raise DeliveryError(source.source_id, path.name, what)
    encoding = detect_encoding(path)
    first_line = head.decode(encoding, errors="replace").splitlines()[0]
    if (issue := delimiter_problem(first_line, RESPONSE_ID)) is not None:
        raise DeliveryError(source.source_id, path.name, issue)
    in_pieces = (encoding != "utf-8" and path.stat().st_size > PIECE_BYTES
                 and _transcoders() > 1)
    try:
        return _load_direct(con, source, path, encoding, questions, year, batch_id,
                            questionnaire, in_pieces)
    except _Doubtful as doubt:
        log.info("%s: %s did not load the direct way (%s); reading it again to name "
                 "the problem", source.source_id, path.name, doubt)
    con.rollback()
    con.begin()
    # rows the direct way committed before it stopped (see _finish_direct)
    con.execute("delete from raw.survey_responses where batch_id = ?", [batch_id])
    return _load_checked(con, source, path, encoding, questions, year, batch_id,
                         questionnaire, in_pieces)
