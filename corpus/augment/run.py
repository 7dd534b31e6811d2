"""Run augmentation methods over a corpus: originals + new records, bounded, deduplicated, counted.

Every method sees the original records only (methods do not compound), in
batches. Proposals go to a spool file beside the output together with the
originals, so memory holds only hashes; then the bounds are applied:

- a proposal equal to an original or to an earlier-kept proposal (same image
  and turns) is dropped: ``duplicate``;
- a proposal whose id is already taken is dropped: ``id_taken``;
- ``ratio`` R keeps at most R × (input records) new records, ``max_total`` N
  keeps the output at N records in all; which proposals survive is decided by
  a seeded hash of their id (``over_cap``), so the cut is spread over the
  corpus instead of favouring its first records.

The output lists each original followed by what was made of it.

Example:
    stats = augment_file("pt.json", "pt.aug.json", ["templates", "image-position"], seed=1, ratio=1.0)
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

from corpus.atomic import write_json_atomic
from corpus.augment.base import Augmenter, content_key, priority
from corpus.errors import UsageError
from corpus.io import RecordReader, RecordWriter
from corpus.record import Record

METHODS = {
    "templates": "corpus.augment.templates:Templates",
    "backtranslate": "corpus.augment.backtranslate:Backtranslate",
    "image-position": "corpus.augment.image_position:ImagePosition",
    "split-turns": "corpus.augment.split_turns:SplitTurns",
}
BATCH = 128


def _value(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def parse_method(spec: str) -> tuple[str, dict[str, Any]]:
    """'split-turns:pairs=3,subsample=2' -> ('split-turns', {'pairs': 3, 'subsample': 2})."""
    name, _, rest = spec.partition(":")
    name = name.strip()
    if name not in METHODS:
        raise UsageError(f"unknown augmentation method {name!r}; choose from {', '.join(METHODS)}")
    params: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, val = item.partition("=")
        if not eq:
            raise UsageError(f"method option {item!r} in {spec!r} must look like key=value")
        params[key.strip().replace("-", "_")] = _value(val.strip())
    return name, params


def build_methods(specs: Iterable[str], seed: int = 0, per_record: int | None = None,
                  **shared: Any) -> list[Augmenter]:
    """Instantiate methods from specs. `shared` options (engine, memory, workers) go to methods that take them."""
    import importlib
    import inspect

    out: list[Augmenter] = []
    for spec in specs:
        name, params = parse_method(spec)
        mod, _, cls_name = METHODS[name].partition(":")
        cls = getattr(importlib.import_module(mod), cls_name)
        accepted = inspect.signature(cls.__init__).parameters
        unknown = sorted(set(params) - set(accepted) - {"per_record"})
        if unknown:
            options = sorted(set(accepted) - {"self", "seed", "per_record", "round_trip"})
            raise UsageError(f"method {name!r} has no option {', '.join(unknown)}; "
                             f"its options: {', '.join(options) or 'none'}")
        extra = {k: v for k, v in shared.items() if k in accepted and v is not None and k not in params}
        try:
            out.append(cls(seed=seed, per_record=params.pop("per_record", per_record), **params, **extra))
        except TypeError as e:
            raise UsageError(f"method {name!r}: {e}") from None
        except ValueError as e:
            raise UsageError(f"method {name!r}: {e}") from None
    if len({m.name for m in out}) != len(out):
        raise UsageError("each method can be given once")
    return out


def _batches(records: Iterable[Record], n: int):
    buf: list[Record] = []
    for r in records:
        buf.append(r)
        if len(buf) >= n:
            yield buf
            buf = []
    if buf:
        yield buf


def augment_file(src: str | os.PathLike, dst: str | os.PathLike, methods: list[str] | list[Augmenter], *,
                 seed: int = 0, per_record: int | None = None, ratio: float | None = None,
                 max_total: int | None = None, keep_originals: bool = True,
                 stats_path: str | os.PathLike | None = None, rejects: str | os.PathLike | None = None,
                 progress: bool = True,
                 **shared: Any) -> dict[str, Any]:
    """Augment `src` into `dst`; returns (and writes) the stats dict. Unreadable input items go to `rejects`."""
    t0 = time.perf_counter()
    if ratio is not None and ratio < 0:
        raise UsageError("--ratio must be >= 0")
    if max_total is not None and max_total < 0:
        raise UsageError("--max-total must be >= 0")
    augs = methods if methods and isinstance(methods[0], Augmenter) else build_methods(methods, seed, per_record,
                                                                                      **shared)
    if not augs:
        raise UsageError("give at least one --method")
    reader = RecordReader(src)
    originals: set[bytes] = set()
    ids: set[str] = set()
    proposals: list[tuple[int, str, bytes, str]] = []  # (priority, id, content key, method)
    spool_fd, spool = tempfile.mkstemp(prefix=".augment-", suffix=".jsonl", dir=Path(dst).resolve().parent)
    try:
        with os.fdopen(spool_fd, "w", encoding="utf-8") as f:
            records = reader
            if progress:
                from corpus.console import track

                records = track(reader, f"augmenting {Path(src).name}")
            for batch in _batches(records, BATCH):
                made = [m.augment_batch(batch) for m in augs]
                for j, rec in enumerate(batch):
                    originals.add(content_key(rec))
                    ids.add(rec.key)
                    f.write(json.dumps({"o": rec.to_dict()}, ensure_ascii=False) + "\n")
                    for m, per_method in zip(augs, made):
                        for new in per_method[j]:
                            proposals.append((priority(seed, new.key), new.key, content_key(new), m.name))
                            f.write(json.dumps({"a": new.to_dict()}, ensure_ascii=False) + "\n")
        n_in = reader.n_records
        chosen = _choose(proposals, originals, ids, augs, n_in, ratio, max_total, keep_originals)
        written = added = 0
        with RecordWriter(dst) as w, open(spool, encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                if "o" in row:
                    if keep_originals:
                        w.write(row["o"])
                        written += 1
                elif row["a"]["id"] in chosen:
                    w.write(row["a"])
                    written += 1
                    added += 1
    finally:
        for m in augs:
            if hasattr(m, "close"):
                m.close()
        Path(spool).unlink(missing_ok=True)
    rejected = len(reader.problems)
    if rejects is None:
        rejects = f"{dst}.rejects.jsonl"
    from corpus.rejects import Rejects

    with Rejects(rejects) as sink:  # unreadable input items: the only input that does not reach the output
        for p in reader.problems:
            sink.add_problem(p)
    stats = {
        "command": "augment", "input": str(src), "output": str(dst),
        "records_in": reader.n_items, "records_out": written, "rejected": rejected,
        "rejects": str(rejects),
        "rejected_by_reason": _count(p.rule for p in reader.problems),
        "originals_out": written - added, "added": added, "seed": seed,
        "ratio": ratio, "max_total": max_total, "keep_originals": keep_originals,
        "methods": [m.stats() for m in augs],
        "problems": [p.to_dict() for p in reader.problems[:20]],
        "seconds": round(time.perf_counter() - t0, 3),
    }
    # Augmentation adds records, so the shared invariant reads: out = in - rejected (+ added - dropped originals).
    assert written == (n_in if keep_originals else 0) + added
    write_json_atomic(stats_path or f"{dst}.stats.json", stats)
    return stats


def _count(items: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return out


def _choose(proposals, originals, ids, augs, n_in, ratio, max_total, keep_originals) -> set[str]:
    """Ids of the proposals that make it to the output, and drop counts on each method."""
    by_name = {m.name: m for m in augs}
    cap = math.inf
    if ratio is not None:
        cap = min(cap, math.floor(ratio * n_in + 1e-9))
    if max_total is not None:
        cap = min(cap, max(0, max_total - (n_in if keep_originals else 0)))
    chosen: set[str] = set()
    seen = set(originals)
    for _, rid, key, method in sorted(proposals):
        m = by_name[method]
        if key in seen:
            m.dropped["duplicate"] += 1
        elif rid in ids:
            m.dropped["id_taken"] += 1
        elif len(chosen) >= cap:
            m.dropped["over_cap"] += 1
        else:  # kept: later proposals with the same content or id are duplicates of this one
            chosen.add(rid)
            ids.add(rid)
            seen.add(key)
            m.kept += 1
    return chosen
