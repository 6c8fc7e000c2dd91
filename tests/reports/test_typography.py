"""Chinese typography of the report pages (GB/T 15834): full-width punctuation in Chinese
text, numbers and codes left as they are, whole numbers without decimals."""

from __future__ import annotations

import pytest

from cityhealth.reports.html import fmt_measure, page, zh_typography


@pytest.mark.parametrize(("markup", "expected"), [
    ("城市健康指数 <b>89.2</b>(达标 33/66 项,50.0%;满分 33 项)",
     "城市健康指数 <b>89.2</b>（达标 33/66 项，50.0%；满分 33 项）"),
    ("说明:见下表", "说明：见下表"),
    ("是否达标?", "是否达标？"),
    ("排名第 <b>3</b>(共 11 个)", "排名第 <b>3</b>（共 11 个）"),
    ("发生率(1.5%)", "发生率（1.5%）"),
    ("代码 (GB/T 2260)", "代码（GB/T 2260）"),
    # numbers, times, Latin text and markup stay as they are
    ("1,234 and 12:30", "1,234 and 12:30"),
    ("a (b) c, d", "a (b) c, d"),
    ('<p class="x:y">文字</p>', '<p class="x:y">文字</p>'),
    ("<style>td{x:y}</style>", "<style>td{x:y}</style>"),
    ("共 1,234 人,其中", "共 1,234 人，其中"),
    # a fragment with one bracket of a pair (as a test looks for a part of a sentence)
    ("<b>82.1</b>(2025年,各市合计达标 ", "<b>82.1</b>（2025年，各市合计达标 "),
    ("满分 33 项)", "满分 33 项）"),
    # the ";" of a character reference is markup, beside Chinese text as anywhere
    ("A&amp;B小区;&lt;翡翠湾&gt;,中心&#20013;", "A&amp;B小区；&lt;翡翠湾&gt;，中心&#20013;"),
])
def test_half_width_punctuation_in_chinese_text_becomes_full_width(
        markup: str, expected: str) -> None:
    assert zh_typography(markup) == expected


def test_every_page_goes_through_the_rule() -> None:
    assert "（共 11 个）" in page("标题", "<p>设区市(共 11 个)</p>")


@pytest.mark.parametrize(("value", "text"), [
    (15.0, "15"), (0.0, "0"), (28.0141, "28.01"), (1234.0, "1,234"), (None, "—"),
    (float("nan"), "—"),
])
def test_whole_numbers_have_no_decimals(value, text: str) -> None:
    assert fmt_measure(value) == text
