"""Validate one big `.json` corpus on several cores, with output identical to one pass.

The file is cut into byte regions of whole items (`corpus.regions`); each
worker process parses and checks its region and sends back its findings and
the ids it saw; the parent renumbers items, restores file offsets, and checks
duplicate ids across regions in file order. Any region that does not parse
cleanly makes the whole call return None, and the caller runs one sequential
pass (which then reports the real error with its position).
"""
from __future__ import annotations

import multiprocessing as mp
import os
from typing import Any, Iterator

from corpus.regions import RegionError, chars_before, iter_region, split_points

MIN_BYTES = 32 << 20  # below this, starting processes costs more than it saves


def _check_region(args) -> dict[str, Any] | None:
    from corpus.validate import _id_of, item_findings

    path, start, end, last, images_root = args
    counter: dict[str, int] = {}
    found: list[tuple[int, int, Any, list]] = []
    keys: list[tuple[int, str, int, Any]] = []
    n = 0
    try:
        for n, item in enumerate(iter_region(path, start, end, last, counter), 1):
            f, key = item_findings(item, images_root)
            if f:
                found.append((n - 1, item.offset, _id_of(item.obj), f))
            if key is not None:
                keys.append((n - 1, key, item.offset, item.obj["id"]))
    except (RegionError, UnicodeDecodeError):
        return None
    return {"items": n, "chars": counter.get("chars", 0), "found": found, "keys": keys}


def parallel_findings(path: str | os.PathLike, images_root=None, result=None, jobs: int = 2) -> Iterator | None:
    """Findings in file order, computed by `jobs` processes; None when the file can't be split."""
    if jobs < 2 or os.path.getsize(path) < MIN_BYTES:
        return None
    points = split_points(path, jobs)
    if points is None:
        return None
    bounds = [(points[i], points[i + 1] if i + 1 < len(points) else None) for i in range(len(points))]
    args = [(str(path), s, e, e is None, str(images_root) if images_root else None) for s, e in bounds]
    with mp.get_context("fork").Pool(len(args)) as pool:
        parts = pool.map(_check_region, args)
    if any(p is None for p in parts):
        return None
    return _merge(parts, chars_before(path, points[0]), result)


def _merge(parts, char_base: int, result) -> Iterator:
    from corpus.validate import _count

    seen: set[str] = set()
    index0 = 0
    for part in parts:
        by_index = {i: (off, rid, f) for i, off, rid, f in part["found"]}
        dups: dict[int, tuple[int, Any]] = {}
        for i, key, off, rid in part["keys"]:
            if key in seen:
                dups[i] = (off, rid)
            seen.add(key)
        for i in sorted(set(by_index) | set(dups)):
            off, rid, f = by_index.get(i, (None, None, []))
            if i in dups:
                off, rid = dups[i]
                f = f + [("duplicate_id", f"id {rid!r} appeared before")]
            position = f"item {index0 + i} (offset {char_base + off})"
            yield from _count(result, f, rid, position)
        clean = part["items"] - len(set(by_index) | set(dups))
        result.items += clean
        result.valid += clean
        index0 += part["items"]
        char_base += part["chars"]
