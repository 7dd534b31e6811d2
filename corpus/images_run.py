"""`corpus images` as one library call: read → image checks → near-duplicates → CLIP (optional) → write.

Every record read ends up in the output or in the rejects with a reason (bad
input items included), and the stats JSON says so:
``records_out + rejected == records_in``.
"""
from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

from corpus.atomic import write_json_atomic
from corpus.console import track
from corpus.errors import UsageError, check_counts
from corpus.images import ImageCheck, ImageReuse, NearDuplicate
from corpus.io import RecordReader, RecordWriter
from corpus.rejects import Rejects
from corpus.stage import chain


def check_images(
    input: str | os.PathLike,
    images_root: str | os.PathLike,
    *,
    output: str | os.PathLike | None = None,
    rejects: str | os.PathLike | None = None,
    stats: str | os.PathLike | None = None,
    min_side: int = 32,
    phash_distance: int = 4,
    clip_model: str | os.PathLike | None = None,
    clip_index: str | os.PathLike | None = None,
    min_clip_score: float | None = None,
    batch_size: int = 32,
    device: str | None = None,
) -> dict[str, Any]:
    """Filter a corpus by its images; returns the stats (also written to `stats`, default `<output>.stats.json`).

    `phash_distance < 0` turns near-duplicate detection off. Without `clip_model`
    no torch is imported.
    """
    t0 = time.perf_counter()
    if not Path(images_root).is_dir():
        raise UsageError(f"--images-root {images_root}: not a folder")
    if min_clip_score is not None and clip_model is None:
        raise UsageError("--min-clip-score needs --clip-model")
    if stats is None and output is not None:
        stats = f"{output}.stats.json"
    if rejects is None and output is not None:  # without an output nothing is written: a dry check
        rejects = f"{output}.rejects.jsonl"
    reader = RecordReader(input)
    with contextlib.ExitStack() as stack:
        sink = stack.enter_context(Rejects(rejects))
        reuse = ImageReuse()
        filters: list = [ImageCheck(images_root, sink, min_side=min_side)]
        if phash_distance >= 0:
            filters.append(NearDuplicate(sink, max_distance=phash_distance))
        if clip_model is not None:
            from corpus.clip_score import ClipFilter, ClipScorer  # numpy + sqlite only; torch loads in ClipScorer

            scorer = ClipScorer(clip_model, images_root, clip_index, device)
            stack.callback(scorer.index.close)
            filters.append(ClipFilter(scorer, sink, min_score=min_clip_score, batch_size=batch_size))
        writer = stack.enter_context(RecordWriter(output)) if output is not None else None
        kept = 0
        for rec in chain(track(reader, "checking images"), [reuse, *filters]):
            kept += 1
            if writer is not None:
                writer.write(rec)
        for problem in reader.problems:
            sink.add_problem(problem)
        rejected = sink.count
        by_reason = dict(sink.by_reason.most_common())
    result: dict[str, Any] = {
        "command": "images",
        "input": str(input),
        "output": str(output) if output is not None else None,
        "rejects": str(rejects) if rejects is not None else None,
        "images_root": str(images_root),
        "records_in": reader.n_items,
        "records_out": kept,
        "rejected": rejected,
        "rejected_by_reason": by_reason,
        "bad_input_items": len(reader.problems),
        "seconds": round(time.perf_counter() - t0, 3),
        "image_reuse": reuse.summary(),
        "stages": [f.stats() for f in filters],
    }
    check_counts(result, str(input))
    if stats is not None:
        write_json_atomic(stats, result)
        result["stats"] = str(stats)
    return result
