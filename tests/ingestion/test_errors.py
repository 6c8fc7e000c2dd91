"""The wording of ingestion's rejections: one Chinese sentence per kind of problem."""

from __future__ import annotations

import re
import string

import pytest

from cityhealth.ingestion.errors import RULES_ZH, DeliveryError, Refused, problem, problem_of
from cityhealth.ingestion.tables import parse_number

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("kind", sorted(RULES_ZH))
def test_every_kind_says_what_is_wrong_and_what_to_do_in_chinese(kind: str) -> None:
    fields = {name: "X" for _, name, _, _ in string.Formatter().parse(RULES_ZH[kind]) if name}
    sentence = problem(kind, "detail", **fields).rule
    assert CJK.search(sentence) and "，请" in sentence, (kind, sentence)
    assert " (" not in sentence, (kind, sentence)  # the English detail starts at ' ('


def test_a_refused_cell_is_reported_at_its_place_with_rule_then_detail() -> None:
    with pytest.raises(Refused) as refused:
        parse_number("暂无数据")
    error = DeliveryError("dept_wr", "水利局.csv",
                          problem_of(refused.value, "data row 4 (line 5)", "再生水利用量(万吨)"))
    assert str(error) == ("dept_wr: 水利局.csv: data row 4 (line 5), column 再生水利用量(万吨): "
                          "数值须为数字，请只填写数字 ('暂无数据' is not a number)")

