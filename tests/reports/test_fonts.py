"""The reports' base cut of the Chinese font: cut once per deployment, then read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
