"""Leak-free, stable train/validation/test splits.

Records are grouped (by image, so the several conversations LLaVA writes about
one COCO picture never straddle two splits; records without an image are
grouped by id), and each group goes to a split chosen by a hash of its key and
the seed, not by shuffling. Adding records therefore never moves an existing
record: its group key, hence its split, is unchanged. The input is streamed
once; each split is written as it goes.

Example:
    stats = split_file("llava_ptbr.jsonl", "splits/", {"train": 0.98, "validation": 0.01, "test": 0.01})
    stats["splits"]["test"]["records"]
"""
from __future__ import annotations

import hashlib
import os
import posixpath
import re
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Iterable

from corpus.atomic import write_json_atomic
from corpus.console import track
from corpus.errors import UnusableInput, UsageError, check_counts
from corpus.io import RecordWriter, detect_format
from corpus.record import Record
from corpus.rejects import Rejects

DEFAULT_RATIOS = {"train": 0.98, "validation": 0.01, "test": 0.01}
GROUP_BY = ("image", "image-name", "id")
SPLIT_FORMATS = ("jsonl", "json", "parquet")
STATS_NAME = "split.stats.json"
REJECTS_NAME = "split.rejects.jsonl"
# datasets accepts split names matching this (it builds file patterns from them).
_SPLIT_NAME = re.compile(r"^\w+(\.\w+)*$")
_SCALE = float(1 << 64)


def parse_ratios(text: str | dict[str, float] | None) -> dict[str, float]:
    """``"train=0.98,validation=0.01,test=0.01"`` -> ordered dict; the shares must sum to 1."""
    if text is None:
        return dict(DEFAULT_RATIOS)
    if isinstance(text, dict):
        pairs = list(text.items())
    else:
        pairs = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, sep, value = part.partition("=")
            if not sep:
                raise UsageError(f"--ratios: {part!r} is not name=share (e.g. train=0.98)")
            try:
                pairs.append((name.strip(), float(value)))
            except ValueError:
                raise UsageError(f"--ratios: share of {name.strip()!r} is not a number: {value!r}") from None
    ratios: dict[str, float] = {}
    for name, share in pairs:
        if not _SPLIT_NAME.match(name):
            raise UsageError(f"--ratios: split name {name!r} must be letters, digits or _ (Hub rule)")
        if name in ratios:
            raise UsageError(f"--ratios: split {name!r} given twice")
        if not 0 <= share <= 1:
            raise UsageError(f"--ratios: share of {name!r} must be between 0 and 1, got {share}")
        ratios[name] = share
    if not ratios:
        raise UsageError("--ratios: give at least one split, e.g. train=0.98,test=0.02")
    if abs(sum(ratios.values()) - 1) > 1e-6:
        raise UsageError(f"--ratios: shares must sum to 1, got {sum(ratios.values()):g}")
    return ratios


def group_key(rec: Record | dict, by: str = "image") -> str:
    """The key that keeps a group together. Namespaced so an image path never equals an id."""
    rid, image = (rec.id, rec.image) if isinstance(rec, Record) else (rec["id"], rec.get("image"))
    if by == "id" or image is None:
        return f"id:{rid}"
    path = posixpath.normpath(image.replace("\\", "/"))
    if by == "image-name":  # LLaVA mixes spell one COCO file with and without "coco/train2017/"
        return f"image:{posixpath.basename(path)}"
    return f"image:{path}"


def bucket(key: str, seed: int) -> float:
    """A uniform number in [0, 1) that depends only on (seed, key)."""
    h = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / _SCALE


def assign(key: str, ratios: dict[str, float], seed: int = 42) -> str:
    """The split of a group: cumulative shares in the order given."""
    x = bucket(key, seed)
    acc, last = 0.0, None
    for name, share in ratios.items():
        if share <= 0:
            continue
        acc += share
        last = name
        if x < acc:
            return name
    return last  # float rounding at the very top of [0, 1)


def _refuse_stale_splits(out_dir: Path, mine: Iterable[Path]) -> None:
    """Split files another run left in `out_dir` would be published by `build` beside these
    (a validation.jsonl from a 3-way split next to a new 2-way split's train and test: its images
    are in them too). Deleting a user's files is not ours to do, so refuse."""
    from corpus.build import split_files

    if not out_dir.is_dir():
        return
    stale = [f.name for f in split_files(out_dir) if f not in set(mine)]
    if stale:
        raise UsageError(f"{out_dir}: holds {', '.join(stale)} from another split, which `corpus build` would "
                         f"publish too; remove them or split into an empty folder")


def split_file(input: str | os.PathLike, out_dir: str | os.PathLike, ratios: dict[str, float] | str | None = None,
               *, by: str = "image", seed: int = 42, fmt: str = "jsonl",
               rejects: str | os.PathLike | None = None, stats: str | os.PathLike | None = None) -> dict[str, Any]:
    """Stream `input` into ``out_dir/{split}.{fmt}``; return (and write) the stats dict."""
    ratios = parse_ratios(ratios)
    if by not in GROUP_BY:
        raise UsageError(f"--by must be one of {', '.join(GROUP_BY)}, got {by!r}")
    if fmt not in SPLIT_FORMATS:
        raise UsageError(f"--format must be one of {', '.join(SPLIT_FORMATS)}, got {fmt!r}")
    out_dir = Path(out_dir)
    stats_path = Path(stats) if stats else out_dir / STATS_NAME
    rejects = Path(rejects) if rejects else out_dir / REJECTS_NAME  # build skips *rejects.jsonl
    started = time.monotonic()
    detect_format(input)
    if not Path(input).is_file():
        raise UnusableInput(input, "unreadable", "no such file")
    from corpus.build import DictReader  # raw dicts: no Record round trip, same validity rules

    reader = DictReader(Path(input))
    counts: Counter = Counter()
    groups: dict[str, set[str]] = {name: set() for name in ratios}
    paths = {name: out_dir / f"{name}.{fmt}" for name in ratios}
    _refuse_stale_splits(out_dir, paths.values())
    with ExitStack() as stack:
        writers = {name: stack.enter_context(RecordWriter(p)) for name, p in paths.items()}
        sink = stack.enter_context(Rejects(rejects))
        for rec in track(reader, f"split {Path(input).name}"):  # a dict, written back as it came
            key = group_key(rec, by)
            name = assign(key, ratios, seed)
            writers[name].write(rec)
            counts[name] += 1
            groups[name].add(key)
        for problem in reader.problems:
            sink.add_problem(problem, stage="split")
    records_out = sum(counts.values())
    result = {
        "command": "split",
        "input": str(input),
        "output": str(out_dir),
        "records_in": reader.n_items,
        "records_out": records_out,
        "rejected": sink.count,
        "rejected_by_reason": dict(sink.by_reason),
        "rejects": str(rejects),
        "seconds": round(time.monotonic() - started, 3),
        "by": by,
        "seed": seed,
        "ratios": ratios,
        "format": fmt,
        "splits": {name: {"file": str(paths[name]), "records": counts[name], "groups": len(groups[name])}
                   for name in ratios},
        # Checked here rather than trusted: a group key in two splits would be a leak.
        "groups_in_two_splits": _overlaps(groups),
    }
    check_counts(result)
    write_json_atomic(stats_path, result)
    result["stats_file"] = str(stats_path)
    return result


def _overlaps(groups: dict[str, set[str]]) -> int:
    seen: Counter = Counter()
    for keys in groups.values():
        seen.update(keys)
    return sum(1 for n in seen.values() if n > 1)
