"""The reports' base cut of the Chinese font: cut once per deployment, then read."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from cityhealth.reports import fonts


@pytest.fixture
def no_cut_in_memory() -> Iterator[None]:
    fonts._base.cache_clear()
    fonts.subset_font.cache_clear()
    yield
    fonts._base.cache_clear()
    fonts.subset_font.cache_clear()


def test_the_base_font_is_cut_once_and_read_by_later_processes(
        cityhealth_home: Path, no_cut_in_memory: None, monkeypatch: pytest.MonkeyPatch) -> None:
    code_points, cut = fonts._base()
    [kept] = (cityhealth_home / "cache" / "fonts").iterdir()
    assert kept.suffix == ".otf" and kept.read_bytes() == cut
    assert ord("城") in code_points and ord("A") in code_points

    # a later process (the cut in memory gone) reads the kept cut instead of cutting
    fonts._base.cache_clear()

    def no_cutting(*_args) -> bytes:
        raise AssertionError("the base font was cut again")

    monkeypatch.setattr(fonts, "_cut", no_cutting)
    assert fonts._base() == (code_points, cut)


def test_a_page_font_cut_from_the_kept_base_is_the_one_cut_from_a_fresh_base(
        cityhealth_home: Path, no_cut_in_memory: None) -> None:
    page = fonts.characters("南昌市城市健康指数 82.1")
    fresh = fonts.subset_font(page)
    fonts._base.cache_clear()
    fonts.subset_font.cache_clear()
    assert fonts.subset_font(page) == fresh  # same bytes: the page is the same page


def test_a_page_with_names_beyond_the_seeds_is_cut_from_the_base(
        cityhealth_home: Path, no_cut_in_memory: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Check objects' names from the deliveries (翡翠湾, 枫桥) are in none of the texts reports
    are made of, but in GB 2312: their page is cut from the base, not from the whole font;
    a name with a character beyond GB 2312 (喆, 堃: GBK only) still gets its glyph, cut
    from the whole font."""
    gb2312 = fonts.gb2312()
    assert len(gb2312) == 7445
    names = fonts.characters("翡翠湾 枫桥 蔚蓝 整治完成")
    rare = fonts.characters("王喆 李堃")
    assert names - fonts.report_characters() == {ord(c) for c in "翡翠湾枫桥蔚蓝"}
    assert names <= gb2312 | fonts.ASCII
    base_points, _ = fonts._base()
    assert ord("喆") not in base_points and ord("堃") not in base_points
    whole_font_cuts = []
    cut = fonts._cut

    def spy(source, code_points):
        if not isinstance(source, bytes):
            whole_font_cuts.append(code_points)
        return cut(source, code_points)

    monkeypatch.setattr(fonts, "_cut", spy)
    fonts.subset_font(names)
    assert whole_font_cuts == []
    rare_font = fonts.subset_font(rare)
    assert whole_font_cuts == [rare]
    assert {ord("喆"), ord("堃")} <= set(TTFont(io.BytesIO(rare_font)).getBestCmap())
