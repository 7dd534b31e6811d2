"""Split a JSON-list file into byte regions that each hold whole items.

Used to validate one big `.json` corpus on several cores. A split point is a
byte offset of an item's opening ``{``, found near the target offset by
looking for ``,<ws>{<ws>"`` and checking that a JSON object parses there.
Inside a JSON string every ``"`` is escaped, so ``{"`` can only appear there
right before the string's closing quote, which never parses as an object.
Each region is later parsed completely and must end exactly at its bound; any
surprise makes the caller fall back to one sequential pass, so a wrong guess
costs time, never correctness.
"""
from __future__ import annotations

import io
import json
import os
import re
from typing import Iterator

import numpy as np

from corpus.io import RawItem

_CANDIDATE = re.compile(rb",\s*(\{)\s*\"")
_PROBE = 4 << 20


class RegionError(ValueError):
    """The region did not parse as whole items: fall back to a sequential pass."""


def _item_starts_at(f, offset: int) -> bool:
    f.seek(offset)
    raw = f.read(_PROBE)
    text = raw.decode("utf-8", errors="ignore")  # a cut multibyte char at the end is harmless here
    try:
        obj, end = json.JSONDecoder().raw_decode(text, 0)
    except json.JSONDecodeError:
        return False
    rest = text[end:end + 64].lstrip()
    return isinstance(obj, dict) and ("conversations" in obj or "id" in obj) and rest[:1] in (",", "]")


def split_points(path: str | os.PathLike, parts: int) -> list[int] | None:
    """Byte offsets of the first item and of `parts - 1` item starts in between; None if not found."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf")
        skipped = 4096 - len(head) if len(head) < 4096 else 0
        m = re.match(rb"\s*\[\s*", head)
        if not m:
            return None
        first = m.end() + (3 if skipped else 0)
        points = [first]
        for k in range(1, parts):
            target = size * k // parts
            f.seek(target)
            window = f.read(1 << 20)
            for cand in _CANDIDATE.finditer(window):
                off = target + cand.start(1)
                if off > points[-1] and _item_starts_at(f, off):
                    points.append(off)
                    break
            else:
                return None
    return points


class _Limited(io.RawIOBase):
    """A read-only window of `limit` bytes of a binary file (None: to the end)."""

    def __init__(self, f, limit: int | None):
        self._f, self._left = f, limit
        self.chars = 0  # UTF-8 characters read: bytes that are not continuation bytes

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = len(b) if self._left is None else min(len(b), self._left)
        data = self._f.read(n)
        b[: len(data)] = data
        arr = np.frombuffer(data, dtype=np.uint8)
        self.chars += len(data) - int(np.count_nonzero((arr & 0xC0) == 0x80))
        if self._left is not None:
            self._left -= len(data)
        return len(data)


def iter_region(path: str | os.PathLike, start: int, end: int | None, last: bool,
                counter: dict | None = None) -> Iterator[RawItem]:
    """Stream the items of bytes [start, end): ``item, item, ...,`` (ending with ``]`` when `last`).

    Raises RegionError on anything else. `counter["chars"]` gets the region's
    length in characters, so callers can turn local offsets into file offsets.
    """
    from corpus.io import scan_list

    def fail(rule, detail, where):
        return RegionError(f"{rule}: {detail} ({where})")

    with open(path, "rb") as f:
        f.seek(start)
        raw = _Limited(f, None if end is None else end - start)
        text = io.TextIOWrapper(io.BufferedReader(raw), encoding="utf-8")
        yield from scan_list(text, path, opened=True, closed=last, error=fail)
        text.read()
        if counter is not None:
            counter["chars"] = raw.chars


def chars_before(path: str | os.PathLike, offset: int) -> int:
    """Characters (BOM excluded) in the first `offset` bytes."""
    with open(path, "rb") as f:
        head = f.read(offset)
    return len(head.decode("utf-8").lstrip("\ufeff"))
