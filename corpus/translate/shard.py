"""Split a job over N machines by id hash, and merge the shard outputs back in input order.

``--shard K/N`` keeps the records whose id hashes to K (1-based): the split is
deterministic, needs no coordination, and every record lands in exactly one
shard. `merge_shards` walks the original input once and takes each record
from the shard output whose next record has that id; a record that is in no
shard output was rejected by its shard (its shard's rejects file says why).

Example:
    in_shard("000000033471", 2, 4)
    merge_shards("detail_23k.json", ["a.json", "b.json"], "detail_23k.pt-BR.json")
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from corpus.errors import UsageError
from corpus.io import RecordReader, RecordWriter, read_records


def parse_shard(spec: str | None) -> tuple[int, int] | None:
    if not spec:
        return None
    try:
        k, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise UsageError(f"--shard must look like K/N (e.g. 2/4), got {spec!r}") from None
    if not (n >= 1 and 1 <= k <= n):
        raise UsageError(f"--shard {spec}: need 1 <= K <= N")
    return k, n


def shard_of(record_id: Any, n: int) -> int:
    """1-based shard of an id. str(id): 7 and "7" go to the same shard, on every machine."""
    h = hashlib.blake2b(str(record_id).encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") % n + 1


def in_shard(record_id: Any, k: int, n: int) -> bool:
    return shard_of(record_id, n) == k


def merge_shards(input: str | os.PathLike, shards: list[str | os.PathLike], output: str | os.PathLike,
                 memories: list[str | os.PathLike] = (), cache: str | os.PathLike | None = None) -> dict[str, Any]:
    """Merge shard outputs into `output` in the order of `input`; optionally merge memories into `cache`."""
    t0 = time.time()
    if not shards:
        raise UsageError("give at least one shard output")
    readers = [iter(read_records(s)) for s in shards]
    heads = [next(r, None) for r in readers]
    source = RecordReader(input)
    n_in = missing = 0
    with RecordWriter(output) as w:
        for rec in source:
            n_in += 1
            key = str(rec.id)
            for j, h in enumerate(heads):
                if h is not None and str(h.id) == key:
                    w.write(h)
                    heads[j] = next(readers[j], None)
                    break
            else:
                missing += 1
        written = w.count
    leftover = [str(shards[j]) for j, h in enumerate(heads) if h is not None]
    if leftover:
        Path(output).unlink(missing_ok=True)
        raise UsageError(f"{leftover[0]} has records that are not in {input} (or not in its order): "
                         "was it made from this input?")
    added = 0
    if memories:
        from corpus.translate.memory import default_path, merge_memories

        added = merge_memories(cache or default_path(), memories)
    return {"command": "merge-shards", "input": str(input), "output": str(output), "shards": [str(s) for s in shards],
            "records_in": n_in + len(source.problems), "records_out": written,
            "not_in_any_shard": missing + len(source.problems), "memory_rows_added": added,
            "seconds": round(time.time() - t0, 3)}
