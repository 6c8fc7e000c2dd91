"""GB18030 text to UTF-8 in one compiled pass, byte for byte what Python's codec gives.

A survey export is ASCII and two-byte characters (GBK's range) but for the odd rare
name. Python's codec decodes those at about 200 MB/s on one core and the text is then
encoded to UTF-8 in a second pass; transcoding a 3 GB export cost the ingest 15 to 21 s
of CPU on the cores that DuckDB parses with. :func:`_convert` does both in one loop
compiled by numba (about 600 MB/s), through a table of every two-byte character that
Python's own codec decodes (:func:`two_byte_table`), so the bytes out are Python's.
A block holding anything else (a four-byte GB18030 character, a byte that is no
character, a lead byte at its end) is left to Python's codec, which decodes it or
names the byte: :meth:`Converter.utf8` returns None for it.

numba compiles the loop once and caches the machine code beside this file (or in the
user's cache folder when this one is read-only); a process then loads it in about half
a second, so only the transcoding workers and exports of hundreds of megabytes use it
(``transcode.COMPILED_FROM_BYTES``).
"""

from __future__ import annotations

import codecs
from functools import cache

import numba
import numpy as np
from numba import types

_BYTES_IN = types.Array(types.uint8, 1, "C", readonly=True)
_BYTES_OUT = types.Array(types.uint8, 1, "C")
_TABLE = types.Array(types.uint32, 1, "C", readonly=True)


@numba.njit(types.int64(_BYTES_IN, _BYTES_OUT, _TABLE), nogil=True, cache=True)
def _convert(src, out, table):  # noqa: ANN001, ANN202 - numba's types, declared above
    """``src`` as UTF-8 into ``out`` (at least 3/2 of its length); returns the bytes
    written, or -1 - the offset of the first byte that is not ASCII nor the start of a
    two-byte character in ``table`` (code point by lead << 8 | trail; 0: none)."""
    size = src.shape[0]
    i = 0
    o = 0
    while i < size:
        byte = src[i]
        if byte < 0x80:
            out[o] = byte
            i += 1
            o += 1
            continue
        if i + 1 == size:
            return -1 - i
        point = table[(np.uint32(byte) << 8) | src[i + 1]]
        if point == 0:
            return -1 - i
        if point < 0x800:
            out[o] = 0xC0 | (point >> 6)
            out[o + 1] = 0x80 | (point & 0x3F)
            o += 2
        else:
            out[o] = 0xE0 | (point >> 12)
            out[o + 1] = 0x80 | ((point >> 6) & 0x3F)
            out[o + 2] = 0x80 | (point & 0x3F)
            o += 3
        i += 2
    return o


@cache
def two_byte_table(encoding: str) -> np.ndarray:
    """Code point of every two-byte character of ``encoding`` as Python's codec decodes
    it, by lead << 8 | trail (0 where the two bytes are not one character of the Basic
    Multilingual Plane). About 20 ms."""
    table = np.zeros(1 << 16, np.uint32)
    for lead in range(0x81, 0xFF):
        for trail in range(0x100):
            try:
                text = bytes((lead, trail)).decode(encoding)
            except UnicodeDecodeError:
                continue
            if len(text) == 1 and 0x80 <= ord(text) < 0x10000:
                table[lead << 8 | trail] = ord(text)
    table.flags.writeable = False
    return table


class Converter:
    """GB18030 (or GBK) blocks to UTF-8, into a buffer reused from block to block."""

    def __init__(self, encoding: str) -> None:
        self.table = two_byte_table(codecs.lookup(encoding).name)
        self.out = np.empty(0, np.uint8)

    def utf8(self, block: bytes) -> memoryview | None:
        """``block`` in UTF-8 (valid until the next call), or None when it holds a
        character or byte that Python's codec must decode or name."""
        need = len(block) * 3 // 2 + 1  # two bytes become at most three
        if self.out.size < need:
            self.out = np.empty(max(need, 2 * self.out.size), np.uint8)
        written = _convert(np.frombuffer(block, np.uint8), self.out, self.table)
        return memoryview(self.out)[:written] if written >= 0 else None
