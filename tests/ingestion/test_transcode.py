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


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("chunk", [3, 7, 64, 4096])
def test_a_piece_comes_out_as_the_same_characters_in_utf8(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, compiled: bool) -> None:
    monkeypatch.setattr(transcode, "CHUNK_BYTES", chunk)
    source, target = tmp_path / "export.csv", tmp_path / "piece.csv"
    for seed in range(5):
        content = text(seed)
        source.write_bytes(content.encode("gb18030"))
        size = source.stat().st_size
        done = transcode.transcode_piece(str(source), 0, size, "gb18030", b"h\n",
                                         str(target), compiled=compiled)
        assert target.read_bytes() == b"h\n" + content.encode("utf-8")
        assert done.written == target.stat().st_size
        assert done.quotes == content.count('"')
        # a piece from a line end to the end, as the pieces are cut
        start = content.encode("gb18030").index(b"\n") + 1
        transcode.transcode_piece(str(source), start, size, "gb18030", b"", str(target),
                                  compiled=compiled)
        assert target.read_bytes() == content.encode("gb18030")[start:].decode(
            "gb18030").encode("utf-8")


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_the_compiled_loop_gives_every_two_byte_character_as_pythons_codec_does(
        encoding: str) -> None:
    """Every two-byte character, between ASCII, to the same UTF-8 bytes, without
    Python's codec; a block with a four-byte character or a byte that is no character
    (at its end: a lead byte alone) is left to Python's codec."""
    from cityhealth.ingestion.gb18030 import Converter, two_byte_table

    table = two_byte_table(encoding)
    pairs = [bytes((code >> 8, code & 0xFF)) for code in table.nonzero()[0].tolist()]
    assert len(pairs) >= 21791  # GBK's two-byte characters, GB18030's more
    block = b"".join(b"a" + pair + b",1\n" for pair in pairs)
    converter = Converter(encoding)
    assert bytes(converter.utf8(block)) == block.decode(encoding).encode("utf-8")
    assert bytes(converter.utf8(b"")) == b""
    if encoding == "gb18030":
        assert converter.utf8("张𠀀".encode("gb18030")) is None  # four bytes
    for bad in (b"\xff", b"\x80", b"\x81", b"\x81\n", b"\xa1\x7f"):
        assert converter.utf8(b"ab" + bad) is None


def test_only_blocks_the_compiled_loop_cannot_take_go_through_pythons_codec(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcode, "CHUNK_BYTES", 64)
    source, target = tmp_path / "export.csv", tmp_path / "piece.csv"
    lines = [f"{k},张三,满意\n" for k in range(100)]
    lines[50] = "50,𠀀,满意\n"  # a rare name character: four bytes in GB18030
    data = "".join(lines).encode("gb18030")
    source.write_bytes(data)
    done = transcode.transcode_piece(str(source), 0, len(data), "gb18030", b"",
                                     str(target), compiled=True)
    assert target.read_bytes() == "".join(lines).encode("utf-8")
    assert 0 < done.by_codec <= 64 + len(lines[50].encode("gb18030"))
    assert transcode.transcode_piece(str(source), 0, len(data), "gb18030", b"",
                                     str(target)).by_codec == len(data)


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


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("chunk", [3, 4096])
def test_an_undecodable_byte_stops_the_piece(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, compiled: bool) -> None:
    monkeypatch.setattr(transcode, "CHUNK_BYTES", chunk)
    source = tmp_path / "export.csv"
    good = text(1, 300).encode("gb18030")
    for bad in (b"\xff", b"\x80", b"\x81"):  # not a character; a lead byte at the end
        source.write_bytes(good + b"\n" + bad)
        with pytest.raises(UnicodeDecodeError):
            transcode.transcode_piece(str(source), 0, source.stat().st_size, "gb18030",
                                      b"", str(tmp_path / "piece.csv"), compiled=compiled)


# --- where the pieces are cut ---------------------------------------------------------

def lines_file(path: Path, rows: int, quoted: dict[int, str] | None = None) -> bytes:
    """A CSV of ``rows`` lines of varying length (GB18030); line k's second cell is
    ``quoted[k]`` where given."""
    rng = random.Random(rows)
    lines = ["编号,姓名,答案"]
    for k in range(rows):
        cell = (quoted or {}).get(k, "张" * rng.randint(1, 9))
        lines.append(f"{k},{cell},{'满意' * rng.randint(1, 30)}")
    data = ("\r\n".join(lines) + "\r\n").encode("gb18030")
    path.write_bytes(data)
    return data


def transcoded(path: Path, ranges: list[tuple[int, int]], folder: Path) -> list[int]:
    """Transcode the ranges with the workers; the numbers of the pieces awaited before
    one raised CutInsideQuotes (all of them when none did). The workers decode every
    piece with the compiled loop (the files hold no four-byte character)."""
    jobs = [{"piece": k, "path": str(path), "start": a, "end": b, "encoding": "gb18030",
             "header": "", "target": str(folder / f"p{k}.csv")}
            for k, (a, b) in enumerate(ranges)]
    workers = transcode.Workers(2, jobs)
    awaited = []
    try:
        for k in range(len(jobs)):
            workers.wait(k)
            awaited.append(k)
    except transcode.CutInsideQuotes as inside:
        assert inside.number == k
    finally:
        workers.close()
    assert workers.by_codec == 0
    return awaited


def test_guessed_cuts_are_line_ends_and_cover_the_file(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    data = lines_file(source, 3000)
    for size in (100, 4096, 65537):
        ranges = list(transcode.pieces(source, size))
        assert ranges == list(transcode.pieces(source, size, exact=True))  # no quotes
        assert ranges[0][0] == 0 and ranges[-1][1] == len(data)
        ends, starts = [end for _, end in ranges[:-1]], [start for start, _ in ranges[1:]]
        assert ends == starts
        assert all(data[end - 1:end] == b"\n" for _, end in ranges)
        # no longer than asked, unless a line is (then up to the line's end)
        assert all(end - start <= size or b"\n" not in data[start:start + size - 1]
                   for start, end in ranges[:-1])


def test_a_guessed_cut_inside_a_quoted_cell_is_told_and_the_exact_one_is_not(
        tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    size = 4096
    for row in range(40, 3000):  # a quoted line break where a guessed cut falls
        data = lines_file(source, 3000, {row: '"李\r\n""四"""'})
        cell = data.index('"李'.encode("gb18030"))
        guessed = list(transcode.pieces(source, size))
        inside = [k for k, (_, end) in enumerate(guessed) if cell < end < cell + 8]
        if inside:
            break
    assert inside, "no row puts the quoted line break at a guessed cut"
    assert transcoded(source, guessed, tmp_path) == list(range(inside[0]))

    exact = list(transcode.pieces(source, size, exact=True))
    assert not [end for _, end in exact if cell < end < cell + 8]
    assert transcoded(source, exact, tmp_path) == list(range(len(exact)))
    text = "".join((tmp_path / f"p{k}.csv").read_bytes().decode("utf-8")
                   for k in range(len(exact)))
    assert text == data.decode("gb18030")


def test_ready_tells_a_written_piece_without_waiting_for_one_being_written(
        tmp_path: Path) -> None:
    """What lets the caller hand DuckDB every piece already written at once: ``ready``
    answers at once, False while the piece is still being written (here: its worker
    waits for a reader of its target, a named pipe), True once it is."""
    import os
    import signal
    import time

    source = tmp_path / "export.csv"
    source.write_bytes("编号\n1\n2\n".encode("gb18030"))
    middle = len("编号\n1\n".encode("gb18030"))
    pending = tmp_path / "p1.csv"
    os.mkfifo(pending)
    jobs = [{"piece": k, "path": str(source), "start": start, "end": end,
             "encoding": "gb18030", "header": "", "target": str(tmp_path / f"p{k}.csv")}
            for k, (start, end) in enumerate([(0, middle), (middle, source.stat().st_size)])]
    workers = transcode.Workers(1, jobs)
    try:
        workers.wait(0)

        def waited(signum, frame):
            raise AssertionError("ready() waited for a piece still being written")
        previous = signal.signal(signal.SIGALRM, waited)
        signal.alarm(5)
        try:
            assert not workers.ready(1)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        with open(pending, "rb") as out:
            assert out.read() == b"2\n"
        deadline = time.monotonic() + 10
        while not workers.ready(1):
            assert time.monotonic() < deadline, "the written piece was never ready"
            time.sleep(0.01)
    finally:
        workers.close()
