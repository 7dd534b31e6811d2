"""`translate_file`: one corpus file in, its translation out, with rejects, stats and a progress bar.

The output (and the rejects file) appear only when the run completes
(atomic writes); the translation memory is committed as results arrive. So
killing the job at any moment and running the same command again finishes it
without translating a stored segment twice.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Iterable

from corpus.atomic import write_json_atomic
from corpus.errors import check_counts
from corpus.console import err, progress
from corpus.io import RecordReader, RecordWriter, iter_raw
from corpus.rejects import Rejects
from corpus.translate.shard import in_shard, parse_shard


def _count_items(path) -> int | None:
    try:
        return sum(1 for _ in iter_raw(path))
    except Exception:  # noqa: BLE001 - the real pass reports the problem properly
        return None


def translate_file(input: str | os.PathLike, output: str | os.PathLike | None = None, *,
                   engine: Any = "bergamot", source: str = "en", target: str = "pt-BR", workers: int = 2,
                   cache: Any = None, roles: Iterable[str] = ("human", "gpt"), keep_source: bool = False,
                   on_error: str = "reject", rejects: str | os.PathLike | None = None,
                   stats: str | os.PathLike | None = None, shard: str | tuple[int, int] | None = None,
                   show_progress: bool | None = None, **engine_options: Any) -> dict[str, Any]:
    """Translate a corpus file; returns the stats dict (also written to `stats`)."""
    from corpus.translate.run import TranslateStage, default_output

    t0 = time.time()
    sh = parse_shard(shard) if isinstance(shard, str) or shard is None else tuple(shard)
    output = Path(output) if output else default_output(input, target, sh)
    rejects = Path(rejects) if rejects else output.with_name(output.name + ".rejects.jsonl")
    stats_path = Path(stats) if stats else output.with_name(output.name + ".stats.json")
    reader = RecordReader(input)
    records = iter(reader)
    if sh:
        records = (r for r in records if in_shard(r.id, *sh))
    show = err.is_terminal if show_progress is None else show_progress
    total = _count_items(input) if show else None

    bar = progress()
    bar.disable = not show  # before it starts: a disabled bar never draws
    with bar, Rejects(rejects) as rj, RecordWriter(output) as w:
        task = bar.add_task("translating", total=total, rate="")
        state = {"seg": 0.0}

        def tick(kind: str, n: float) -> None:
            if kind == "segments":  # smooth progress inside a chunk
                state["seg"] += n
                bar.advance(task, n)
            else:  # a record finished: undo the chunk's provisional advance once, count the record
                back = min(state["seg"], 1.0)
                state["seg"] -= back
                bar.advance(task, 1 - back)
            st = stage.stats()
            secs = max(time.time() - t0, 1e-6)
            bar.update(task, rate=f"{st['segments_translated'] / secs:,.1f} seg/s · "
                                  f"{st['memory_hits']:,} hits · {st['rejected']:,} rejected")

        stage = TranslateStage(engine, source, target, workers, cache, roles, keep_source, on_error, rj,
                               progress=tick, input_name=str(input), **engine_options)
        for rec in stage(records):
            w.write(rec)
        # Bad input items belong to shard 1 only, so merged shard counts add up.
        problems = reader.problems if not sh or sh[0] == 1 else []
        for p in problems:
            rj.add_problem(p)
        st = stage.stats()
        result = {
            "command": "translate", "input": str(input), "output": str(output), "rejects": str(rejects),
            "records_in": st["records_in"] + len(problems), "records_out": w.count,
            "rejected": rj.count, "rejected_by_reason": dict(rj.by_reason),
            "shard": f"{sh[0]}/{sh[1]}" if sh else None, "roles": list(roles), "source": source, "target": target,
            **{k: v for k, v in st.items() if k not in ("records_in", "records_out", "rejected", "rejected_by_reason")},
        }
    secs = time.time() - t0
    result["seconds"] = round(secs, 3)
    result["segments_per_s"] = round(st["segments_translated"] / secs, 2) if secs else 0.0
    result["memory"] = str(stage.memory.path)
    result["stats"] = str(stats_path)
    check_counts(result)
    write_json_atomic(stats_path, result)
    stage.memory.close()
    return result
