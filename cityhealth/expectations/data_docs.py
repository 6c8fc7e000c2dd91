"""Data docs: static, self-contained HTML of the validation runs (opens offline).

GX's own Data Docs site loads its styles and scripts from public CDNs, which a
closed government network cannot reach; these pages carry their CSS inline and
reference nothing outside the folder.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

from cityhealth.core.settings import settings
from cityhealth.expectations.outcomes import BatchValidation

STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;
margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f0f3f7}.ok{color:#1a7f37}.fail{color:#c62828;font-weight:bold}.warn{color:#b26a00}
"""


def docs_dir() -> Path:
    return settings().quality_dir / "data_docs"


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>")


def write_run_page(validation: BatchValidation) -> Path:
    """One page per validation run: every expectation, its rule, result and examples."""
    rows = []
    for o in validation.outcomes:
        css = "ok" if o.success else ("fail" if o.severity == "error" else "warn")
        mark = "通过 passed" if o.success else ("未通过 failed" if o.severity == "error"
                                              else "警告 warning")
        rows.append(
            f"<tr><td class={css}>{mark}</td><td>{html.escape(o.rule)}</td>"
            f"<td>{html.escape(o.expectation_type)}</td><td>{html.escape(str(o.column or ''))}</td>"
            f"<td>{o.unexpected_count if o.unexpected_count is not None else ''}</td>"
            f"<td>{html.escape('; '.join(o.examples))}</td></tr>")
    verdict = ("<p class=ok>批次通过校验,已发布 promoted</p>" if validation.success
               else "<p class=fail>批次未通过校验,已隔离 quarantined</p>")
    body = (f"<p>{html.escape(validation.summary())}</p>{verdict}<p>suite "
            f"<code>{html.escape(validation.suite_name)}</code>, {validation.rows} rows</p>"
            "<table><tr><th>结果</th><th>规则 rule</th><th>expectation</th><th>column</th>"
            f"<th>unexpected</th><th>examples</th></tr>{''.join(rows)}</table>"
            '<p><a href="../index.html">全部校验 all runs</a></p>')
    path = docs_dir() / "runs" / f"{validation.run_id}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_page(f"数据质量校验 {validation.source_id} {validation.period}", body),
                    encoding="utf-8")
    return path


def write_index(con: duckdb.DuckDBPyConnection) -> Path:
    runs = con.execute(
        "select run_id, source_id, period, batch_id, success, evaluated, unsuccessful_errors, "
        "unsuccessful_warnings, rows_validated, validated_at from quality.validation_runs "
        "order by validated_at desc limit 2000").fetchall()
    rows = "".join(
        f"<tr><td>{html.escape(str(r[9])[:19])}</td><td>{html.escape(r[1])}</td>"
        f"<td>{html.escape(r[2])}</td><td class={'ok' if r[4] else 'fail'}>"
        f"{'通过' if r[4] else '隔离'}</td><td>{r[5]}</td><td>{r[6]}</td><td>{r[7]}</td>"
        f"<td>{r[8]}</td><td><a href=\"runs/{r[0]}.html\">{html.escape(r[3])}</a></td></tr>"
        for r in runs)
    summary = con.execute("""
        select b.source_id, b.period, count(*) as batches,
               count_if(b.status = 'promoted') as promoted,
               count_if(b.status = 'quarantined') as quarantined,
               count_if(b.status = 'superseded') as superseded,
               count_if(b.status in ('received', 'loaded')) as waiting,
               coalesce(sum(v.unsuccessful_warnings), 0) as warnings,
               max(b.received_at) as last_received,
               arg_max(b.error, b.received_at) filter (where b.status = 'quarantined')
                   as last_error
        from raw.load_batches as b
        left join quality.validation_runs as v using (batch_id)
        group by all order by b.period desc, b.source_id""").fetchall()
    summary_rows = "".join(
        f"<tr><td>{html.escape(r[0])}</td><td>{html.escape(r[1])}</td><td>{r[2]}</td>"
        f"<td class=ok>{r[3]}</td><td class={'fail' if r[4] else 'ok'}>{r[4]}</td>"
        f"<td>{r[5]}</td><td>{r[6]}</td><td>{r[7]}</td>"
        f"<td>{html.escape(str(r[8])[:19])}</td>"
        f"<td>{html.escape((r[9] or '')[:320])}</td></tr>" for r in summary)
    body = ("<h2>按来源和报送期汇总 Summary by source and period</h2>"
            "<table><tr><th>source</th><th>period</th><th>batches</th><th>promoted</th>"
            "<th>quarantined</th><th>superseded</th><th>waiting</th><th>warnings</th>"
            f"<th>last received</th><th>last error</th></tr>{summary_rows}</table>"
            "<h2>校验记录 Validation runs</h2>"
            "<table><tr><th>validated at</th><th>source</th><th>period</th><th>result</th>"
            "<th>expectations</th><th>errors</th><th>warnings</th><th>rows</th><th>batch</th>"
            f"</tr>{rows}</table>")
    path = docs_dir() / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_page("数据质量校验结果 Data quality validation runs", body),
                    encoding="utf-8")
    return path
