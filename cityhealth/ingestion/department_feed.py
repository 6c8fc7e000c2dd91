"""Departments' HTTP feeds: pulled page by page with ``requests``, kept as received.

``fetch`` pulls every page of one source and period and writes the responses, exactly
as received, to one delivery file in the landing folder (``<source>_<period>.jsonl``,
one line per page: the request without the token, the status, the content type and
the body text). From there a feed is a delivery like any file: archived, recorded,
de-duplicated, loaded or quarantined by ``load``.

429, 5xx, timeouts and broken connections are retried with exponential backoff
(``Retry-After`` honoured); after the last attempt ``FeedUnavailable`` says which
source, which request and what happened, and nothing is written (the file appears
only when every page has arrived).

The client does not trust the API: it follows at most ``max_pages`` pages
(``sources.yaml``), stops at a page that repeats an earlier one, decodes each body in the
charset its Content-Type declares (GBK, say; UTF-8 when none is declared), and treats an
HTTP 200 whose JSON carries an error code (``{"code": 500, "msg": "系统繁忙"}``) as what it
is: a 5xx code is retried like an HTTP 5xx, any other is kept and quarantined with the
API's own message. ``parse`` checks that every page answers the department, the period
and the page asked for; a delivery that does not is quarantined naming the page.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
import time
from datetime import date
from email.message import Message
from pathlib import Path

import duckdb
import pandas as pd
import requests

from cityhealth.core.reference import unit_factors, variables_by_name
from cityhealth.core.settings import settings
from cityhealth.ingestion.checks import area_code_problem, parse_period
from cityhealth.ingestion.errors import DeliveryError, Problem, problem, shown
from cityhealth.ingestion.registry import Source
from cityhealth.warehouse.connection import insert_frame

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
SUCCESS_CODES = (0, 200, "0", "200", "success", "ok")
ERROR_CODE_KEYS = ("code", "errcode", "error_code", "status")
ERROR_MESSAGE_KEYS = ("msg", "message", "errmsg", "error_msg", "error")
REQUESTED_PAGE = re.compile(r"[?&]page=(\d+)")


def declared_charset(content_type: str) -> str | None:
    """The charset a Content-Type header declares ('text/json; charset=GBK' -> 'GBK')."""
    message = Message()
    message["content-type"] = content_type or ""
    return message.get_param("charset")


def body_text(content: bytes, content_type: str) -> str:
    """A body as text in its declared charset (UTF-8 when none is declared or the declared
    one is unknown); undecodable bytes are kept as surrogates, so the delivery keeps them
    and ``parse`` can say where they are."""
    charset = declared_charset(content_type) or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    return content.decode(charset, errors="surrogateescape")


def api_error(body: object) -> tuple[object, str] | None:
    """(code, message) when a JSON body is the API's error rather than data."""
    if not isinstance(body, dict):
        return None
    for key in ERROR_CODE_KEYS:
        code = body.get(key)
        if code is None or code in SUCCESS_CODES or isinstance(code, bool):
            continue
        if key == "status" and not isinstance(code, int):
            continue
        message = next((str(body[k]) for k in ERROR_MESSAGE_KEYS if body.get(k)), "")
        return code, message
    if body.get("success") is False:
        return "success=false", next((str(body[k]) for k in ERROR_MESSAGE_KEYS if body.get(k)),
                                     "")
    return None


def _transient_api_error(response: requests.Response) -> str | None:
    """'code 500, msg 系统繁忙' when an HTTP 200 carries a 5xx error code in its JSON."""
    if response.status_code != 200:
        return None
    try:
        body = json.loads(body_text(response.content,
                                    response.headers.get("Content-Type", "")))
    except ValueError:
        return None
    found = api_error(body)
    if found is None:
        return None
    code, message = found
    try:
        transient = 500 <= int(code) <= 599  # type: ignore[call-overload]
    except (TypeError, ValueError):
        transient = False
    return f"code {code}, msg {shown(message, 200)}" if transient else None


class FeedUnavailable(RuntimeError):
    """A feed could not be pulled after every retry (or refused the request outright)."""


def check_period(source: Source, period: str) -> None:
    """A period the source has: its cadence's form (YYYY-MM or YYYY-Qn), not in the future."""
    year, month, frequency = parse_period(period)
    if frequency != source.cadence:
        raise ValueError(f"{source.source_id} is {source.cadence}; period {period!r} is "
                         f"{frequency}")
    today = date.today()
    if (year, month) > (today.year, today.month):
        raise ValueError(f"{source.source_id}: period {period} is in the future")


def _wait(attempt: int, options: dict, response: requests.Response | None) -> float:
    delay = float(options["backoff_seconds"]) * 2 ** (attempt - 1)
    retry_after = response.headers.get("Retry-After") if response is not None else None
    if retry_after and retry_after.isdigit():
        delay = max(delay, float(retry_after))
    return min(delay, float(options["backoff_max_seconds"]))


def _get(session: requests.Session, source: Source, url: str, params: dict,
         token: str) -> requests.Response:
    """One page, retried; returns the final response (2xx or a non-retryable status)."""
    options = source.options
    attempts = int(options["max_attempts"])
    shown = f"{url}?" + "&".join(f"{k}={v}" for k, v in params.items())
    for attempt in range(1, attempts + 1):
        response = None
        try:
            response = session.get(url, params=params, timeout=float(options["timeout_seconds"]),
                                   headers={"Authorization": f"Bearer {token}"})
            _ = response.content  # read the whole body now: a broken one fails here
            problem = f"HTTP {response.status_code}"
            if (busy := _transient_api_error(response)) is not None:
                problem = f"HTTP 200 carrying the API's error {busy}"
            elif response.status_code not in RETRY_STATUSES:
                return response
        except (requests.ConnectionError, requests.Timeout,
                requests.exceptions.ChunkedEncodingError) as error:
            problem = f"{type(error).__name__}: {str(error)[:200]}"
        if attempt == attempts:
            raise FeedUnavailable(f"{source.source_id}: GET {shown} failed after {attempts} "
                                  f"attempts; last: {problem}")
        delay = _wait(attempt, options, response)
        log.warning("%s: GET %s: %s; retry %d/%d in %.1f s", source.source_id, shown, problem,
                    attempt, attempts - 1, delay)
        time.sleep(delay)
    raise AssertionError("unreachable")


def fetch(source: Source, period: str, *, base_url: str | None = None,
          token: str | None = None, session: requests.Session | None = None) -> Path:
    """Pull every page of one period into the landing folder; returns the delivery file."""
    check_period(source, period)
    cfg = settings()
    base_url = (base_url or cfg.feed_base_url or "").rstrip("/")
    token = token or cfg.feed_token or ""
    if not base_url:
        raise FeedUnavailable(f"{source.source_id}: no feed address (set "
                              "CITYHEALTH_FEED_BASE_URL)")
    url = base_url + source.options["path"].format(department=source.department)
    session = session or requests.Session()
    lines: list[str] = []
    contents: dict[str, int] = {}
    page, pages = 1, 1
    while page <= min(pages, source.max_pages):
        params = {"period": period, "page": page, "page_size": source.options["page_size"]}
        response = _get(session, source, url, params, token)
        if response.status_code in (401, 403):
            raise FeedUnavailable(f"{source.source_id}: GET {url} refused the token "
                                  f"(HTTP {response.status_code}); check CITYHEALTH_FEED_TOKEN")
        if response.status_code == 404:
            raise FeedUnavailable(f"{source.source_id}: GET {url} period={period}: no data "
                                  f"yet (HTTP 404: {response.text[:200]})")
        content_type = response.headers.get("Content-Type", "")
        text = body_text(response.content, content_type)
        record = {"request": f"GET {url}?period={period}&page={page}",
                  "status": response.status_code, "content_type": content_type, "body": text}
        line = json.dumps(record, ensure_ascii=False)
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:  # undecodable bytes (surrogates): kept, escaped
            line = json.dumps(record)
        lines.append(line)
        try:
            body = json.loads(text) if response.ok else {}
            pages = int(body["pages"])
        except (ValueError, KeyError, TypeError):
            break  # not the JSON we expect: keep it as received, load will say why
        signature = _content(body)
        if signature is not None and signature in contents:
            log.warning("%s %s: page %d repeats page %d; the pull stops", source.source_id,
                        period, page, contents[signature])
            break
        if signature is not None:
            contents[signature] = page
        if body.get("page") is not None and str(body.get("page")) != str(page):
            break  # the API answered another page: load will say so
        page += 1
    target = source.landing_dir(period) / f"{source.source_id}_{period}.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
    partial.replace(target)
    log.info("%s %s: %d pages into %s", source.source_id, period, len(lines), target)
    return target


def _content(body: object) -> str | None:
    """What identifies a page's content (its items, or its cursor) to notice repeats."""
    if not isinstance(body, dict):
        return None
    cursor = next((body[k] for k in ("cursor", "next_cursor", "next") if body.get(k)), None)
    items = body.get("items")
    if cursor is None and not items:
        return None
    return json.dumps([cursor, items], sort_keys=True, ensure_ascii=False)


def pull(source: Source, period: str) -> None:
    """The ingestion hook of a pulled source (``transport: http`` in sources.yaml)."""
    fetch(source, period)


def _undecodable(body: str, content_type: str) -> str | None:
    """Where undecodable bytes (kept as surrogates) sit in a body, or None."""
    position = next((i for i, c in enumerate(body) if "\udc80" <= c <= "\udcff"), None)
    if position is None:
        return None
    line = body.count("\n", 0, position) + 1
    column = position - (body.rfind("\n", 0, position) + 1) + 1
    raw = body[position:position + 4]
    end = next((i for i, c in enumerate(raw) if not "\udc80" <= c <= "\udcff"), len(raw))
    shown_bytes = " ".join(f"0x{ord(c) - 0xDC00:02X}" for c in raw[:end])
    charset = declared_charset(content_type)
    declared = f"its declared charset {charset}" if charset else \
        "UTF-8 (no charset declared in Content-Type)"
    return (f"undecodable bytes {shown_bytes} at line {line}, column {column} of the body "
            f"in {declared}")


def _page_items(source: Source, period: str, number: int, record: dict,
                contents: dict[str, int]) -> tuple[list, list[Problem]]:
    where = f"page {number}"
    if record.get("status") != 200:
        return [], [problem("http_status", f"HTTP {record.get('status')} "
                            f"({record.get('request')})", where)]
    text = record.get("body", "")
    if "html" in record.get("content_type", "") or \
            text.lstrip().lower().startswith(("<!doctype", "<html")):
        return [], [problem("feed_html", "an HTML page instead of JSON (a maintenance or login "
                            "page?)", where)]
    if (issue := _undecodable(text, record.get("content_type", ""))) is not None:
        return [], [problem("feed_encoding", issue, where)]
    try:
        body = json.loads(text)
    except ValueError as error:
        return [], [problem("feed_format", f"not the feed's JSON ({type(error).__name__}: "
                            f"{shown(str(error), 120)})", where)]
    if (found := api_error(body)) is not None:
        code, message = found
        return [], [problem("feed_api_error", "the API answered with an error instead of "
                            f"data: code "
                            f"{shown(code)}, msg '{shown(message, 200)}'", where,
                            msg=shown(message, 200))]
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return [], [problem("feed_format", "not the feed's JSON (no list of items)", where)]
    problems: list[Problem] = []
    for field, asked in (("department", source.department), ("period", period)):
        if str(body.get(field)) != str(asked):
            answered = f"for {field} {shown(body[field])}" if body.get(field) is not None \
                else f"without a {field}"
            problems.append(problem(f"feed_other_{field}", f"the answer is {answered}; the "
                                    f"request was for {field} "
                                    f"{asked}", where, field))
    match = REQUESTED_PAGE.search(str(record.get("request", "")))
    if match and body.get("page") is not None and str(body["page"]) != match[1]:
        problems.append(problem("feed_pages", f"the API answered page {shown(body['page'])} "
                                f"to the request "
                                f"for page {match[1]} (it does not advance its pages)",
                                where, "page"))
    signature = _content(body)
    if signature is not None and signature in contents:
        problems.append(problem("feed_pages", f"repeats page {contents[signature]} (the same "
                                "content): the "
                                "API does not advance its pages", where))
    elif signature is not None:
        contents[signature] = number
    return ([] if problems else list(body["items"])), problems


def _announced_pages(text: str) -> int | None:
    try:
        return int(json.loads(json.loads(text.splitlines()[-1])["body"])["pages"])
    except (ValueError, KeyError, TypeError, IndexError):
        return None


def parse(source: Source, period: str, path: Path) -> pd.DataFrame:
    problems: list[Problem] = []
    records: list[tuple] = []
    seen: dict[tuple[str, str], str] = {}
    contents: dict[str, int] = {}
    year = parse_period(period)[0]
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise DeliveryError(source.source_id, path.name,
                            problem("feed_empty", "the delivery is empty"))
    received = len(text.splitlines())
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            record = json.loads(line)
        except ValueError:
            problems.append(problem("feed_record", "not a recorded response", f"page {number}"))
            continue
        items, page_problems = _page_items(source, period, number, record, contents)
        problems += page_problems
        for index, item in enumerate(items, start=1):
            where = f"page {number} item {index}"
            if not isinstance(item, dict):
                problems.append(problem("feed_item", "not an object", where))
                continue
            code = str(item.get("area_code", ""))
            if (issue := area_code_problem(code)) is not None:
                problems.append(issue.at(where, "area_code"))
                continue
            variable = variables_by_name().get(str(item.get("variable", "")))
            if variable is None or variable["department_code"] != source.department:
                problems.append(problem("feed_variable", f"'{shown(item.get('variable'))}' is "
                                        f"not a variable "
                                        f"of {source.department} (ref_variables.csv)", where,
                                        "variable"))
                continue
            factor = unit_factors().get((str(item.get("unit", "")), variable["unit_zh"]))
            if factor is None:
                problems.append(problem("feed_unit", f"unit '{shown(item.get('unit'))}' cannot "
                                        f"be converted "
                                        f"to {variable['unit_zh']}", where, "unit"))
                continue
            key = (code, variable["variable_code"])
            if key in seen:
                problems.append(problem("delivered_twice", f"{code} "
                                        f"{variable['variable_name_zh']} delivered "
                                        f"twice (also {seen[key]})", where, "variable"))
                continue
            seen[key] = where
            value = item.get("value")
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, int | float)):
                problems.append(problem("not_number", f"'{shown(value)}' is not a number",
                                        where, "value"))
                continue
            records.append((source.source_id, source.department, number, index, code, period,
                            year, variable["variable_name_zh"], variable["variable_code"],
                            None if value is None else float(value) * factor, item.get("unit")))
    announced = _announced_pages(text)
    if not problems and announced is not None and announced > received:
        limit = source.max_pages
        why = (f"the pull stopped at max_pages {limit} (sources.yaml, kinds: department_feed)"
               if received >= limit else "the pull stopped early")
        problems.append(problem("feed_incomplete", f"the API announces {announced} pages, "
                                f"{received} were "
                                f"received: {why}", f"page {received}", "pages"))
    if problems:
        raise DeliveryError(source.source_id, path.name, problems)
    return pd.DataFrame.from_records(records, columns=[
        "source_id", "department_code", "page", "item", "area_code", "period", "period_year",
        "variable_label", "variable_code", "value", "delivered_unit"])


def load(con: duckdb.DuckDBPyConnection, source: Source, period: str, path: Path,
         batch_id: str) -> int:
    frame = parse(source, period, path)
    frame.insert(0, "batch_id", batch_id)
    insert_frame(con, "raw.monitoring_values", frame)
    return len(frame)
