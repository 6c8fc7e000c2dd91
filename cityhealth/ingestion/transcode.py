"""A large GBK/GB18030 export transcoded to UTF-8 in pieces, on every core.

Transcoding a 3 GB survey export takes one core 5 to 6 s even with the compiled loop of
:mod:`cityhealth.ingestion.gb18030` (Python's codec: 15 to 20 s), time in which DuckDB
could be parsing. The export is therefore cut at line ends
into pieces (:func:`pieces`) which worker processes transcode at the same time
(:func:`transcode_piece`), each piece a UTF-8 CSV file with the header line, so that
DuckDB can read a list of them (in file order: the rows keep their data-row numbers)
while the next pieces are still being transcoded.

A cut never falls inside a character: in GBK and GB18030 the bytes 0x0A (newline) and
0x22 (quote) are never part of a multi-byte character. Nor may it fall inside a quoted
cell (a cell holding a line break). Making sure of that up front means counting the
quotes of the whole export before the first piece can start (about 3.4 s for a 3 GB
export, on one core, while the other waits). So the cuts are guessed at the line end
nearest each piece's size (:func:`pieces`, reading a few kilobytes), each worker counts
the quotes of the pieces it transcodes anyway, and :meth:`Workers.wait` raises
:class:`CutInsideQuotes` when the quotes before a cut do not balance; the caller then
cuts the rest of the export the careful way (``exact=True``: quotes counted), from the
start of the piece in question.

Each worker converts its blocks with the compiled loop of
:mod:`cityhealth.ingestion.gb18030` (several times Python's codec, the same bytes);
the few blocks it cannot take (four-byte characters, bad bytes) go through Python's
codec.
"""

from __future__ import annotations

import codecs
import json
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

CHUNK_BYTES = 1 << 20  # read and decoded per step inside a piece (larger: more page faults)
# the compiled converter takes half a second to load; from this size on it pays back
COMPILED_FROM_BYTES = 256 << 20

# A step allocates a few megabytes (the chunk, the text, its UTF-8 bytes) and frees them.
# glibc's malloc serves a block that large from fresh pages mapped for it and unmapped
# when it is freed, so every step faulted its pages in again: 0.6 to 0.8 s of system
# time per 256 MB piece, beside 1 s of decoding. Above these sizes only, the workers'
# malloc maps, and keeps freed memory up to the trim size, so the pages are reused
# (variables read by glibc at start; ignored elsewhere).
WORKER_ENVIRONMENT = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20),
                      "MALLOC_TRIM_THRESHOLD_": str(64 << 20)}
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # where ``cityhealth`` is


def header_end(path: Path) -> int:
    """Byte offset just after the header line (the first newline outside quotes)."""
    end, quotes = 0, 0
    with open(path, "rb") as handle:
        for line in handle:
            end += len(line)
            quotes += line.count(b'"')
            if quotes % 2 == 0:
                break
    return end


def pieces(path: Path, piece_bytes: int, start: int = 0, *,
           exact: bool = False) -> Iterator[tuple[int, int]]:
    """(start, end) byte ranges of about ``piece_bytes`` from ``start`` to the end of the
    file, each ending just after a newline (the last: at the end of the file): the last
    newline before ``piece_bytes``, found in the few kilobytes before it. With ``exact``,
    the last newline outside quotes (the quotes of the whole piece counted); without,
    :meth:`Workers.wait` tells a cut inside quotes. A line longer than a piece makes its
    piece longer."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        while start < size:
            length = piece_bytes
            while True:
                if start + length >= size:
                    end = size
                    break
                end = _cut_exactly(handle, start, length) if exact else _cut_near(
                    handle, start, length)
                if end:
                    end += start
                    break
                length *= 2  # no usable newline in the block: look further
            yield start, end
            start = end


_WINDOW = 1 << 16  # bytes read before a guessed cut to find the line end in


def _cut_near(handle, start: int, length: int) -> int:
    """Length of the longest prefix of the ``length`` bytes from ``start`` that ends with a
    newline (0 if there is none), reading as little of it as needed."""
    window = min(_WINDOW, length)
    while True:
        handle.seek(start + length - window)
        newline = handle.read(window).rfind(b"\n")
        if newline >= 0:
            return length - window + newline + 1
        if window == length:
            return 0
        window = min(window * 16, length)


def _cut_exactly(handle, start: int, length: int) -> int:
    handle.seek(start)
    return _cut(handle.read(length))


def _cut(block: bytes) -> int:
    """Length of the longest prefix of ``block`` that ends with a newline outside quotes
    (0 if there is none)."""
    quotes = block.count(b'"')  # in the block; those after a candidate cut are taken off
    cut = len(block)
    while (newline := block.rfind(b"\n", 0, cut)) >= 0:
        quotes -= block.count(b'"', newline, cut)
        if quotes % 2 == 0:
            return newline + 1
        cut = newline
    return 0


# A block that Python's GBK codec decodes is decoded the same by GB18030 (every one of
# GBK's 21,791 two-byte characters, and ASCII), and GBK decodes a quarter faster; a
# block with a four-byte GB18030 character (or a bad byte) is decoded as GB18030.
_FASTER = {"gb18030": "gbk"}


def _decode(block: bytes, encoding: str, faster: str | None) -> str:
    if faster:
        try:
            return block.decode(faster)
        except UnicodeDecodeError:
            pass
    return block.decode(encoding)


class Transcoded(NamedTuple):
    written: int  # bytes of UTF-8 written, header included
    quotes: int   # quote characters (") in the piece's own bytes
    by_codec: int = 0  # bytes of the piece decoded by Python's codec, not the compiled loop


def transcode_piece(path: str, start: int, end: int, encoding: str, header: bytes,
                    target: str, *, compiled: bool | None = None) -> Transcoded:
    """Bytes ``start:end`` of ``path`` in ``encoding`` → the UTF-8 file ``target``, after
    ``header`` (already UTF-8; empty for the first piece, which has its own). Raises
    UnicodeDecodeError at the first undecodable byte. Returns the bytes written and the
    quotes counted on the way (what tells a cut inside a quoted cell).

    Decoded in blocks that end at a newline (a newline byte is never part of a GBK or
    GB18030 character), each by itself: with ``compiled``, by the compiled converter of
    :mod:`cityhealth.ingestion.gb18030` where it can, else by Python's codec; by default
    compiled from ``COMPILED_FROM_BYTES`` on."""
    name = codecs.lookup(encoding).name
    faster = _FASTER.get(name)
    if compiled is None:
        compiled = end - start >= COMPILED_FROM_BYTES
    converter = None
    if compiled and name in ("gb18030", "gbk"):
        from cityhealth.ingestion.gb18030 import Converter  # numba: loaded where it pays

        converter = Converter(name)

    def utf8(block: bytes) -> bytes | memoryview:
        nonlocal by_codec
        if converter is not None and (converted := converter.utf8(block)) is not None:
            return converted
        by_codec += len(block)
        return _decode(block, encoding, faster).encode("utf-8")

    written = quotes = by_codec = 0
    with open(path, "rb") as src, open(target, "wb") as out:
        src.seek(start)
        written += out.write(header)
        left, rest = end - start, b""
        while left > 0:
            chunk = src.read(min(CHUNK_BYTES, left))
            if not chunk:
                break
            left -= len(chunk)
            quotes += chunk.count(b'"')
            rest += chunk
            cut = rest.rfind(b"\n") + 1 if left > 0 else len(rest)
            if cut:  # else no line end yet: read on
                written += out.write(utf8(rest[:cut]))
                rest = rest[cut:]
        if rest:
            written += out.write(utf8(rest))
    return Transcoded(written, quotes, by_codec)


class TranscodeError(RuntimeError):
    """A worker could not transcode its piece for another reason than the bytes."""


class CutInsideQuotes(Exception):
    """The cut at the end of piece ``number`` fell inside a quoted cell (the quotes before
    it do not balance): that piece and the ones after it are not whole lines."""

    def __init__(self, number: int) -> None:
        super().__init__(f"the cut after piece {number} falls inside a quoted cell")
        self.number = number


class Workers:
    """Worker processes transcoding pieces, each given its share up front (piece k goes to
    worker k mod n, and a worker does its pieces in order) so that they keep going while
    the caller is busy. Each is ``python -m cityhealth.ingestion.transcode`` (this module
    and the compiled converter only: no re-run of the caller's main module as
    ``multiprocessing`` would do; it starts in about half a second), fed JSON lines on
    stdin, answering one JSON line per piece done."""

    def __init__(self, count: int, jobs: list[dict]) -> None:
        self.count = count
        self.processes = [
            subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True,
                             env={**os.environ, **WORKER_ENVIRONMENT,
                                  "PYTHONPATH": os.pathsep.join(filter(None, [
                                      _PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))})
            for _ in range(min(count, len(jobs)) or 1)]
        self.count = len(self.processes)
        self.pieces = len(jobs)
        self._quotes = 0  # in the pieces awaited so far
        self.by_codec = 0  # their bytes that Python's codec decoded (not the compiled loop)
        self._said = [b""] * self.count  # what each worker said beyond the answers taken
        for number, job in enumerate(jobs):
            stdin = self.processes[number % self.count].stdin
            stdin.write(json.dumps(job) + "\n")
        for process in self.processes:
            process.stdin.close()

    def wait(self, number: int) -> None:
        """Until piece ``number`` is written (pieces must be awaited in order, each once).
        Raises UnicodeDecodeError for undecodable bytes, CutInsideQuotes when the cut at
        the end of the piece falls inside a quoted cell (not for the last piece: a file
        that ends inside quotes is DuckDB's to refuse), TranscodeError for anything
        else."""
        self._take(number, block=True)

    def ready(self, number: int) -> bool:
        """Whether piece ``number`` is written, without waiting: as :meth:`wait` when it
        is (the piece then counts as awaited), False when it is not yet."""
        return self._take(number, block=False)

    def _take(self, number: int, block: bool) -> bool:
        worker = number % self.count
        process = self.processes[worker]
        descriptor = process.stdout.fileno()  # read unbuffered: select() tells what is there
        while b"\n" not in self._said[worker]:
            if not block and not select.select([descriptor], [], [], 0)[0]:
                return False
            chunk = os.read(descriptor, 1 << 16)
            if not chunk:
                self._said[worker] += json.dumps(
                    {"error": f"worker ended ({process.wait()})"}).encode() + b"\n"
                break
            self._said[worker] += chunk
        line, _, self._said[worker] = self._said[worker].partition(b"\n")
        answer = json.loads(line)
        if answer.get("undecodable"):
            raise UnicodeDecodeError("transcode", b"", 0, 1, answer["undecodable"])
        if answer.get("error") or answer.get("piece") != number:
            raise TranscodeError(answer.get("error") or f"piece {number} out of order")
        self._quotes += answer["quotes"]
        self.by_codec += answer["by_codec"]
        if self._quotes % 2 and number + 1 < self.pieces:
            raise CutInsideQuotes(number)
        return True

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()


def _serve() -> None:
    # every job first, up to the end of the input: the caller then never waits for a
    # pipe's room while writing them (a job carries the header line: 3 KB for a survey)
    for job in [json.loads(line) for line in sys.stdin]:
        try:
            done = transcode_piece(job["path"], job["start"], job["end"], job["encoding"],
                                   job["header"].encode("utf-8"), job["target"],
                                   compiled=True)
            answer = {"piece": job["piece"], "quotes": done.quotes, "by_codec": done.by_codec}
        except UnicodeDecodeError as error:
            answer = {"piece": job["piece"], "undecodable": str(error)}
        except Exception as error:  # noqa: BLE001 - reported to the caller, which raises
            answer = {"piece": job["piece"], "error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
