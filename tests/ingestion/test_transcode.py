"""Transcoding a GBK/GB18030 export to UTF-8 (cityhealth.ingestion.transcode): the
bytes of every character, whichever way a block is decoded and wherever a read ends."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cityhealth.ingestion import transcode

# ASCII, two-byte characters (GBK's range), four-byte GB18030 characters (outside GBK:
# a rare name character of CJK extension B, a Mongolian letter) and line ends
PARTS = ["答卷编号", "满意", "比较满意", "张", "𠀀", "𪚥", "ᠠ", "赣州市", "360702",
         "2025-06-01 10:00:00", ",", '"', "\r\n", "\n", "€", "·"]


def text(seed: int, parts: int = 2000) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(PARTS) for _ in range(parts))


@pytest.mark.parametrize("chunk", [3, 7, 64, 4096])
def test_a_piece_comes_out_as_the_same_characters_in_utf8(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(transcode, "CHUNK_BYTES", chunk)
    source, target = tmp_path / "export.csv", tmp_path / "piece.csv"
    for seed in range(5):
        content = text(seed)
        source.write_bytes(content.encode("gb18030"))
        size = source.stat().st_size
        written = transcode.transcode_piece(str(source), 0, size, "gb18030", b"h\n",
                                            str(target))
        assert target.read_bytes() == b"h\n" + content.encode("utf-8")
        assert written == target.stat().st_size
        # a piece from a line end to the end, as the pieces are cut
        start = content.encode("gb18030").index(b"\n") + 1
        transcode.transcode_piece(str(source), start, size, "gb18030", b"", str(target))
        assert target.read_bytes() == content.encode("gb18030")[start:].decode(
            "gb18030").encode("utf-8")


def test_gbk_decodes_what_it_can_as_gb18030_does() -> None:
    """The faster codec is used only where it gives the same characters."""
    for lead in range(0x81, 0xFF):
        for trail in [*range(0x40, 0x7F), *range(0x80, 0xFF)]:
            pair = bytes([lead, trail])
            try:
                fast = pair.decode("gbk")
            except UnicodeDecodeError:
                continue
            assert fast == pair.decode("gb18030"), pair.hex()


@pytest.mark.parametrize("chunk", [3, 4096])
def test_an_undecodable_byte_stops_the_piece(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(transcode, "CHUNK_BYTES", chunk)
    source = tmp_path / "export.csv"
    good = text(1, 300).encode("gb18030")
    for bad in (b"\xff", b"\x80", b"\x81"):  # not a character; a lead byte at the end
        source.write_bytes(good + b"\n" + bad)
        with pytest.raises(UnicodeDecodeError):
            transcode.transcode_piece(str(source), 0, source.stat().st_size, "gb18030",
                                      b"", str(tmp_path / "piece.csv"))
