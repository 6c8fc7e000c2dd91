"""The one error type of ingestion: a delivery that cannot be loaded as it is.

Its message always names the source and the file, and, where the problem sits in a
cell, the row and column, so that the department can fix its file without asking.
Each problem states its rule first as a Chinese sentence a department clerk can act on
(what is wrong and what to do), chosen by its kind from ``RULES_ZH``, then the English
detail in brackets: ``data row 4 (line 5), column 再生水利用量(万吨): 数值须为数字，请只填写数字
('暂无数据' is not a number)``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace

MAX_SHOWN = 10
SHOWN_CHARS = 60  # delivered text quoted in a message is cut after this many characters
VISIBLE_SPACE = " "


def _escaped(char: str) -> str:
    """A character as the clerk can see it: invisible ones as <U+XXXX>."""
    if char == VISIBLE_SPACE:
        return char
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"):
        return f"<U+{ord(char):04X}>"
    return char


def shown(text: object, limit: int = SHOWN_CHARS) -> str:
    """Delivered text for a message: invisible characters (zero-width spaces, BOMs,
    control characters, no-break and ideographic spaces) written as ``<U+200B>``, a space
    at either end as ``<U+0020>``, and a long text cut with its length said."""
    text = str(text)
    cut = text[:limit]
    body = "".join(_escaped(c) for c in cut)
    if cut.startswith(VISIBLE_SPACE):
        body = "<U+0020>" + body[1:]
    if cut.endswith(VISIBLE_SPACE) and len(cut) > 1:
        body = body[:-1] + "<U+0020>"
    if len(text) > limit:
        body += f"… ({len(text):,} characters)"
    return body


# What is wrong and what to do, by kind of problem: the one place of ingestion's wording.
# ``{name}`` fields are filled in by ``rule_zh``.
RULES_ZH: dict[str, str] = {
    # the file as a whole
    "empty_file": "文件为空，请重新导出数据后报送",
    "html_page": "文件是网页(错误页或登录页)而不是数据表，请从业务系统导出数据文件后报送",
    "not_xlsx": "文件名为.xlsx但不是Excel工作簿，请用Excel或WPS另存为.xlsx后报送",
    "damaged_xlsx": "Excel工作簿已损坏或不完整，请用Excel或WPS重新保存后报送",
    "not_csv_export": "问卷平台应导出CSV文件，请从问卷平台重新导出CSV后报送",
    "encoding": "文件中有无法识别的字符编码，请另存为UTF-8或GBK编码的CSV后报送",
    "delimiter": "文件不是用逗号分隔的，请另存为“CSV(逗号分隔)”后报送",
    "unreadable_csv": "文件无法按CSV读取，请重新导出，或另存为“CSV(逗号分隔)”后报送",
    "no_header": "前{rows}行中没有以“{first}”开头的表头行，请使用报送模板的表头",
    "no_rows": "表头下没有数据行，请填写数据后报送",
    "missing_column": "缺少必填列“{heading}”，请使用报送模板的表头",
    # a column heading
    "unknown_heading": "表头不是指标目录中的变量，请按“变量名称(单位)”填写报送模板的表头",
    "other_department": "该列是其他部门报送的变量，请核对是否用错了报送模板或文件",
    "unit": "表头中的计量单位无法换算，请使用报送模板中的单位",
    # a cell
    "formula_without_result": "公式没有保存计算结果，请用Excel或WPS打开后重新保存，或粘贴为数值",
    "cell_too_long": "单元格内容过长，请检查是否有未闭合的引号或误粘贴的内容",
    "row_too_long": "该行过长，请检查是否有未闭合的引号或超长内容后重新导出",
    "not_number": "数值须为数字，请只填写数字",
    "spreadsheet_error": "单元格是公式错误(如#DIV/0!)，请修正公式或直接填写数值",
    "cell_empty": "该单元格为必填项，请填写",
    "placeholder_required": "该单元格须填写数值，请填写数字，不要用“-”“无”等代替",
    "not_whole": "须为整数，请只填写整数",
    "not_date": "日期格式应为“年-月-日”(如2025-06-30)，请修改",
    "not_month": "月份格式应为“年-月”(如2025-06)，请修改",
    "not_one_of": "只能填写以下之一：{choices}，请修改",
    "not_in_catalogue": "填写的内容不在{catalogue}中，请按{catalogue}填写",
    "area_empty": "行政区划代码为空，请填写六位行政区划代码",
    "area_format": "行政区划代码须为六位数字，请按GB/T 2260填写，不要加空格或其他字符",
    "area_unknown": "行政区划代码不是{province}的{level}，请核对代码",
    "year_format": "年度须为四位数字年份，请修改",
    "year_future": "年度晚于今年，请核对年度",
    "year_other": "年度与本次报送期{period}不符，请核对年度，或按对应期次报送",
    "period_other": "报送期与本次报送期{period}不符，请核对月份，或按对应期次报送",
    "unknown_indicator": "指标代码不在指标目录中，请核对指标代码",
    "duplicate_row": "同一区县出现两行，请合并为一行",
    "duplicate_record": "同一记录出现两行，请删除重复行或合并为一行",
    "delivered_twice": "同一区县的同一变量报送了两次，请只保留一处",
    "measured_twice": "同一区县的同一指标测评了两次，请只保留一行",
    # the four-level check's objects, findings and treatment
    "not_geojson": "文件不是GeoJSON要素集合(FeatureCollection)，请从GIS软件重新导出GeoJSON后报送",
    "geometry": "要素的几何图形缺失或无法识别，请在GIS软件中检查该要素后重新导出",
    "outside_county": "{place}「经度」「纬度」({longitude}, {latitude}) 不在所在区县 {code} {name} "
                      "的行政区域内，请核对坐标或区县代码",
    "parent_unknown": "上级对象编号不是本年度已入库的{parent_kind}，请核对编号，"
                      "或先报送{parent_kind}信息采集表",
    "object_unknown": "对象编号不是本年度已入库的体检对象，请核对编号，或先报送该对象的信息采集表",
    "object_kind_other": "指标{indicator}适用于{indicator_kind}，而该对象是{object_kind}，"
                         "请核对指标代码或对象编号",
    "value_required": "指标{indicator}须填写问题数值(缺口数量或测算值)，请填写",
    "flag_value": "指标{indicator}只记是否存在问题，问题数值应为1或不填，请修改",
    # the survey export
    "sheet_number_empty": "答卷编号为空，请从问卷平台重新导出",
    "sheet_number_twice": "答卷编号重复，请删除重复行后重新导出",
    "not_datetime": "提交时间格式应为“年-月-日 时:分:秒”，请按问卷平台的原格式导出",
    "datetime_future": "提交时间晚于当前时间，请核对",
    "datetime_other_year": "提交时间不在调查年度{year}内，请只导出本年度的答卷",
    "not_seconds": "答题时长须为整数秒，请修改",
    "not_an_answer": "答案不是问卷的选项，请按问卷选项填写",
    # the department feed
    "http_status": "接口返回了错误状态，请稍后重新拉取；仍失败请联系接口维护单位",
    "feed_html": "接口返回了网页(维护页或登录页)而不是数据，请稍后重新拉取",
    "feed_encoding": "接口返回的内容编码无法识别，请联系接口维护单位",
    "feed_format": "接口返回的不是约定格式的数据，请联系接口维护单位",
    "feed_api_error": "接口返回了错误信息“{msg}”而不是数据，请稍后重新拉取；"
                      "仍失败请联系接口维护单位",
    "feed_other_period": "接口返回的是其他期次的数据，不是所请求的期次，请联系接口维护单位",
    "feed_other_department": "接口返回的是其他部门的数据，不是所请求的部门，请联系接口维护单位",
    "feed_pages": "接口分页不前进(重复返回同一页)，请联系接口维护单位",
    "feed_incomplete": "只收到部分分页，请重新拉取",
    "feed_empty": "本次拉取没有任何内容，请重新拉取",
    "feed_record": "拉取记录已损坏，请重新拉取",
    "feed_item": "数据项格式不对，请联系接口维护单位",
    "feed_variable": "变量名称不是本部门指标目录中的变量，请联系接口维护单位核对变量名称",
    "feed_unit": "计量单位无法换算，请联系接口维护单位核对单位",
    # anything else
    "not_loaded": "文件未能导入，请联系数据平台运维人员",
}
LEVELS_ZH = {"province": "省", "city": "设区市", "county": "区县"}


def rule_zh(kind: str, **fields: object) -> str:
    """The Chinese sentence of a kind of problem, its fields filled in (a kind not in
    ``RULES_ZH`` is a KeyError: every rejection has its sentence)."""
    return RULES_ZH[kind].format(**fields)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a delivery; ``where`` is e.g. 'data row 5 (line 6)';
    ``rule`` the Chinese sentence of its kind (``rule_zh``), ``message`` the English detail."""

    message: str
    where: str = ""
    column: str = ""
    rule: str = ""

    def at(self, where: str = "", column: str = "") -> Problem:
        """The same problem at a place (a cell's checks do not know their row)."""
        return replace(self, where=where or self.where, column=column or self.column)

    def text(self) -> str:
        """The rule and its detail: '数值须为数字，请只填写数字 ('x' is not a number)'."""
        return f"{self.rule} ({self.message})" if self.rule else self.message

    def __str__(self) -> str:
        column = f"column {shown(self.column, 200)}" if self.column else ""
        place = ", ".join(p for p in (self.where, column) if p)
        return f"{place}: {self.text()}" if place else self.text()


def problem(kind: str, message: str, where: str = "", column: str = "",
            **fields: object) -> Problem:
    """A Problem of a kind: its Chinese rule from ``RULES_ZH``, then the English message."""
    return Problem(message, where, column, rule_zh(kind, **fields))


class Refused(ValueError):
    """A cell or file a parser refuses, with the Problem to report (its place unknown):
    ``Refused("not_number", "'x' is not a number")``, or ``Refused(a_problem)``."""

    def __init__(self, kind: str | Problem, message: str = "", **fields: object):
        self.problem = kind if isinstance(kind, Problem) else problem(kind, message, **fields)
        super().__init__(self.problem.message)


def problem_of(error: ValueError, where: str = "", column: str = "") -> Problem:
    """The Problem of a refusal at a place; any other ValueError as a file not loaded."""
    found = error.problem if isinstance(error, Refused) else \
        problem("not_loaded", str(error))
    return found.at(where, column)


class DeliveryError(ValueError):
    """A delivery that cannot be loaded; the batch goes to quarantine, the others go on."""

    def __init__(self, source_id: str, file: str, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.source_id = source_id
        self.file = file
        self.problems = problems
        super().__init__(self._text())

    def _text(self) -> str:
        head = f"{self.source_id}: {self.file}"
        if len(self.problems) == 1:
            return f"{head}: {self.problems[0]}"
        shown = "; ".join(str(p) for p in self.problems[:MAX_SHOWN])
        more = f"; and {len(self.problems) - MAX_SHOWN} more" if len(self.problems) > MAX_SHOWN \
            else ""
        return f"{head}: {len(self.problems)} problems: {shown}{more}"
